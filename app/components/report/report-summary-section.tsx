import { TableHead } from '~/components/table-head'
import type { Dashboard } from '~/domain/analytics/types'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import { ReportSection } from './report-section'
import { cell, num, reportTable } from './report-table'
import { ResponseTable } from './response-table'

export function ReportSummarySection({ dashboard: d }: { dashboard: Dashboard }) {
  return (
    <ReportSection id="summary" title="At a glance" first>
      <table className={reportTable}>
        <caption className="sr-only">Incidents in the period and open now</caption>
        <TableHead
          cellClassName={cell}
          columns={['Incidents in the period', 'Open now', ...SEVERITIES]}
        />
        <tbody>
          <tr>
            <td className={num}>{d.totals.incidents}</td>
            <td className={num}>{d.totals.open}</td>
            {SEVERITIES.map((s) => (
              <td key={s} className={num}>
                {d.totals.bySeverity[s] ?? 0}
              </td>
            ))}
          </tr>
        </tbody>
      </table>
      <ResponseTable dashboard={d} caption="Response times over the period" />
    </ReportSection>
  )
}
