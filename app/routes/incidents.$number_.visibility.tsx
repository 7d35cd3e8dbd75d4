import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import {
  Link,
  isRouteErrorResponse,
  useActionData,
  useLoaderData,
  useRouteError,
} from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import { ConflictNotice } from '~/components/incident/conflict-notice'
import { resultFor } from '~/components/incident/form-result'
import { VisibilitySection } from '~/components/incident/visibility-section'
import { requireMember } from '~/domain/access/guard.server'
import { isConflict } from '~/domain/domain-error'
import { requireIncidentNumber } from '~/domain/incident/incident-number'
import {
  addIncidentViewer,
  incidentVisibilityView,
  removeIncidentViewer,
  setIncidentVisibility,
  VISIBILITY_REASON_MAX,
} from '~/domain/incident/visibility.server'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'

const version = z.coerce.number().int().min(0)
const schema = z.discriminatedUnion('intent', [
  z.object({
    intent: z.literal('visibility'),
    private: z.enum(['true', 'false']),
    reason: z
      .string({ error: 'Give a reason' })
      .trim()
      .min(1, 'Give a reason')
      .max(VISIBILITY_REASON_MAX),
    version,
  }),
  z.object({
    intent: z.literal('add-viewer'),
    userId: z.uuid({ error: 'Choose a member' }),
    version,
  }),
  z.object({ intent: z.literal('remove-viewer'), userId: z.uuid(), version }),
])

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `Who sees INC-${data.view.number} · IncidentFlow` : 'Incident · IncidentFlow' },
]

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const view = await incidentVisibilityView(context.orm, member, number)
  if (!view) throw new Response('Incident not found', { status: 404 })
  return { view }
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const formData = await readFormData(request)
  const intent = String(formData.get('intent') ?? '')
  const submission = parseWithZod(formData, { schema })
  if (submission.status !== 'success')
    return data({ intent, result: submission.reply(), conflict: false }, { status: 400 })
  const input = submission.value
  try {
    let message: string
    let to = `/incidents/${number}`
    switch (input.intent) {
      case 'visibility': {
        const done = await setIncidentVisibility(context.orm, member, number, {
          private: input.private === 'true',
          reason: input.reason,
          version: input.version,
        })
        message = done.private
          ? 'The incident is now private.'
          : 'Everyone can see the incident now.'
        break
      }
      case 'add-viewer':
        await addIncidentViewer(context.orm, member, number, input)
        message = 'Viewer added.'
        break
      case 'remove-viewer':
        await removeIncidentViewer(context.orm, member, number, input)
        message = 'Viewer removed.'
        // Removing oneself may take one's own sight of it away.
        if (input.userId === member.user.id) to = '/incidents'
        break
    }
    return redirectWithFlash(to, { kind: 'success', message }, context.env)
  } catch (error) {
    return replyWithDomainError(submission, error, {
      extra: { intent, conflict: isConflict(error) },
    })
  }
}

export default function IncidentVisibilityPage() {
  const { view } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const conflict = actionData?.conflict ? actionData.result.error?.['']?.[0] : null
  return (
    <div className="mx-auto max-w-2xl space-y-4">
      <p className="text-sm text-slate-600">
        <Link to={`/incidents/${view.number}`} className="underline">
          INC-{view.number}
        </Link>{' '}
        / Visibility
      </p>
      <h1 className="text-2xl font-bold break-words">Who sees INC-{view.number}</h1>
      {conflict ? <ConflictNotice>{conflict}</ConflictNotice> : null}
      <VisibilitySection view={view} result={(intent) => resultFor(actionData, intent)} />
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
