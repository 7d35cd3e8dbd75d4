import { RESPONSE_METRICS } from '~/domain/analytics/dashboard-figures'
import { METRIC_SHORT, bucketLabel } from '~/domain/report/report-text'
import { AnalyticsChart } from './analytics-chart'
import { AnalyticsSection, type SectionProps } from './analytics-section'
import { trendChart } from './dashboard-charts'
import { DashboardTable } from './dashboard-table'
import { DurationPair, StatsCells, cell, numberCell } from './duration-cells'

export function ResponseSection({ dashboard: d, enhanced }: SectionProps) {
  const { bucket } = d.filters
  return (
    <AnalyticsSection id="response" title="Response times" definitions={['mtta', 'mttm', 'mttr']}>
      <DashboardTable
        caption="Time to acknowledge, mitigate and resolve over the period"
        columns={['Metric', 'Incidents counted', 'Mean', 'Median', '90th pct']}
      >
        {RESPONSE_METRICS.map((m) => (
          <tr key={m}>
            <th scope="row" className={`${cell} text-left font-medium`}>
              {METRIC_SHORT[m]}
            </th>
            <StatsCells stats={d.responseTimes[m]} />
          </tr>
        ))}
      </DashboardTable>
      <h3 className="pt-2 font-semibold">Trend per {bucket}</h3>
      <AnalyticsChart
        enhanced={enhanced}
        label="Median MTTA, MTTM and MTTR per bucket, in hours"
        dashboard={d}
        build={trendChart}
      />
      <DashboardTable
        label={`Median and 90th percentile of each response time per ${bucket}`}
        caption={<>Median and 90th percentile of each response time per {bucket}</>}
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
      >
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
      </DashboardTable>
    </AnalyticsSection>
  )
}
