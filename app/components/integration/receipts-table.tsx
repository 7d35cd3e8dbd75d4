import { Link } from '@remix-run/react'
import { DataTable } from '~/components/data-table'
import type { IntegrationPage } from '~/domain/alerts/integration-page.server'
import { OUTCOME_LABELS, RECEIPT_STATUS_LABELS } from '~/domain/alerts/vocabulary'

/** An integration's recent receipts, newest first, with what the worker did with each. */
export function ReceiptsTable({
  receipts,
  when,
}: {
  receipts: IntegrationPage['integration']['receipts']
  when: (iso: string) => string
}) {
  return (
    <section aria-labelledby="receipts-heading">
      <h2 id="receipts-heading" className="text-lg font-semibold">
        Recent receipts
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        Every accepted request, newest first, with what the worker did with it.
      </p>
      {receipts.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">Nothing received yet.</p>
      ) : (
        <DataTable columns={['Received', 'Status', 'Outcome', 'Error']}>
          {receipts.map((r) => (
            <tr key={r.id} aria-label={`Receipt ${r.id}`}>
              <td className="px-3 py-2 align-top whitespace-nowrap">
                <time dateTime={r.receivedAt}>{when(r.receivedAt)}</time>
              </td>
              <td className="px-3 py-2 align-top">{RECEIPT_STATUS_LABELS[r.status]}</td>
              <td className="px-3 py-2 align-top">
                {r.outcome.length === 0 ? (
                  '—'
                ) : (
                  <ul className="space-y-1">
                    {r.outcome.map((o, index) => (
                      <li key={`${o.dedupKey}-${index}`}>
                        {OUTCOME_LABELS[o.action]}
                        {o.incidentNumber ? (
                          <>
                            {' '}
                            <Link to={`/incidents/${o.incidentNumber}`} className="underline">
                              INC-{o.incidentNumber}
                            </Link>
                          </>
                        ) : null}
                        {o.dedupKey ? (
                          <span className="block font-mono text-xs break-all text-slate-500">
                            {o.dedupKey}
                          </span>
                        ) : null}
                        {o.reason ? (
                          <span className="block text-xs text-slate-600">{o.reason}</span>
                        ) : null}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td className="max-w-xs px-3 py-2 align-top break-all">{r.error ?? '—'}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  )
}
