import { AnalyticsSection, type SectionProps } from './analytics-section'
import { openAgeChart } from './dashboard-charts'
import { DashboardTable } from './dashboard-table'
import { cell, numberCell } from './duration-cells'

export function OpenAgeSection(props: SectionProps) {
  const d = props.dashboard
  return (
    <AnalyticsSection
      {...props}
      id="open-age"
      title="Open incidents by age"
      definitions={['open-age']}
      chart={{ label: 'Open incidents by time since impact started', build: openAgeChart }}
    >
      <DashboardTable
        caption="Incidents open now, by time since impact started"
        columns={['Age', 'Open incidents']}
      >
        {d.openByAge.map((a) => (
          <tr key={a.label}>
            <th scope="row" className={`${cell} text-left font-normal`}>
              {a.label}
            </th>
            <td className={numberCell}>{a.count}</td>
          </tr>
        ))}
      </DashboardTable>
    </AnalyticsSection>
  )
}
