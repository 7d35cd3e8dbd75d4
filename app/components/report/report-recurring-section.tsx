import { TableHead } from '~/components/table-head'
import type { Dashboard } from '~/domain/analytics/types'
import { ReportSection } from './report-section'
import { EmptyRow, MeanMedianP90, cell, num, reportTable } from './report-table'

export function ReportRecurringSection({ dashboard: d }: { dashboard: Dashboard }) {
  return (
    <ReportSection id="recurring" title="Recurring problems">
      {(
        [
          ['Service', d.topServices],
          ['Incident type', d.topIncidentTypes],
        ] as const
      ).map(([label, rows]) => (
        <table key={label} className={reportTable}>
          <caption className="py-1 text-left font-semibold">
            {label === 'Service' ? 'Services' : 'Incident types'}
          </caption>
          <TableHead
            cellClassName={cell}
            columns={[label, 'Incidents', 'MTTR mean', 'MTTR median', 'MTTR p90']}
          />
          <tbody>
            {rows.length === 0 ? <EmptyRow columns={5} /> : null}
            {rows.map((r) => (
              <tr key={r.id ?? 'none'}>
                <td className={cell}>{r.name}</td>
                <td className={num}>{r.count}</td>
                <MeanMedianP90 stats={r.mttr} />
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </ReportSection>
  )
}
