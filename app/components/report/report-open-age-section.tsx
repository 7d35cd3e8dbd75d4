import { TableHead } from '~/components/table-head'
import type { Dashboard } from '~/domain/analytics/types'
import { ReportSection } from './report-section'
import { cell, num, reportTable } from './report-table'

export function ReportOpenAgeSection({
  dashboard: d,
  generated,
}: {
  dashboard: Dashboard
  generated: string
}) {
  return (
    <ReportSection id="open-age" title="Open incidents by age">
      <p className="text-sm text-slate-600">
        Incidents open at {generated}, whatever the period, by time since impact started.
      </p>
      <table className={reportTable}>
        <caption className="sr-only">Open incidents by age</caption>
        <TableHead cellClassName={cell} columns={['Age', 'Open incidents']} />
        <tbody>
          {d.openByAge.map((a) => (
            <tr key={a.label}>
              <td className={cell}>{a.label}</td>
              <td className={num}>{a.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ReportSection>
  )
}
