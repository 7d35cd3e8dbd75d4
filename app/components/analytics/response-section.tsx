import { TableHead } from '~/components/table-head'
import { RESPONSE_METRICS } from '~/domain/analytics/dashboard-figures'
import type { Dashboard } from '~/domain/analytics/types'
import { METRIC_SHORT, bucketLabel } from '~/domain/report/report-text'
import { AnalyticsSection } from './analytics-section'
import { ChartCanvas } from './chart-canvas'
import { trendChart } from './dashboard-charts'
import { DurationPair, StatsCells, cell, numberCell } from './duration-cells'
import { ScrollTable } from './scroll-table'

export function ResponseSection({
  dashboard: d,
  enhanced,
}: {
  dashboard: Dashboard
  enhanced: boolean
}) {
  const { bucket } = d.filters
  return (
    <AnalyticsSection id="response" title="Response times" definitions={['mtta', 'mttm', 'mttr']}>
      <ScrollTable label="Time to acknowledge, mitigate and resolve over the period">
        <table className="min-w-full divide-y divide-slate-200 text-sm">
          <caption className="sr-only">
            Time to acknowledge, mitigate and resolve over the period
          </caption>
          <TableHead columns={['Metric', 'Incidents counted', 'Mean', 'Median', '90th pct']} />
          <tbody className="divide-y divide-slate-100">
            {RESPONSE_METRICS.map((m) => (
              <tr key={m}>
                <th scope="row" className={`${cell} text-left font-medium`}>
                  {METRIC_SHORT[m]}
                </th>
                <StatsCells stats={d.responseTimes[m]} />
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollTable>
      <h3 className="pt-2 font-semibold">Trend per {bucket}</h3>
      {enhanced ? (
        <ChartCanvas
          label="Median MTTA, MTTM and MTTR per bucket, in hours"
          dashboard={d}
          build={trendChart}
        />
      ) : null}
      <ScrollTable label={`Median and 90th percentile of each response time per ${bucket}`}>
        <table className="min-w-full divide-y divide-slate-200 text-sm">
          <caption className="sr-only">
            Median and 90th percentile of each response time per {bucket}
          </caption>
          <TableHead
            columns={[
              bucket === 'day' ? 'Day' : 'Week',
              'MTTA median',
              'MTTA 90th pct',
              'MTTM median',
              'MTTM 90th pct',
              'MTTR median',
              'MTTR 90th pct',
              'Resolved',
            ]}
          />
          <tbody className="divide-y divide-slate-100">
            {d.responseTrend.map((t) => (
              <tr key={t.bucket}>
                <th scope="row" className={`${cell} text-left font-normal whitespace-nowrap`}>
                  <time dateTime={t.bucket}>{bucketLabel(t.bucket, bucket)}</time>
                </th>
                {RESPONSE_METRICS.map((m) => (
                  <DurationPair key={m} stats={t[m]} />
                ))}
                <td className={numberCell}>{t.mttr.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollTable>
    </AnalyticsSection>
  )
}
