import { getFormProps, getInputProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data, redirect } from '@remix-run/node'
import { Form, Link, useActionData } from '@remix-run/react'
import * as z from '~/utils/zod'
import { Field, SubmitButton } from '~/components/forms'
import { FormError } from '~/components/form-error'
import { HoneypotField } from '~/components/honeypot'
import { signUp } from '~/domain/access/accounts.server'
import { requireAnonymous } from '~/domain/access/guard.server'
import { newPasswordSchema } from '~/domain/access/password-rules'
import { DisplayNameField, NewPasswordField } from '~/components/account-fields'
import { createSession } from '~/domain/access/session.server'
import { honeypotSchema } from '~/utils/honeypot'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { readFormData } from '~/utils/form-data.server'

const schema = z.object({
  organizationName: z
    .string({ error: 'Enter the name of your organization' })
    .trim()
    .min(2, 'Use at least 2 characters')
    .max(120, 'Use at most 120 characters'),
  displayName: z
    .string({ error: 'Enter your name' })
    .trim()
    .min(1, 'Enter your name')
    .max(120, 'Use at most 120 characters'),
  email: z.email({ error: 'Enter a valid e-mail address' }).max(320),
  password: newPasswordSchema,
  website: honeypotSchema,
})

export const meta: MetaFunction = () => [{ title: 'Create an organization · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnonymous(request, context)
  return null
}

export async function action({ request, context }: ActionFunctionArgs) {
  await requireAnonymous(request, context)
  const formData = await readFormData(request)
  const submission = parseWithZod(formData, { schema })
  if (submission.status !== 'success') {
    return data({ result: submission.reply({ hideFields: ['password'] }) }, { status: 400 })
  }
  const input = submission.value
  try {
    const { user, organization } = await signUp(context.orm, {
      organizationName: input.organizationName,
      displayName: input.displayName,
      email: input.email,
      password: input.password,
    })
    const session = await createSession(context.orm, context.env, {
      userId: user.id,
      organizationId: organization.id,
      ip: context.clientIp,
      userAgent: request.headers.get('user-agent'),
    })
    context.logger.info(
      { organizationId: organization.id, userId: user.id },
      'organization created',
    )
    return redirect('/', { headers: { 'Set-Cookie': session.setCookie } })
  } catch (error) {
    return replyWithDomainError(submission, error, { hideFields: ['password'] })
  }
}

export default function SignUp() {
  const lastResult = useActionData<typeof action>()?.result
  const [form, fields] = useForm({
    lastResult,
    constraint: getZodConstraint(schema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
  })
  return (
    <div className="mx-auto max-w-md">
      <h1 className="text-2xl font-bold">Create an organization</h1>
      <p className="mt-2 text-sm text-slate-600">
        You become its first admin and can invite your team afterwards. Already have an account?{' '}
        <Link to="/login" className="font-medium text-brand-700 underline">
          Log in
        </Link>
        .
      </p>
      <Form
        method="post"
        className="relative mt-6 rounded-lg border border-slate-200 bg-white p-6"
        {...getFormProps(form)}
      >
        <FormError id={form.errorId} errors={form.errors} />
        <HoneypotField />
        <Field
          label="Organization name"
          errors={fields.organizationName.errors}
          autoComplete="organization"
          {...getInputProps(fields.organizationName, { type: 'text' })}
        />
        <DisplayNameField meta={fields.displayName} />
        <Field
          label="Email"
          errors={fields.email.errors}
          autoComplete="email"
          {...getInputProps(fields.email, { type: 'email' })}
        />
        <NewPasswordField meta={fields.password} />
        <SubmitButton className="w-full" pendingLabel="Creating…">
          Create organization
        </SubmitButton>
      </Form>
    </div>
  )
}
