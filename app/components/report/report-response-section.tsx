import { TableHead } from '~/components/table-head'
import { RESPONSE_METRICS } from '~/domain/analytics/dashboard-figures'
import type { Dashboard } from '~/domain/analytics/types'
import { bucketLabel, formatSeconds } from '~/domain/report/report-text'
import { ReportSection } from './report-section'
import { EmptyRow, cell, num, reportTable } from './report-table'
import { ResponseTable } from './response-table'

export function ReportResponseSection({ dashboard: d }: { dashboard: Dashboard }) {
  const { bucket } = d.filters
  return (
    <ReportSection id="response" title="Response times">
      <p className="text-sm text-slate-600">
        Each metric counts only the incidents that reached that point; see the definitions at the
        end.
      </p>
      <ResponseTable dashboard={d} caption="MTTA, MTTM and MTTR over the period" />
      <h3 className="pt-2 font-semibold">Trend per {bucket} (median)</h3>
      <table className={reportTable}>
        <caption className="sr-only">Median response times per {bucket}</caption>
        <TableHead
          cellClassName={cell}
          columns={[
            bucket === 'week' ? 'Week' : 'Day',
            'MTTA median',
            'MTTM median',
            'MTTR median',
            'Resolved',
          ]}
        />
        <tbody>
          {d.responseTrend.length === 0 ? <EmptyRow columns={5} /> : null}
          {d.responseTrend.map((r) => (
            <tr key={r.bucket}>
              <td className={cell}>{bucketLabel(r.bucket, bucket)}</td>
              {RESPONSE_METRICS.map((m) => (
                <td key={m} className={num}>
                  {formatSeconds(r[m].median)}
                </td>
              ))}
              <td className={num}>{r.mttr.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ReportSection>
  )
}
