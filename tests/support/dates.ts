/**
 * Expected dates and times for tests of what the app prints about "now": computed from the clock
 * the app reads and written with the same ICU formatter (en-GB, whose short month for September is
 * "Sept"), so an expectation holds on any day of the year and in any machine time zone.
 *
 * A server started by the tests (in-process or end-to-end) reads this machine's clock, so a test
 * reads the clock before and after the app did and accepts each text the app could have printed
 * in between: more than one only when a minute or a day boundary passed meanwhile.
 */

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatter(locale: string, options: Intl.DateTimeFormatOptions) {
  const key = `${locale} ${JSON.stringify(options)}`
  let built = formatters.get(key)
  if (!built) {
    built = new Intl.DateTimeFormat(locale, options)
    formatters.set(key, built)
  }
  return built
}

/** The calendar day (YYYY-MM-DD) of `at` in `timeZone`. */
export function dayIn(at: Date, timeZone: string): string {
  return formatter('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    at,
  )
}

/** `day` (YYYY-MM-DD) moved by `days` calendar days: whatever the month length, DST or zone. */
export function addCalendarDays(day: string, days: number): string {
  const at = new Date(`${day}T12:00:00Z`)
  at.setUTCDate(at.getUTCDate() + days)
  return at.toISOString().slice(0, 10)
}

/** A day (YYYY-MM-DD) as reports print it: "8 Sept 2026". */
export function shortDate(day: string): string {
  return formatter('en-GB', {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  }).format(new Date(`${day}T12:00:00Z`))
}

/**
 * A rolling period of `days` days ending on the day of `at` in `timeZone`, as reports describe
 * it: "Last 90 days: 8 Sept 2026 – 6 Dec 2026 (UTC)".
 */
export function rollingPeriod(days: number, at: Date, timeZone: string): string {
  const last = dayIn(at, timeZone)
  const first = addCalendarDays(last, 1 - days)
  return `Last ${days} days: ${shortDate(first)} – ${shortDate(last)} (${timeZone})`
}

/** The first and last day (YYYY-MM-DD) of that rolling period. */
export function rollingDays(days: number, at: Date, timeZone: string) {
  const last = dayIn(at, timeZone)
  return { first: addCalendarDays(last, 1 - days), last }
}

/** An instant as the app prints date and time in a zone: "6 Dec 2026, 14:05 CET". */
export function dateTimeIn(at: Date, timeZone: string): string {
  return formatter('en-GB', {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  }).format(at)
}

/**
 * Every distinct `render(t)` for the instants t from `from` to `to`. Day boundaries fall on whole
 * minutes in every time zone, so looking at each minute boundary in between finds them all.
 */
export function textsBetween(from: Date, to: Date, render: (at: Date) => string): string[] {
  const texts = new Set([render(from)])
  for (let t = Math.floor(from.getTime() / 60_000) * 60_000 + 60_000; t <= to.getTime();) {
    texts.add(render(new Date(t)))
    t += 60_000
  }
  texts.add(render(to))
  return [...texts]
}

/** A pattern matching any one of `texts` exactly as written. */
export function oneOf(texts: readonly string[]): RegExp {
  return new RegExp(texts.map((text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'))
}

/** The instants just before and just after `work`, with its result. */
export async function timed<T>(work: () => Promise<T>) {
  const from = new Date()
  const result = await work()
  return { from, to: new Date(), result }
}
