import { AnalyticsSection, type SectionProps } from './analytics-section'
import { peopleChart } from './dashboard-charts'
import { DashboardTable, NoIncidentsRow } from './dashboard-table'
import { DurationPair, cell, numberCell } from './duration-cells'

export function PeopleSection(props: SectionProps) {
  const d = props.dashboard
  return (
    <AnalyticsSection
      {...props}
      id="people"
      title="People"
      definitions={['people', 'mttr']}
      chart={{ label: 'Incidents commanded and assigned per member', build: peopleChart }}
    >
      <DashboardTable
        label="Incidents commanded and assigned per member"
        caption="Incidents commanded and assigned per member, with the MTTR of those commanded"
        columns={['Member', 'Commanded', 'Assigned', 'MTTR median', 'MTTR 90th pct']}
      >
        {d.people.length === 0 ? (
          <NoIncidentsRow columns={5} />
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
      </DashboardTable>
    </AnalyticsSection>
  )
}
