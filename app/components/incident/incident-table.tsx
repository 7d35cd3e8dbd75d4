import { Link } from '@remix-run/react'
import { SeverityBadge, StatusBadge } from '~/components/badges'
import { SlaBadge } from '~/components/sla'
import { TableHead } from '~/components/table-head'
import type { IncidentListPageView } from '~/domain/incident/incident-list-page.server'
import { PrivateBadge } from './visibility-section'

/** One page of the incident list: number and title, severity, status, owner, SLA, dates. */
export function IncidentTable({ rows }: { rows: IncidentListPageView['rows'] }) {
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="min-w-full divide-y divide-slate-200 text-sm">
        <caption className="sr-only">Incidents, most severe first, then newest</caption>
        <TableHead
          columns={[
            'Incident',
            'Severity',
            'Status',
            'Service',
            'Commander',
            'SLA',
            'Declared',
            'Age',
          ]}
        />
        <tbody className="divide-y divide-slate-100">
          {rows.map((r) => (
            <tr key={r.number}>
              <td className="min-w-56 px-3 py-2">
                <Link
                  to={`/incidents/${r.number}`}
                  className="font-medium text-brand-700 underline"
                >
                  INC-{r.number}
                </Link>{' '}
                <span className="break-words">{r.title}</span>
                {r.private ? (
                  <>
                    {' '}
                    <PrivateBadge />
                  </>
                ) : null}
              </td>
              <td className="px-3 py-2">
                <SeverityBadge severity={r.severity} />
              </td>
              <td className="px-3 py-2">
                <StatusBadge status={r.status} />
              </td>
              <td className="px-3 py-2">{r.serviceName ?? '—'}</td>
              <td className="px-3 py-2">{r.commanderName ?? '—'}</td>
              <td className="px-3 py-2 text-xs" data-testid="sla">
                {r.sla ? (
                  <span className="flex flex-col items-start gap-0.5">
                    <SlaBadge state={r.sla.state} />
                    {r.sla.next ? (
                      <span className="whitespace-nowrap text-slate-600">
                        {r.sla.next.label} due{' '}
                        <time dateTime={r.sla.next.dueAt}>{r.sla.next.dueAtText}</time>
                      </span>
                    ) : null}
                  </span>
                ) : (
                  '—'
                )}
              </td>
              <td className="px-3 py-2 whitespace-nowrap">
                <time title={r.declaredUtc}>{r.declared}</time>
              </td>
              <td className="px-3 py-2 whitespace-nowrap">{r.age}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
