import { TableHead } from '~/components/table-head'
import type { Dashboard } from '~/domain/analytics/types'
import { AnalyticsSection } from './analytics-section'
import { ChartCanvas } from './chart-canvas'
import { TOP, recurringChart } from './dashboard-charts'
import { DurationPair, cell, numberCell } from './duration-cells'
import { ScrollTable } from './scroll-table'

export function RecurringSection({
  dashboard: d,
  enhanced,
}: {
  dashboard: Dashboard
  enhanced: boolean
}) {
  return (
    <AnalyticsSection id="recurring" title="Recurring problems" definitions={['recurring', 'mttr']}>
      {enhanced ? (
        <ChartCanvas
          label="Incidents per service and per incident type"
          dashboard={d}
          build={recurringChart}
        />
      ) : null}
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
    <ScrollTable label={caption}>
      <table className="min-w-full divide-y divide-slate-200 text-sm">
        <caption className="px-3 py-2 text-left font-medium">{caption}</caption>
        <TableHead columns={[heading, 'Incidents', 'Resolved', 'MTTR median', 'MTTR 90th pct']} />
        <tbody className="divide-y divide-slate-100">
          {rows.length === 0 ? (
            <tr>
              <td colSpan={5} className={`${cell} text-slate-600`}>
                No incidents in this period.
              </td>
            </tr>
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
        </tbody>
      </table>
    </ScrollTable>
  )
}
