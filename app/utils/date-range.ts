/**
 * The dates the product accepts from input: impact start times, report and analytics periods,
 * list filters. Outside them, date arithmetic leaves what JavaScript and PostgreSQL can represent
 * (year 10000 has no ISO string; seconds since 1900 overflow an int), and no real incident
 * happened then. Browser-safe.
 */
export const EARLIEST_DATE = '2000-01-01'
export const LATEST_DATE = '2099-12-31'

const EARLIEST_MS = Date.parse(`${EARLIEST_DATE}T00:00:00Z`)
/** Exclusive: the day after LATEST_DATE. */
const END_MS = Date.parse('2100-01-01T00:00:00Z')

export const DATE_RANGE_MESSAGE = `Use a date between ${EARLIEST_DATE} and ${LATEST_DATE}.`

export function isWithinDateRange(date: Date): boolean {
  const ms = date.getTime()
  return Number.isFinite(ms) && ms >= EARLIEST_MS && ms < END_MS
}

/**
 * Whether a value that starts like a calendar date (`YYYY-MM-DD`, with or without a time, or a
 * year of more than four digits) names a day outside the range. Values that do not look like a
 * date are left to whoever reads them.
 */
export function isDateOutsideRange(value: string): boolean {
  const match = /^\s*([+-]?\d{4,})-\d{2}-\d{2}/.exec(value)
  if (!match) return false
  const year = Number(match[1])
  return year < 2000 || year > 2099
}
