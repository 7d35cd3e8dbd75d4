import { SEVERITIES } from '~/domain/incident/vocabulary'
import { bucketLabel } from '~/domain/report/report-text'
import { AnalyticsSection, type SectionProps } from './analytics-section'
import { volumeChart } from './dashboard-charts'
import { DashboardTable } from './dashboard-table'
import { cell, numberCell } from './duration-cells'

export function VolumeSection(props: SectionProps) {
  const d = props.dashboard
  const { bucket } = d.filters
  return (
    <AnalyticsSection
      {...props}
      id="volume"
      title="Incidents over time"
      definitions={['period', 'volume']}
      chart={{ label: 'Incidents over time by severity', build: volumeChart }}
    >
      <DashboardTable
        label={`Incidents declared per ${bucket} and severity`}
        caption={<>Incidents declared per {bucket} and severity</>}
        columns={[bucket === 'day' ? 'Day' : 'Week', ...SEVERITIES, 'Total']}
        foot={
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
        }
      >
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
      </DashboardTable>
    </AnalyticsSection>
  )
}
