import { TableHead } from '~/components/table-head'
import type { Dashboard } from '~/domain/analytics/types'
import { AnalyticsSection } from './analytics-section'
import { ChartCanvas } from './chart-canvas'
import { peopleChart } from './dashboard-charts'
import { DurationPair, cell, numberCell } from './duration-cells'
import { ScrollTable } from './scroll-table'

export function PeopleSection({
  dashboard: d,
  enhanced,
}: {
  dashboard: Dashboard
  enhanced: boolean
}) {
  return (
    <AnalyticsSection id="people" title="People" definitions={['people', 'mttr']}>
      {enhanced ? (
        <ChartCanvas
          label="Incidents commanded and assigned per member"
          dashboard={d}
          build={peopleChart}
        />
      ) : null}
      <ScrollTable label="Incidents commanded and assigned per member">
        <table className="min-w-full divide-y divide-slate-200 text-sm">
          <caption className="sr-only">
            Incidents commanded and assigned per member, with the MTTR of those commanded
          </caption>
          <TableHead
            columns={['Member', 'Commanded', 'Assigned', 'MTTR median', 'MTTR 90th pct']}
          />
          <tbody className="divide-y divide-slate-100">
            {d.people.length === 0 ? (
              <tr>
                <td colSpan={5} className={`${cell} text-slate-600`}>
                  No incidents in this period.
                </td>
              </tr>
            ) : (
              d.people.map((p) => (
                <tr key={p.userId}>
                  <th scope="row" className={`${cell} text-left font-normal`}>
                    {p.name}
                  </th>
                  <td className={numberCell}>{p.commanded}</td>
                  <td className={numberCell}>{p.assigned}</td>
                  <DurationPair stats={p.mttr} />
                </tr>
              ))
            )}
          </tbody>
        </table>
      </ScrollTable>
    </AnalyticsSection>
  )
}
