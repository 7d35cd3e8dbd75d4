import type { ReactNode } from 'react'
import { TableHead } from '~/components/table-head'
import { ScrollTable } from './scroll-table'

/**
 * One table of the dashboard in its scrolling region: `label` names the region (the caption's
 * words when not given), `caption` the table (for screen readers only unless `captionClassName`
 * shows it); `children` are the body rows.
 */
export function DashboardTable({
  label,
  caption,
  captionClassName = 'sr-only',
  columns,
  foot,
  children,
}: ({ label: string; caption: ReactNode } | { label?: undefined; caption: string }) & {
  captionClassName?: string
  columns: ReactNode[]
  foot?: ReactNode
  children: ReactNode
}) {
  return (
    <ScrollTable label={label ?? (caption as string)}>
      <table className="min-w-full divide-y divide-slate-200 text-sm">
        <caption className={captionClassName}>{caption}</caption>
        <TableHead columns={columns} />
        <tbody className="divide-y divide-slate-100">{children}</tbody>
        {foot ? <tfoot className="border-t-2 border-slate-200 font-medium">{foot}</tfoot> : null}
      </table>
    </ScrollTable>
  )
}

/** The one row of a table that has nothing in the period. */
export function NoIncidentsRow({ columns }: { columns: number }) {
  return (
    <tr>
      <td colSpan={columns} className="px-3 py-2 text-slate-600">
        No incidents in this period.
      </td>
    </tr>
  )
}
