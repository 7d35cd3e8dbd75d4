import { TableHead } from '~/components/table-head'
import type { Dashboard } from '~/domain/analytics/types'
import { formatPercent } from '~/domain/report/report-text'
import { SLA_TARGET_LABELS } from '~/domain/sla/policy'
import { ReportSection } from './report-section'
import { EmptyRow, cell, num, reportTable } from './report-table'

export function ReportSlaSection({ dashboard: d }: { dashboard: Dashboard }) {
  return (
    <ReportSection id="sla" title="SLA compliance">
      <p className="text-sm text-slate-600">
        Compliance per target = met / (met + breached); targets not yet due are not counted.
      </p>
      <table className={reportTable}>
        <caption className="sr-only">SLA compliance per target and severity</caption>
        <TableHead
          cellClassName={cell}
          columns={['Target', 'Severity', 'Met', 'Breached', 'Compliance']}
        />
        <tbody>
          {d.slaCompliance.length === 0 ? <EmptyRow columns={5} /> : null}
          {d.slaCompliance.map((r) => (
            <tr key={`${r.target}-${r.severity}`}>
              <td className={cell}>{SLA_TARGET_LABELS[r.target]}</td>
              <td className={cell}>{r.severity}</td>
              <td className={num}>{r.met}</td>
              <td className={num}>{r.breached}</td>
              <td className={num}>{formatPercent(r.compliance)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ReportSection>
  )
}
