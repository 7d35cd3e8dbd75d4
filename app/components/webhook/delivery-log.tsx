import { ACTIONS_COLUMN } from '~/components/table-head'
import { Form, Link } from '@remix-run/react'
import { DataTable } from '~/components/data-table'
import { secondaryButtonClass } from '~/components/settings-page'
import type { WebhookEndpointPage } from '~/domain/notify/webhook-endpoint-page.server'
import { deliveryStatusLabel } from './delivery-status'
import { DeliveryTime } from './delivery-time'

/** One page of an endpoint's deliveries, newest first, each with its "Redeliver" button. */
export function DeliveryLog({
  endpointId,
  log,
}: {
  endpointId: string
  log: WebhookEndpointPage['log']
}) {
  const base = `/admin/webhooks/${endpointId}`
  return (
    <section aria-labelledby="log-heading">
      <h2 id="log-heading" className="text-lg font-semibold">
        Delivery log
      </h2>
      {log.deliveries.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">
          {log.page > 1 ? 'No deliveries on this page.' : 'Nothing delivered yet.'}
        </p>
      ) : (
        <DataTable
          columns={[
            'Time',
            'Event type',
            'Message id',
            'Status',
            'Attempts',
            'Last response',
            'Last error',
            'Next attempt',
            ACTIONS_COLUMN,
          ]}
        >
          {log.deliveries.map((d) => (
            <tr key={d.id} aria-label={d.messageId}>
              <td className="px-3 py-2 whitespace-nowrap">
                <Link to={`${base}?delivery=${d.id}`} className="underline">
                  <DeliveryTime iso={d.createdAt} />
                </Link>
              </td>
              <td className="px-3 py-2">{d.eventType}</td>
              <td className="px-3 py-2">
                <code className="text-xs">{d.messageId}</code>
              </td>
              <td className="px-3 py-2">{deliveryStatusLabel(d.status)}</td>
              <td className="px-3 py-2">{d.attempts}</td>
              <td className="px-3 py-2">{d.lastStatusCode ?? '—'}</td>
              <td className="max-w-xs px-3 py-2 break-all">{d.lastError ?? '—'}</td>
              <td className="px-3 py-2 whitespace-nowrap">
                <DeliveryTime iso={d.nextAttemptAt} />
              </td>
              <td className="px-3 py-2 text-right">
                {d.status === 'pending' ? (
                  <span className="text-xs text-slate-500">In progress</span>
                ) : (
                  <Form method="post" action={base}>
                    <input type="hidden" name="deliveryId" value={d.id} />
                    <button
                      type="submit"
                      name="intent"
                      value="redeliver"
                      className={secondaryButtonClass}
                    >
                      Redeliver
                    </button>
                  </Form>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <nav aria-label="Delivery log pages" className="mt-3 flex gap-4 text-sm">
        {log.page > 1 ? (
          <Link to={`${base}?page=${log.page - 1}`} className="underline">
            Newer deliveries
          </Link>
        ) : null}
        {log.hasNext ? (
          <Link to={`${base}?page=${log.page + 1}`} className="underline">
            Older deliveries
          </Link>
        ) : null}
      </nav>
    </section>
  )
}
