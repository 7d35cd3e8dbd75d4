import type { ActionItemCounts } from '~/domain/postmortem/action-items.server'
import { DashboardTable } from './dashboard-table'
import { cell, numberCell } from './duration-cells'

/** Postmortem action items open now, whatever the filters: in all and per owner. */
export function ActionItemsSection({
  actionItems,
  timeZone,
}: {
  actionItems: ActionItemCounts
  timeZone: string
}) {
  return (
    <section
      aria-labelledby="action-items-heading"
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 id="action-items-heading" className="text-lg font-semibold">
        Action items
      </h2>
      <p className="text-sm text-slate-600">
        Postmortem action items open or in progress now, whatever the filters; overdue from the day
        after their due date ({timeZone}).
      </p>
      <DashboardTable
        label="Open and overdue action items"
        caption="Open and overdue action items, in all and per owner"
        columns={['Owner', 'Open', 'Overdue']}
        foot={
          <tr>
            <th scope="row" className={`${cell} text-left`}>
              Total
            </th>
            <td className={numberCell}>{actionItems.open}</td>
            <td className={numberCell}>{actionItems.overdue}</td>
          </tr>
        }
      >
        {actionItems.owners.map((o) => (
          <tr key={o.userId ?? 'none'}>
            <th scope="row" className={`${cell} text-left font-normal`}>
              {o.name}
            </th>
            <td className={numberCell}>{o.open}</td>
            <td className={numberCell}>{o.overdue}</td>
          </tr>
        ))}
      </DashboardTable>
    </section>
  )
}
