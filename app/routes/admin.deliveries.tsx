import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, isRouteErrorResponse, Link, useLoaderData, useRouteError } from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import { JobQueues } from '~/components/job-queues'
import { ACTIONS_COLUMN, TableHead } from '~/components/table-head'
import { requireMember } from '~/domain/access/guard.server'
import { loadQueueStats, queueStatsView } from '~/domain/queues/queue-stats.server'
import { listFailedDeliveries, retryFailed } from '~/domain/notify/webhooks.server'
import { listFailedChatDeliveries, retryChatDelivery } from '~/domain/chat/chat-failures.server'
import { now as clockNow } from '~/utils/clock'
import { redirectWithRefusal } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'

const retrySchema = z.object({
  intent: z.literal('retry'),
  kind: z.enum(['webhook', 'email', 'slack', 'teams']),
  id: z.uuid(),
})

export const meta: MetaFunction = () => [{ title: 'Failed deliveries · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const [failed, chat, jobs] = await Promise.all([
    listFailedDeliveries(context.orm, member),
    listFailedChatDeliveries(context.orm, member),
    loadQueueStats(context.orm, { now: clockNow(), organizationId: member.organization.id }),
  ])
  return {
    failed: [...failed, ...chat]
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .map((f) => ({ ...f, at: f.at.toISOString() })),
    jobs: queueStatsView(jobs),
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const submission = parseWithZod(await readFormData(request), { schema: retrySchema })
  if (submission.status !== 'success') throw new Response('Bad request', { status: 400 })
  const { kind, id } = submission.value
  try {
    if (kind === 'slack' || kind === 'teams')
      await retryChatDelivery(context.orm, context.boss, member, id)
    else await retryFailed(context.orm, context.boss, member, kind, id)
  } catch (error) {
    return redirectWithRefusal(error, '/admin/deliveries', context.env)
  }
  return redirectWithFlash(
    '/admin/deliveries',
    {
      kind: 'success',
      message:
        kind === 'email'
          ? 'E-mail queued again.'
          : `${kindLabel[kind]} delivery queued again; its retry schedule starts over.`,
    },
    context.env,
  )
}

const kindLabel = {
  webhook: 'Webhook',
  email: 'E-mail',
  slack: 'Slack',
  teams: 'Microsoft Teams',
} as const
const statusLabel: Record<string, string> = { dead: 'Gave up', failed: 'Refused' }

function formatTime(iso: string) {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`
}

export default function FailedDeliveries() {
  const { failed, jobs } = useLoaderData<typeof loader>()
  return (
    <div className="space-y-6">
      <header>
        <p className="text-sm">
          <Link to="/admin/webhooks" className="text-brand-700 underline">
            Webhooks
          </Link>
        </p>
        <h1 className="mt-1 text-2xl font-bold">Failed deliveries</h1>
        <p className="mt-1 text-sm text-slate-600">
          Webhook, Slack and Microsoft Teams deliveries that ran out of attempts, and e-mails that
          could not be sent. Retry one once the cause is fixed.
        </p>
      </header>
      {failed.length === 0 ? (
        <p className="text-sm text-slate-600">Nothing has failed.</p>
      ) : (
        <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <TableHead
              cellClassName="px-3 py-2"
              columns={[
                'Kind',
                'To',
                'What',
                'Status',
                'Reason',
                'Attempts',
                'Time',
                ACTIONS_COLUMN,
              ]}
            />
            <tbody className="divide-y divide-slate-100">
              {failed.map((f) => (
                <tr key={`${f.kind}:${f.id}`} aria-label={`${kindLabel[f.kind]} ${f.what}`}>
                  <td className="px-3 py-2">{kindLabel[f.kind]}</td>
                  <td className="max-w-xs px-3 py-2 break-all">{f.target}</td>
                  <td className="px-3 py-2">{f.what}</td>
                  <td className="px-3 py-2">{statusLabel[f.status] ?? f.status}</td>
                  <td className="max-w-md px-3 py-2 break-words">{f.reason ?? '—'}</td>
                  <td className="px-3 py-2">{f.attempts}</td>
                  <td className="px-3 py-2 whitespace-nowrap">
                    <time dateTime={f.at}>{formatTime(f.at)}</time>
                  </td>
                  <td className="px-3 py-2 text-right">
                    <Form method="post">
                      <input type="hidden" name="kind" value={f.kind} />
                      <input type="hidden" name="id" value={f.id} />
                      <button
                        type="submit"
                        name="intent"
                        value="retry"
                        className="rounded-md border border-slate-300 bg-white px-3 py-1.5 hover:bg-slate-50"
                      >
                        Retry
                      </button>
                    </Form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <JobQueues {...jobs} />
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
