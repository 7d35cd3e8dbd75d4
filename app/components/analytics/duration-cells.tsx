import type { DurationStats } from '~/domain/analytics/types'
import { formatSeconds } from '~/domain/analytics/metrics'

/** Cell classes of the dashboard's tables: a text cell and a right-aligned number cell. */
export const cell = 'px-3 py-2'
export const numberCell = 'px-3 py-2 text-right tabular-nums'

/** Incidents counted, mean, median and 90th percentile of a duration. */
export function StatsCells({ stats }: { stats: DurationStats }) {
  return (
    <>
      <td className={numberCell}>{stats.count}</td>
      <td className={numberCell}>{formatSeconds(stats.mean)}</td>
      <td className={numberCell}>{formatSeconds(stats.median)}</td>
      <td className={numberCell}>{formatSeconds(stats.p90)}</td>
    </>
  )
}

/** Median and 90th percentile of a duration. */
export function DurationPair({ stats }: { stats: DurationStats }) {
  return (
    <>
      <td className={numberCell}>{formatSeconds(stats.median)}</td>
      <td className={numberCell}>{formatSeconds(stats.p90)}</td>
    </>
  )
}
