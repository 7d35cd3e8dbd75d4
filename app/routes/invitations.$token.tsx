import { getFormProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data, redirect } from '@remix-run/node'
import {
  Form,
  Link,
  isRouteErrorResponse,
  useActionData,
  useLoaderData,
  useRouteError,
} from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import { FormError } from '~/components/form-error'
import { Field, SubmitButton } from '~/components/forms'
import { HoneypotField } from '~/components/honeypot'
import { switchOrganization } from '~/domain/access/accounts.server'
import { getViewer } from '~/domain/access/guard.server'
import { acceptInvitation, lookupInvitation } from '~/domain/access/members.server'
import { newPasswordSchema } from '~/domain/access/password-rules'
import { DisplayNameField, NewPasswordField } from '~/components/account-fields'
import { ROLE_LABELS } from '~/domain/access/permissions'
import { createSession } from '~/domain/access/session.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { honeypotSchema } from '~/utils/honeypot'
import { redirectWithRefusal, replyWithDomainError } from '~/utils/error-reply.server'
import { readFormData } from '~/utils/form-data.server'

const newAccountSchema = z.object({
  displayName: z.string({ error: 'Enter your name' }).trim().min(1, 'Enter your name').max(120),
  password: newPasswordSchema,
  website: honeypotSchema,
})

export const meta: MetaFunction = () => [{ title: 'Invitation · IncidentFlow' }]

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const token = params.token ?? ''
  const state = await lookupInvitation(context.orm, token)
  if (state.status !== 'valid') {
    throw new Response(
      'This invitation link is no longer valid: it was used, revoked or has expired. Ask for a new one.',
      {
        status: 404,
      },
    )
  }
  const viewer = await getViewer(request, context)
  const invitation = state.invitation
  return {
    organizationName: state.organizationName,
    email: invitation.email,
    role: invitation.role,
    expiresAt: invitation.expiresAt.toISOString(),
    hasAccount: state.hasAccount,
    viewer: viewer ? { email: viewer.user.email, name: viewer.user.displayName } : null,
    loginUrl: `/login?redirectTo=${encodeURIComponent(new URL(request.url).pathname)}`,
  }
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const token = params.token ?? ''
  const viewer = await getViewer(request, context)
  const formData = await readFormData(request)
  if (viewer) {
    try {
      const joined = await acceptInvitation(context.orm, { token, userId: viewer.user.id })
      await switchOrganization(context.orm, viewer.sessionId, viewer.user.id, joined.organizationId)
      return redirectWithFlash(
        '/',
        { kind: 'success', message: 'You joined the organization.' },
        context.env,
      )
    } catch (error) {
      return redirectWithRefusal(error, new URL(request.url).pathname, context.env)
    }
  }
  const submission = parseWithZod(formData, { schema: newAccountSchema })
  // The password is never sent back, not even to correct it.
  const hide = { hideFields: ['password'] }
  if (submission.status !== 'success')
    return data({ result: submission.reply(hide) }, { status: 400 })
  if (submission.value.website)
    return data(
      { result: submission.reply({ ...hide, formErrors: ['Could not accept the invitation.'] }) },
      { status: 400 },
    )
  try {
    const joined = await acceptInvitation(context.orm, {
      token,
      displayName: submission.value.displayName,
      password: submission.value.password,
    })
    const session = await createSession(context.orm, context.env, {
      userId: joined.user.id,
      organizationId: joined.organizationId,
      ip: context.clientIp,
      userAgent: request.headers.get('user-agent'),
    })
    return redirect('/', { headers: { 'Set-Cookie': session.setCookie } })
  } catch (error) {
    return replyWithDomainError(submission, error, hide)
  }
}

export default function AcceptInvitation() {
  const invitation = useLoaderData<typeof loader>()
  const lastResult = useActionData<typeof action>()?.result
  const [form, fields] = useForm({
    lastResult,
    constraint: getZodConstraint(newAccountSchema),
    shouldValidate: 'onBlur',
    // Not on blur once validated: clicking the button blurs the field, and a message that vanished
    // then would move the button away from under the pointer, so the click would be lost.
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: newAccountSchema }),
  })
  const role = ROLE_LABELS[invitation.role].toLowerCase()
  return (
    <div className="mx-auto max-w-md">
      <h1 className="text-2xl font-bold">Join {invitation.organizationName}</h1>
      <p className="mt-2 text-sm text-slate-600">
        You are invited as {role}, for <strong>{invitation.email}</strong>.
      </p>
      <div className="mt-6 rounded-lg border border-slate-200 bg-white p-6">
        {invitation.viewer ? (
          invitation.viewer.email === invitation.email ? (
            <Form method="post">
              <p className="mb-4 text-sm">You are signed in as {invitation.viewer.name}.</p>
              <SubmitButton pendingLabel="Joining…">
                Join {invitation.organizationName}
              </SubmitButton>
            </Form>
          ) : (
            <p className="text-sm">
              You are signed in as {invitation.viewer.email}, but this invitation is for{' '}
              {invitation.email}. Log out and open the link again to accept it with that address.
            </p>
          )
        ) : invitation.hasAccount ? (
          <p className="text-sm">
            You already have an IncidentFlow account.{' '}
            <Link to={invitation.loginUrl} className="font-medium text-brand-700 underline">
              Log in to accept
            </Link>
            .
          </p>
        ) : (
          <Form method="post" className="relative" {...getFormProps(form)}>
            <FormError id={form.errorId} errors={form.errors} />
            <HoneypotField />
            <Field label="Email" name="email-display" value={invitation.email} readOnly disabled />
            <DisplayNameField meta={fields.displayName} />
            <NewPasswordField meta={fields.password} />
            <SubmitButton className="w-full" pendingLabel="Creating your account…">
              Accept invitation
            </SubmitButton>
          </Form>
        )}
      </div>
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
