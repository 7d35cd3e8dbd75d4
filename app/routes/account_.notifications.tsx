import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
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
import { SubmitButton } from '~/components/forms'
import { requireMember } from '~/domain/access/guard.server'
import { NOTIFICATION_KINDS, NOTIFICATION_KIND_LABELS } from '~/domain/notify/kinds'
import { getPreferences, savePreferences } from '~/domain/notify/preferences.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'

/** Checked boxes are the kinds the member wants; the rest are stored as turned off. */
const schema = z.object({
  receive: z
    .array(z.enum(NOTIFICATION_KINDS, { error: 'Choose notification kinds from the list' }))
    .optional()
    .default([]),
})

export const meta: MetaFunction = () => [{ title: 'Notification preferences · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  // Not under /account's layout (the file name's `_`): this page needs an organization.
  const member = await requireMember(request, context)
  const { disabledKinds } = await getPreferences(context.orm, member)
  return {
    organizationName: member.organization.name,
    kinds: NOTIFICATION_KINDS.map((kind) => ({
      kind,
      label: NOTIFICATION_KIND_LABELS[kind],
      receive: !disabledKinds.includes(kind),
    })),
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context)
  const submission = parseWithZod(await readFormData(request), { schema })
  if (submission.status !== 'success')
    return data(submission.reply({ formErrors: ['Choose notification kinds from the list.'] }), {
      status: 400,
    })
  const wanted = new Set<string>(submission.value.receive)
  await savePreferences(
    context.orm,
    member,
    NOTIFICATION_KINDS.filter((kind) => !wanted.has(kind)),
  )
  return redirectWithFlash(
    '/account/notifications',
    { kind: 'success', message: 'Notification preferences saved.' },
    context.env,
  )
}

export default function NotificationPreferences() {
  const { kinds, organizationName } = useLoaderData<typeof loader>()
  const lastResult = useActionData<typeof action>()
  return (
    <div className="mx-auto max-w-2xl space-y-6">
      <header>
        <p className="text-sm">
          <Link to="/account" className="underline">
            Account
          </Link>
        </p>
        <h1 className="text-2xl font-bold">Notification preferences</h1>
        <p className="mt-1 text-sm text-slate-600">
          Which e-mails you receive from {organizationName}. Everything still appears on the
          incident pages.
        </p>
      </header>
      <Form method="post" className="rounded-lg border border-slate-200 bg-white p-6">
        <FormError errors={lastResult?.error?.[''] ?? null} />
        <fieldset>
          <legend className="text-sm font-semibold">Send me an e-mail when…</legend>
          <ul className="mt-3 space-y-2">
            {kinds.map((k) => (
              <li key={k.kind}>
                <label className="flex items-start gap-2 text-sm">
                  <input
                    type="checkbox"
                    name="receive"
                    value={k.kind}
                    defaultChecked={k.receive}
                    className="mt-0.5 rounded border-slate-300"
                  />
                  <span>{k.label}</span>
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
        <p className="mt-4 text-xs text-slate-600">
          E-mails about SLA breaches of incidents you command are always sent, even if you turn
          breach e-mails off.
        </p>
        <div className="mt-4">
          <SubmitButton>Save preferences</SubmitButton>
        </div>
      </Form>
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
