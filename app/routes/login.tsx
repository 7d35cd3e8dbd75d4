import { getFormProps, getInputProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data, redirect } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import { Field, SubmitButton } from '../components/forms'
import { FormError } from '../components/form-error'
import { HoneypotField } from '../components/honeypot'
import { formAuthenticator, loginSchema } from '../domain/access/authenticator.server'
import { requireAnonymous } from '../domain/access/guard.server'
import { createSession } from '../domain/access/session.server'
import { safeRedirect } from '../utils/redirect'

export const meta: MetaFunction = () => [{ title: 'Log in · IncidentFlow' }]

const INVALID = 'Email or password is incorrect.'

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnonymous(request, context)
  const redirectTo = new URL(request.url).searchParams.get('redirectTo')
  return { redirectTo: redirectTo ? safeRedirect(redirectTo, '') : '' }
}

export async function action({ request, context }: ActionFunctionArgs) {
  await requireAnonymous(request, context)
  const result = await formAuthenticator(context.orm, context.clientIp).authenticate('form', request)
  const { submission } = result
  if (result.kind === 'invalid-form' || submission.status !== 'success') {
    return data(submission.reply({ hideFields: ['password'] }), { status: 400 })
  }
  if (submission.value.website) {
    return data(submission.reply({ hideFields: ['password'], formErrors: [INVALID] }), { status: 400 })
  }
  const { outcome } = result
  if (!outcome.ok && outcome.reason === 'throttled') {
    const minutes = Math.max(1, Math.ceil(outcome.retryAfterSeconds / 60))
    return data(
      submission.reply({
        hideFields: ['password'],
        formErrors: [`Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`],
      }),
      { status: 429, headers: { 'Retry-After': String(outcome.retryAfterSeconds) } },
    )
  }
  if (!outcome.ok) {
    return data(submission.reply({ hideFields: ['password'], formErrors: [INVALID] }), { status: 400 })
  }
  const session = await createSession(context.orm, context.env, {
    userId: outcome.user.id,
    organizationId: outcome.organizationId,
    ip: context.clientIp,
    userAgent: request.headers.get('user-agent'),
  })
  return redirect(safeRedirect(submission.value.redirectTo, '/'), { headers: { 'Set-Cookie': session.setCookie } })
}

export default function Login() {
  const { redirectTo } = useLoaderData<typeof loader>()
  const lastResult = useActionData<typeof action>()
  const [form, fields] = useForm({
    lastResult,
    constraint: getZodConstraint(loginSchema),
    shouldValidate: 'onBlur',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: loginSchema }),
  })
  return (
    <div className="mx-auto max-w-md">
      <h1 className="text-2xl font-bold">Log in</h1>
      {redirectTo ? <p className="mt-2 text-sm text-slate-600">Log in to continue to the page you opened.</p> : null}
      <Form method="post" className="relative mt-6 rounded-lg border border-slate-200 bg-white p-6" {...getFormProps(form)}>
        <FormError id={form.errorId} errors={form.errors} />
        <HoneypotField />
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <Field label="Email" errors={fields.email.errors} autoComplete="email" {...getInputProps(fields.email, { type: 'email' })} />
        <Field
          label="Password"
          errors={fields.password.errors}
          autoComplete="current-password"
          {...getInputProps(fields.password, { type: 'password' })}
        />
        <SubmitButton className="w-full" pendingLabel="Logging in…">
          Log in
        </SubmitButton>
      </Form>
      <p className="mt-4 text-sm text-slate-600">
        New to IncidentFlow?{' '}
        <Link to="/signup" className="font-medium text-brand-700 underline">
          Create an organization
        </Link>
        . Joining a team? Use the link in your invitation e-mail.
      </p>
    </div>
  )
}
