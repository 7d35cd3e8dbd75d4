import { TableHead } from '~/components/table-head'
import type { Dashboard } from '~/domain/analytics/types'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import { bucketLabel } from '~/domain/report/report-text'
import { AnalyticsSection } from './analytics-section'
import { ChartCanvas } from './chart-canvas'
import { volumeChart } from './dashboard-charts'
import { cell, numberCell } from './duration-cells'
import { ScrollTable } from './scroll-table'

export function VolumeSection({
  dashboard: d,
  enhanced,
}: {
  dashboard: Dashboard
  enhanced: boolean
}) {
  const { bucket } = d.filters
  return (
    <AnalyticsSection id="volume" title="Incidents over time" definitions={['period', 'volume']}>
      {enhanced ? (
        <ChartCanvas label="Incidents over time by severity" dashboard={d} build={volumeChart} />
      ) : null}
      <ScrollTable label={`Incidents declared per ${bucket} and severity`}>
        <table className="min-w-full divide-y divide-slate-200 text-sm">
          <caption className="sr-only">Incidents declared per {bucket} and severity</caption>
          <TableHead columns={[bucket === 'day' ? 'Day' : 'Week', ...SEVERITIES, 'Total']} />
          <tbody className="divide-y divide-slate-100">
            {d.volume.map((v) => (
              <tr key={v.bucket}>
                <th scope="row" className={`${cell} text-left font-normal whitespace-nowrap`}>
                  <time dateTime={v.bucket}>{bucketLabel(v.bucket, bucket)}</time>
                </th>
                {SEVERITIES.map((s) => (
                  <td key={s} className={numberCell}>
                    {v.counts[s]}
                  </td>
                ))}
                <td className={`${numberCell} font-medium`}>{v.total}</td>
              </tr>
            ))}
          </tbody>
          <tfoot className="border-t-2 border-slate-200 font-medium">
            <tr>
              <th scope="row" className={`${cell} text-left`}>
                Total
              </th>
              {SEVERITIES.map((s) => (
                <td key={s} className={numberCell}>
                  {d.totals.bySeverity[s]}
                </td>
              ))}
              <td className={numberCell}>{d.totals.incidents}</td>
            </tr>
          </tfoot>
        </table>
      </ScrollTable>
    </AnalyticsSection>
  )
}
