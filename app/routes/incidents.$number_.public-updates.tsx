import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import {
  isRouteErrorResponse,
  Link,
  useActionData,
  useLoaderData,
  useRouteError,
} from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import { IncidentSubpageHeader } from '~/components/incident-subpage-header'
import { PublicUpdateForm, PublicUpdateList } from '~/components/status/public-update-form'
import { requireMember } from '~/domain/access/guard.server'
import { requireIncidentNumber } from '~/domain/incident/incident-number'
import { postPublicUpdate, publicUpdatesView } from '~/domain/status/public-updates.server'
import { COMPONENT_STATES, PUBLIC_STATUSES } from '~/domain/status/status-vocabulary'
import { now as clockNow } from '~/utils/clock'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'

/**
 * An incident's public updates: the ones posted, and "Post public update" for its commander,
 * Communications lead, managers and admins (not on a private incident).
 */

const COMPONENT_FIELD = /^component\.([0-9a-f-]{36})$/

const schema = z.object({
  intent: z.literal('post'),
  title: z
    .string({ error: 'Enter the title visitors read' })
    .trim()
    .min(1, 'Enter the title visitors read')
    .max(200, 'Use at most 200 characters'),
  status: z.enum(PUBLIC_STATUSES, { error: 'Choose a status' }),
  body: z
    .string({ error: 'Write the message visitors read' })
    .trim()
    .min(1, 'Write the message visitors read')
    .max(5000, 'Use at most 5000 characters'),
})

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: data
      ? `Public updates: INC-${data.incident.number} · IncidentFlow`
      : 'Public updates · IncidentFlow',
  },
]

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const view = await publicUpdatesView(context.orm, member, number)
  if (!view) throw new Response('Incident not found', { status: 404 })
  return view
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const formData = await readFormData(request)
  const submission = parseWithZod(formData, { schema })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  const components: Array<{ componentId: string; state: (typeof COMPONENT_STATES)[number] }> = []
  for (const [key, value] of formData) {
    const id = COMPONENT_FIELD.exec(key)?.[1]
    if (!id || value === '') continue
    const state = COMPONENT_STATES.find((s) => s === value)
    if (!state) throw new Response('Bad request', { status: 400 })
    components.push({ componentId: id, state })
  }
  try {
    await postPublicUpdate(
      context.orm,
      context.boss,
      member,
      number,
      { ...submission.value, components },
      {
        now: clockNow(),
        links: {
          pageUrl: `${context.env.APP_URL}/status/${member.organization.slug}`,
          secret: context.env.SESSION_SECRET,
        },
      },
    )
  } catch (error) {
    return replyWithDomainError(submission, error)
  }
  return redirectWithFlash(
    `/incidents/${number}/public-updates`,
    { kind: 'success', message: 'Public update posted.' },
    context.env,
  )
}

export default function PublicUpdatesPage() {
  const view = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  return (
    <div className="space-y-6">
      <IncidentSubpageHeader
        incident={view.incident}
        crumbs={[{ label: 'Public updates' }]}
        title="Public updates"
        className="space-y-1"
      >
        <p className="text-sm text-slate-600">
          {view.published ? (
            <>
              Shown on the{' '}
              <Link to={view.statusPageUrl} className="underline" reloadDocument>
                public status page
              </Link>
              .
            </>
          ) : (
            'The status page is not published yet: updates are kept and shown once it is.'
          )}
        </p>
      </IncidentSubpageHeader>
      {view.incident.private ? (
        <p className="rounded-md border border-amber-300 bg-amber-50 p-3 text-sm">
          This incident is private: nothing of it is published on the status page.
        </p>
      ) : view.canPost ? (
        <PublicUpdateForm
          components={view.components}
          defaults={view.defaults}
          result={actionData?.result ?? null}
        />
      ) : (
        <p className="text-sm text-slate-600">
          The incident’s commander, its Communications lead, managers and admins post public
          updates.
        </p>
      )}
      <PublicUpdateList updates={view.updates} />
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
