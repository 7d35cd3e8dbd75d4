import { PendingRefresh } from '~/components/pending-refresh'
import { TableHead } from '~/components/table-head'
import type { WebhookEndpointPage } from '~/domain/notify/webhook-endpoint-page.server'
import { deliveryStatusLabel } from './delivery-status'
import { DeliveryTime } from './delivery-time'

/** One delivery with every attempt made; refreshes itself while the worker has not sent it. */
export function DeliveryResult({ focus }: { focus: NonNullable<WebhookEndpointPage['focus']> }) {
  const pending = focus.status === 'pending'
  return (
    <section
      aria-labelledby="result-heading"
      className="rounded-lg border border-slate-200 bg-white p-6"
    >
      <h2 id="result-heading" className="text-lg font-semibold">
        Delivery <code className="text-base">{focus.messageId}</code>
      </h2>
      <p className="mt-1 text-sm" role="status">
        <span className="font-semibold">{deliveryStatusLabel(focus.status)}</span>
        {' · '}
        {focus.eventType}
        {pending ? ' · waiting for the worker.' : null}
      </p>
      {pending ? (
        <p className="mt-1 text-sm">
          <PendingRefresh />
        </p>
      ) : null}
      {focus.attemptLog.length ? (
        <div className="relative mt-3 overflow-x-auto">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <TableHead
              cellClassName="px-3 py-2"
              columns={['Attempt', 'Time', 'Response', 'Duration', 'Error', 'Next attempt']}
            />
            <tbody className="divide-y divide-slate-100">
              {focus.attemptLog.map((a) => (
                <tr key={a.attempt}>
                  <td className="px-3 py-2">{a.attempt}</td>
                  <td className="px-3 py-2">
                    <DeliveryTime iso={a.attemptedAt} />
                  </td>
                  <td className="px-3 py-2">{a.statusCode ?? '—'}</td>
                  <td className="px-3 py-2">{a.durationMs} ms</td>
                  <td className="px-3 py-2 break-all">{a.error ?? '—'}</td>
                  <td className="px-3 py-2">
                    <DeliveryTime iso={a.retryAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="mt-2 text-sm text-slate-600">No attempt yet.</p>
      )}
    </section>
  )
}
