import { TableHead } from '~/components/table-head'
import { RESPONSE_METRICS } from '~/domain/analytics/dashboard-figures'
import type { Dashboard } from '~/domain/analytics/types'
import { METRIC_LABELS } from '~/domain/report/report-text'
import { MeanMedianP90, cell, num, reportTable } from './report-table'

/** MTTA, MTTM and MTTR over the period: incidents counted, mean, median and p90. */
export function ResponseTable({
  dashboard: d,
  caption,
}: {
  dashboard: Dashboard
  caption: string
}) {
  return (
    <table className={reportTable}>
      <caption className="sr-only">{caption}</caption>
      <TableHead cellClassName={cell} columns={['Metric', 'Incidents', 'Mean', 'Median', 'p90']} />
      <tbody>
        {RESPONSE_METRICS.map((m) => (
          <tr key={m}>
            <th scope="row" className={`${cell} text-left font-normal`}>
              {METRIC_LABELS[m]}
            </th>
            <td className={num}>{d.responseTimes[m].count}</td>
            <MeanMedianP90 stats={d.responseTimes[m]} />
          </tr>
        ))}
      </tbody>
    </table>
  )
}
