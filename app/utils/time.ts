/**
 * Formatters by locale and options (time zone included). Building an `Intl.DateTimeFormat` loads
 * ICU locale and zone data and costs about 100 µs; formatting with a built one about 2 µs, and a
 * list page formats two dates per row. The set of keys is small in practice (a few option sets
 * times the organizations' zones); the cap keeps a stream of unusual zones from growing it.
 */
const formatters = new Map<string, Intl.DateTimeFormat>()
const MAX_FORMATTERS = 500

/**
 * A shared `Intl.DateTimeFormat` for these arguments; throws like the constructor does (an
 * unknown time zone is a RangeError) and remembers only formatters that could be built.
 */
export function dateTimeFormat(locale: string, options: Intl.DateTimeFormatOptions) {
  const key = `${locale}\u0000${JSON.stringify(options)}`
  let formatter = formatters.get(key)
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, options)
    // Oldest first: Map keeps insertion order.
    if (formatters.size >= MAX_FORMATTERS) formatters.delete(formatters.keys().next().value!)
    formatters.set(key, formatter)
  }
  return formatter
}

/** How many formatters are kept (for tests). */
export function cachedFormatterCount() {
  return formatters.size
}

/** Date and time as the organization reads it, e.g. "27 Nov 2026, 14:05 CET". */
export function formatInZone(isoTime: string, timeZone: string) {
  try {
    return dateTimeFormat('en-GB', {
      timeZone,
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZoneName: 'short',
    }).format(new Date(isoTime))
  } catch {
    return `${isoTime.slice(0, 16).replace('T', ' ')} UTC`
  }
}

/** The exact instant in UTC, for a title attribute. */
export function utcTitle(isoTime: string) {
  return `${isoTime.slice(0, 19).replace('T', ' ')} UTC`
}

/** "3 h 12 min", "2 d 4 h": how long ago (or how long) in words short enough for a header. */
export function formatDuration(ms: number) {
  const minutes = Math.max(0, Math.floor(ms / 60_000))
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h ${minutes % 60} min`
  return `${Math.floor(hours / 24)} d ${hours % 24} h`
}

/** `datetime-local` input value (no zone) ↔ instant, in a given time zone. */
export function toLocalInput(isoTime: string, timeZone: string) {
  const parts = dateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(isoTime))
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '00'
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}`
}

export function fromLocalInput(value: string, timeZone: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value)
  if (!match) return null
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number]
  const guess = Date.UTC(y, mo - 1, d, h, mi)
  // The zone's offset at that wall time: format the guess in the zone and correct by the difference.
  const shown = toLocalInput(new Date(guess).toISOString(), timeZone)
  const [sy, smo, sd, sh, smi] = shown.split(/[-T:]/).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ]
  const offset = Date.UTC(sy, smo - 1, sd, sh, smi) - guess
  const result = new Date(guess - offset)
  return Number.isNaN(result.getTime()) ? null : result
}

/** A calendar date (YYYY-MM-DD) in words, e.g. "Fri 27 Nov 2026"; the text itself if it is no date. */
export function formatCalendarDay(date: string) {
  const at = new Date(`${date}T00:00:00Z`)
  if (Number.isNaN(at.getTime())) return date
  return dateTimeFormat('en-GB', {
    timeZone: 'UTC',
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  })
    .format(at)
    .replace(',', '')
}
