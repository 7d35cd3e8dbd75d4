import { TableHead } from '~/components/table-head'
import type { Dashboard } from '~/domain/analytics/types'
import { ReportSection } from './report-section'
import { EmptyRow, MeanMedianP90, cell, num, reportTable } from './report-table'

export function ReportPeopleSection({ dashboard: d }: { dashboard: Dashboard }) {
  return (
    <ReportSection id="people" title="People">
      <p className="text-sm text-slate-600">
        Incidents commanded and assigned per member in the period; MTTR of those commanded.
      </p>
      <table className={reportTable}>
        <caption className="sr-only">Incidents per member</caption>
        <TableHead
          cellClassName={cell}
          columns={['Member', 'Commanded', 'Assigned', 'MTTR mean', 'MTTR median', 'MTTR p90']}
        />
        <tbody>
          {d.people.length === 0 ? <EmptyRow columns={6} /> : null}
          {d.people.map((p) => (
            <tr key={p.userId}>
              <td className={cell}>{p.name}</td>
              <td className={num}>{p.commanded}</td>
              <td className={num}>{p.assigned}</td>
              <MeanMedianP90 stats={p.mttr} />
            </tr>
          ))}
        </tbody>
      </table>
    </ReportSection>
  )
}
