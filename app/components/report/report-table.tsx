import type { DurationStats } from '~/domain/analytics/types'
import { formatSeconds } from '~/domain/report/report-text'

/** Cell and table classes of the printed report: ruled cells, numbers right-aligned. */
export const cell = 'border border-slate-300 px-2 py-1'
export const num = `${cell} text-right tabular-nums`
export const reportTable = 'report-table w-full border-collapse text-sm'

/** Mean, median and p90 of a duration. */
export function MeanMedianP90({ stats }: { stats: DurationStats }) {
  return (
    <>
      <td className={num}>{formatSeconds(stats.mean)}</td>
      <td className={num}>{formatSeconds(stats.median)}</td>
      <td className={num}>{formatSeconds(stats.p90)}</td>
    </>
  )
}

/** The one row of a table with nothing in the period. */
export function EmptyRow({ columns }: { columns: number }) {
  return (
    <tr>
      <td className={cell} colSpan={columns}>
        None in this period
      </td>
    </tr>
  )
}
