import type { ReactNode } from 'react'
import { TableHead } from './table-head'

/** A bordered, horizontally scrolling table: its column headers, then the rows given. */
export function DataTable({
  columns,
  cellClassName,
  children,
}: {
  columns: ReactNode[]
  cellClassName?: string
  /** The table's `<tr>` rows. */
  children: ReactNode
}) {
  return (
    <div className="relative mt-3 overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="min-w-full divide-y divide-slate-200 text-sm">
        <TableHead columns={columns} cellClassName={cellClassName} />
        <tbody className="divide-y divide-slate-100">{children}</tbody>
      </table>
    </div>
  )
}
