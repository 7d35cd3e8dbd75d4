import type { ReactNode } from 'react'

/** The header row of a data table: one column header per entry, in order. */
export function TableHead({
  columns,
  cellClassName = 'px-3 py-2',
}: {
  columns: ReactNode[]
  cellClassName?: string
}) {
  return (
    <thead className="bg-slate-50 text-left text-slate-600">
      <tr>
        {columns.map((column, index) => (
          <th key={index} scope="col" className={`${cellClassName} font-medium`}>
            {column}
          </th>
        ))}
      </tr>
    </thead>
  )
}

/** The header of a column of row buttons: named for screen readers, blank on screen. */
export const ACTIONS_COLUMN = (
  <span key="actions" className="sr-only">
    Actions
  </span>
)
