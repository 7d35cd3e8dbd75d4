import type { JobQueueRow, QueueStatsView } from '~/domain/queues/queue-stats.server'
import { TableHead } from './table-head'

const QUEUE_LABELS: Record<string, string> = {
  'email-deliver': 'E-mail delivery',
  'webhook-deliver': 'Webhook delivery',
  'dead-letter': 'Dead letters',
  'sla-sweep': 'SLA sweep',
  'report-generate': 'Reports',
  'postmortem-draft': 'Postmortem drafts',
  'alert-ingest': 'Inbound alerts',
  'action-item-sweep': 'Action item reminders',
  'chat-deliver': 'Slack and Teams delivery',
  'slack-declare': 'Incidents declared from Slack',
}

function label(queue: string) {
  return QUEUE_LABELS[queue] ?? queue
}

function problem(row: JobQueueRow) {
  const parts: string[] = []
  if (row.stuck) parts.push(`stuck: oldest waiting ${row.oldestWaiting} (over ${row.stuckAfter})`)
  if (row.failedLastHour > 0) parts.push(`${row.failedLastHour} failed in the last hour`)
  return parts.join('; ')
}

function formatTime(iso: string) {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`
}

/**
 * The "Jobs" section of the admin pages: how each background queue is doing, with the queues that
 * need attention (a job waiting too long, or jobs that failed for good within the hour) marked in
 * words and colour, and the organization's newest dead letter. Plain HTML: no script needed.
 */
export function JobQueues({ queues, at, newestDeadLetter }: QueueStatsView) {
  const troubled = queues.filter((q) => q.needsAttention)
  return (
    <section aria-labelledby="jobs-heading" className="space-y-3">
      <h2 id="jobs-heading" className="text-lg font-semibold">
        Jobs
      </h2>
      <p className="text-sm text-slate-600">
        Background work of the whole service (all organizations together), as of{' '}
        <time dateTime={at}>{formatTime(at)}</time>.
      </p>
      {troubled.length > 0 ? (
        <div role="alert" className="rounded-md border border-red-300 bg-red-50 p-3 text-sm">
          <p className="font-semibold text-red-800">
            {troubled.length === 1 ? '1 queue needs' : `${troubled.length} queues need`} attention
          </p>
          <ul className="mt-1 list-disc pl-5 text-red-800">
            {troubled.map((q) => (
              <li key={q.queue}>
                {label(q.queue)}: {problem(q)}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <p role="status" className="text-sm text-green-800">
          Every queue is keeping up.
        </p>
      )}
      <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full divide-y divide-slate-200 text-sm">
          <caption className="sr-only">Job queues</caption>
          <TableHead
            cellClassName="px-3 py-2"
            columns={[
              'Queue',
              'Waiting',
              'Oldest waiting',
              'Scheduled later',
              'Running',
              'Failed (last hour)',
              'State',
            ]}
          />
          <tbody className="divide-y divide-slate-100">
            {queues.map((q) => (
              <tr
                key={q.queue}
                aria-label={label(q.queue)}
                className={q.needsAttention ? 'bg-red-50' : undefined}
              >
                <th scope="row" className="px-3 py-2 text-left font-normal">
                  {label(q.queue)} <code className="text-xs text-slate-600">{q.queue}</code>
                </th>
                <td className="px-3 py-2 tabular-nums">{q.waiting}</td>
                <td className="px-3 py-2 whitespace-nowrap">{q.oldestWaiting ?? '—'}</td>
                <td className="px-3 py-2 tabular-nums">{q.scheduled}</td>
                <td className="px-3 py-2 tabular-nums">{q.active}</td>
                <td className="px-3 py-2 tabular-nums">{q.failedLastHour}</td>
                <td className="px-3 py-2">
                  {q.stuck ? (
                    <strong className="text-red-800">Stuck</strong>
                  ) : q.failedLastHour > 0 ? (
                    <strong className="text-red-800">Failing</strong>
                  ) : (
                    'OK'
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="text-sm">
        <span className="font-medium">Newest dead letter: </span>
        {newestDeadLetter ? (
          <>
            {newestDeadLetter.kind === 'email' ? 'an e-mail' : 'a webhook delivery'} given up at{' '}
            <time dateTime={newestDeadLetter.at}>{formatTime(newestDeadLetter.at)}</time>
            {newestDeadLetter.reason
              ? ` — ${newestDeadLetter.reason}`
              : ' after repeated worker errors'}
            .
          </>
        ) : (
          'none in the last 12 hours.'
        )}
      </p>
    </section>
  )
}
