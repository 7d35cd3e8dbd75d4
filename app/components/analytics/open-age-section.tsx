import { TableHead } from '~/components/table-head'
import type { Dashboard } from '~/domain/analytics/types'
import { AnalyticsSection } from './analytics-section'
import { ChartCanvas } from './chart-canvas'
import { openAgeChart } from './dashboard-charts'
import { cell, numberCell } from './duration-cells'
import { ScrollTable } from './scroll-table'

export function OpenAgeSection({
  dashboard: d,
  enhanced,
}: {
  dashboard: Dashboard
  enhanced: boolean
}) {
  return (
    <AnalyticsSection id="open-age" title="Open incidents by age" definitions={['open-age']}>
      {enhanced ? (
        <ChartCanvas
          label="Open incidents by time since impact started"
          dashboard={d}
          build={openAgeChart}
        />
      ) : null}
      <ScrollTable label="Incidents open now, by time since impact started">
        <table className="min-w-full divide-y divide-slate-200 text-sm">
          <caption className="sr-only">Incidents open now, by time since impact started</caption>
          <TableHead columns={['Age', 'Open incidents']} />
          <tbody className="divide-y divide-slate-100">
            {d.openByAge.map((a) => (
              <tr key={a.label}>
                <th scope="row" className={`${cell} text-left font-normal`}>
                  {a.label}
                </th>
                <td className={numberCell}>{a.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollTable>
    </AnalyticsSection>
  )
}
