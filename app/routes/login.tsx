import { getFormProps, getInputProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import type {
  ActionFunctionArgs,
  AppLoadContext,
  HeadersFunction,
  LoaderFunctionArgs,
  MetaFunction,
} from '@remix-run/node'
import { data, redirect } from '@remix-run/node'
import { Form, Link, useActionData, useLoaderData } from '@remix-run/react'
import * as z from '~/utils/zod'
import { Field, SubmitButton } from '~/components/forms'
import { FormError } from '~/components/form-error'
import { HoneypotField } from '~/components/honeypot'
import { formAuthenticator } from '~/domain/access/authenticator.server'
import { requireAnonymous } from '~/domain/access/guard.server'
import { loginSchema } from '~/domain/access/login-schema'
import { createSession } from '~/domain/access/session.server'
import {
  supabaseEnabled,
  supabasePasswordSignIn,
  supabaseSendMagicLink,
} from '~/domain/access/supabase.server'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { honeypotSchema } from '~/utils/honeypot'
import { safeRedirect } from '~/utils/redirect'
import { readFormData } from '~/utils/form-data.server'

export const meta: MetaFunction = () => [{ title: 'Log in · IncidentFlow' }]

const INVALID = 'Email or password is incorrect.'

/**
 * On a document request (a plain form post) Remix forwards only Set-Cookie from an action's
 * headers; the throttled answer's Retry-After has to be passed on here.
 */
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const forwarded = new Headers()
  const retryAfter = actionHeaders.get('Retry-After')
  if (retryAfter) forwarded.set('Retry-After', retryAfter)
  return forwarded
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  await requireAnonymous(request, context)
  const redirectTo = new URL(request.url).searchParams.get('redirectTo')
  return {
    redirectTo: redirectTo ? safeRedirect(redirectTo, '') : '',
    supabase: supabaseEnabled(context.env),
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  await requireAnonymous(request, context)
  const intent = (await readFormData(request.clone())).get('intent')
  if (intent === 'supabase-password' || intent === 'supabase-link')
    return supabaseAction(request, context, intent)
  const result = await formAuthenticator(context.orm, context.clientIp).authenticate(
    'form',
    request,
  )
  const { submission } = result
  if (result.kind === 'invalid-form' || submission.status !== 'success') {
    return data({ result: submission.reply({ hideFields: ['password'] }) }, { status: 400 })
  }
  if (submission.value.website) {
    return data(
      { result: submission.reply({ hideFields: ['password'], formErrors: [INVALID] }) },
      { status: 400 },
    )
  }
  const { outcome } = result
  if (!outcome.ok && outcome.reason === 'throttled') {
    const minutes = Math.max(1, Math.ceil(outcome.retryAfterSeconds / 60))
    return data(
      {
        result: submission.reply({
          hideFields: ['password'],
          formErrors: [
            `Too many sign-in attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
          ],
        }),
      },
      { status: 429, headers: { 'Retry-After': String(outcome.retryAfterSeconds) } },
    )
  }
  if (!outcome.ok) {
    return data(
      { result: submission.reply({ hideFields: ['password'], formErrors: [INVALID] }) },
      { status: 400 },
    )
  }
  const session = await createSession(context.orm, context.env, {
    userId: outcome.user.id,
    organizationId: outcome.organizationId,
    ip: context.clientIp,
    userAgent: request.headers.get('user-agent'),
  })
  return redirect(safeRedirect(submission.value.redirectTo, '/'), {
    headers: { 'Set-Cookie': session.setCookie },
  })
}

const supabaseSchema = z.object({
  email: z.email({ error: 'Enter a valid e-mail address' }).max(320),
  password: z.string().max(1024).optional(),
  redirectTo: z.string().max(2000).optional(),
  website: honeypotSchema,
})

async function supabaseAction(
  request: Request,
  context: AppLoadContext,
  intent: 'supabase-password' | 'supabase-link',
) {
  const submission = parseWithZod(await readFormData(request), { schema: supabaseSchema })
  if (submission.status !== 'success')
    return data({ result: submission.reply({ hideFields: ['password'] }) }, { status: 400 })
  if (!supabaseEnabled(context.env) || submission.value.website) {
    return data(
      { result: submission.reply({ hideFields: ['password'], formErrors: [INVALID] }) },
      { status: 400 },
    )
  }
  if (intent === 'supabase-link') {
    await supabaseSendMagicLink(context.env, submission.value.email)
    return redirectWithFlash(
      '/login',
      {
        kind: 'info',
        message:
          'If that address belongs to a member, a sign-in link is on its way. It works once.',
      },
      context.env,
    )
  }
  try {
    const signedIn = await supabasePasswordSignIn(
      context.orm,
      context.env,
      submission.value.email,
      submission.value.password ?? '',
    )
    const session = await createSession(context.orm, context.env, {
      userId: signedIn.user.id,
      organizationId: signedIn.organizationId,
      ip: context.clientIp,
      userAgent: request.headers.get('user-agent'),
    })
    return redirect(safeRedirect(submission.value.redirectTo, '/'), {
      headers: { 'Set-Cookie': session.setCookie },
    })
  } catch (error) {
    return replyWithDomainError(submission, error, { hideFields: ['password'] })
  }
}

export default function Login() {
  const { redirectTo, supabase } = useLoaderData<typeof loader>()
  const lastResult = useActionData<typeof action>()?.result
  const [form, fields] = useForm({
    lastResult,
    constraint: getZodConstraint(loginSchema),
    shouldValidate: 'onBlur',
    // Not on blur once validated: clicking the button blurs the field, and a message that vanished
    // then would move the button away from under the pointer, so the click would be lost.
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: loginSchema }),
  })
  return (
    <div className="mx-auto max-w-md">
      <h1 className="text-2xl font-bold">Log in</h1>
      {redirectTo ? (
        <p className="mt-2 text-sm text-slate-600">Log in to continue to the page you opened.</p>
      ) : null}
      <Form
        method="post"
        className="relative mt-6 rounded-lg border border-slate-200 bg-white p-6"
        {...getFormProps(form)}
      >
        <FormError id={form.errorId} errors={form.errors} />
        <HoneypotField />
        <input type="hidden" name="redirectTo" value={redirectTo} />
        <Field
          label="Email"
          errors={fields.email.errors}
          autoComplete="email"
          {...getInputProps(fields.email, { type: 'email' })}
        />
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
      {supabase ? (
        <section
          aria-labelledby="supabase-heading"
          className="mt-6 rounded-lg border border-slate-200 bg-white p-6"
        >
          <h2 id="supabase-heading" className="text-lg font-semibold">
            Or with your Supabase account
          </h2>
          <Form method="post" className="relative mt-4">
            <HoneypotField />
            <input type="hidden" name="redirectTo" value={redirectTo} />
            <Field label="Supabase email" name="email" type="email" autoComplete="email" required />
            <Field
              label="Supabase password"
              name="password"
              type="password"
              autoComplete="current-password"
            />
            <div className="flex flex-wrap gap-2">
              <SubmitButton name="intent" value="supabase-password" variant="secondary">
                Log in with Supabase
              </SubmitButton>
              <SubmitButton name="intent" value="supabase-link" variant="secondary" formNoValidate>
                Email me a sign-in link
              </SubmitButton>
            </div>
          </Form>
        </section>
      ) : null}
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
