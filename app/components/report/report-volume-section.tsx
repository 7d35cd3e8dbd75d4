import { TableHead } from '~/components/table-head'
import type { Dashboard } from '~/domain/analytics/types'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import { bucketLabel } from '~/domain/report/report-text'
import { ReportSection } from './report-section'
import { EmptyRow, cell, num, reportTable } from './report-table'

export function ReportVolumeSection({ dashboard: d }: { dashboard: Dashboard }) {
  const { bucket } = d.filters
  return (
    <ReportSection id="volume" title="Incident volume">
      <p className="text-sm text-slate-600">
        Incidents declared per {bucket}, by severity ({d.organization.timezone}).
      </p>
      <table className={reportTable}>
        <caption className="sr-only">Incidents per {bucket} by severity</caption>
        <TableHead
          cellClassName={cell}
          columns={[bucket === 'week' ? 'Week' : 'Day', ...SEVERITIES, 'Total']}
        />
        <tbody>
          {d.volume.length === 0 ? <EmptyRow columns={SEVERITIES.length + 2} /> : null}
          {d.volume.map((v) => (
            <tr key={v.bucket}>
              <td className={cell}>{bucketLabel(v.bucket, bucket)}</td>
              {SEVERITIES.map((s) => (
                <td key={s} className={num}>
                  {v.counts[s] ?? 0}
                </td>
              ))}
              <td className={num}>{v.total}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ReportSection>
  )
}
