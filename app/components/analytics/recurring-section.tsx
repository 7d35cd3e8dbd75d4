import type { Dashboard } from '~/domain/analytics/types'
import { AnalyticsSection, type SectionProps } from './analytics-section'
import { TOP, recurringChart } from './dashboard-charts'
import { DashboardTable, NoIncidentsRow } from './dashboard-table'
import { DurationPair, cell, numberCell } from './duration-cells'

export function RecurringSection(props: SectionProps) {
  const d = props.dashboard
  return (
    <AnalyticsSection
      {...props}
      id="recurring"
      title="Recurring problems"
      definitions={['recurring', 'mttr']}
      chart={{ label: 'Incidents per service and per incident type', build: recurringChart }}
    >
      <div className="grid gap-4 lg:grid-cols-2">
        <RecurringTable
          caption={`Top services by incidents (up to ${TOP})`}
          heading="Service"
          rows={d.topServices.slice(0, TOP)}
        />
        <RecurringTable
          caption={`Top incident types by incidents (up to ${TOP})`}
          heading="Incident type"
          rows={d.topIncidentTypes.slice(0, TOP)}
        />
      </div>
    </AnalyticsSection>
  )
}

function RecurringTable({
  caption,
  heading,
  rows,
}: {
  caption: string
  heading: string
  rows: Dashboard['topServices']
}) {
  return (
    <DashboardTable
      caption={caption}
      captionClassName="px-3 py-2 text-left font-medium"
      columns={[heading, 'Incidents', 'Resolved', 'MTTR median', 'MTTR 90th pct']}
    >
      {rows.length === 0 ? (
        <NoIncidentsRow columns={5} />
      ) : (
        rows.map((r) => (
          <tr key={r.id ?? 'none'}>
            <th scope="row" className={`${cell} text-left font-normal`}>
              {r.name}
            </th>
            <td className={numberCell}>{r.count}</td>
            <td className={numberCell}>{r.mttr.count}</td>
            <DurationPair stats={r.mttr} />
          </tr>
        ))
      )}
    </DashboardTable>
  )
}
