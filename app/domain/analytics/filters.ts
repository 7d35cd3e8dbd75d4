import { isDateOutsideRange, isWithinDateRange } from '~/utils/date-range'
import { SEVERITIES, type Severity } from '~/domain/incident/vocabulary'
import { addDays, daysBetween, isIsoDate, isTimeZone, localDate, startOfLocalDay } from './metrics'
import type { AnalyticsFilters, Bucket } from './types'

/**
 * The analytics filters as GET parameters, so any view is a shareable URL:
 *
 *   period=7d|30d|90d|365d|custom  from=YYYY-MM-DD  to=YYYY-MM-DD  (custom: inclusive days)
 *   severity=SEV-1 (repeatable)  service=<id>  type=<id>  commander=<id>  bucket=day|week
 *
 * A value that cannot be read falls back to its default; parsing never throws. Browser-safe.
 */

export const PERIODS = ['7d', '30d', '90d', '365d', 'custom'] as const
export type Period = (typeof PERIODS)[number]
export const DEFAULT_PERIOD: Period = '90d'

export const PERIOD_LABELS: Record<Period, string> = {
  '7d': 'Last 7 days',
  '30d': 'Last 30 days',
  '90d': 'Last 90 days',
  '365d': 'Last 365 days',
  custom: 'Custom dates',
}

const PERIOD_DAYS: Record<Exclude<Period, 'custom'>, number> = {
  '7d': 7,
  '30d': 30,
  '90d': 90,
  '365d': 365,
}

/** Day buckets up to this many days; weeks beyond (unless asked for, up to MAX_DAY_BUCKETS). */
export const DAY_BUCKET_DEFAULT_MAX_DAYS = 90
const MAX_DAY_BUCKETS = 366
/** Longest custom period accepted: five years. */
export const MAX_PERIOD_DAYS = 5 * 366

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
/** An exact instant, for `from`/`to` written without a time zone at hand. */
const INSTANT_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$/

function uuidOrNull(value: string | null) {
  return value && UUID_RE.test(value) ? value.toLowerCase() : null
}

/** A custom bound: a local date (the whole day) or an exact instant, within the accepted range. */
function readBound(value: string | null, timeZone: string, end: boolean): Date | null {
  if (!value || isDateOutsideRange(value)) return null
  if (isIsoDate(value)) return startOfLocalDay(end ? addDays(value, 1) : value, timeZone)
  if (INSTANT_RE.test(value)) {
    const instant = new Date(value)
    return isWithinDateRange(instant) ? instant : null
  }
  return null
}

export function parseAnalyticsFilters(
  searchParams: URLSearchParams,
  timeZone: string,
  now: Date,
): AnalyticsFilters {
  const zone = isTimeZone(timeZone) ? timeZone : 'UTC'
  const today = localDate(now, zone)
  const tomorrow = startOfLocalDay(addDays(today, 1), zone)

  let period = (PERIODS as readonly string[]).includes(searchParams.get('period') ?? '')
    ? (searchParams.get('period') as Period)
    : DEFAULT_PERIOD
  let from: Date
  let to: Date
  const custom =
    period === 'custom'
      ? (() => {
          let a = readBound(searchParams.get('from'), zone, false)
          let b = readBound(searchParams.get('to'), zone, true)
          if (!a || !b) return null
          if (a.getTime() >= b.getTime()) {
            // Dates entered the wrong way round: read them as the days between.
            const first = readBound(searchParams.get('to'), zone, false)
            const last = readBound(searchParams.get('from'), zone, true)
            if (!first || !last || first.getTime() >= last.getTime()) return null
            a = first
            b = last
          }
          if ((b.getTime() - a.getTime()) / 86_400_000 > MAX_PERIOD_DAYS) return null
          return { a, b }
        })()
      : null
  if (custom) {
    from = custom.a
    to = custom.b
  } else {
    if (period === 'custom') period = DEFAULT_PERIOD
    const days = PERIOD_DAYS[period as Exclude<Period, 'custom'>]
    from = startOfLocalDay(addDays(today, 1 - days), zone)
    to = tomorrow
  }

  const spanDays =
    daysBetween(localDate(from, zone), localDate(new Date(to.getTime() - 1), zone)) + 1
  const askedBucket = searchParams.get('bucket')
  const bucket: Bucket =
    askedBucket === 'week'
      ? 'week'
      : askedBucket === 'day' && spanDays <= MAX_DAY_BUCKETS
        ? 'day'
        : spanDays <= DAY_BUCKET_DEFAULT_MAX_DAYS
          ? 'day'
          : 'week'

  const asked = new Set(searchParams.getAll('severity'))
  const severities: Severity[] = SEVERITIES.filter((s) => asked.has(s))

  return {
    from: from.toISOString(),
    to: to.toISOString(),
    period,
    bucket,
    severities,
    serviceId: uuidOrNull(searchParams.get('service')),
    incidentTypeId: uuidOrNull(searchParams.get('type')),
    commanderId: uuidOrNull(searchParams.get('commander')),
  }
}

/**
 * The filters back as GET parameters. With the organization's time zone, a custom period is
 * written as the local dates a person typed (`to` = last day, inclusive); without it, as the exact
 * instants (`to` = exclusive end), which parse back to the same filters in any zone.
 */
export function filtersToSearchParams(
  filters: AnalyticsFilters,
  timeZone?: string,
): URLSearchParams {
  const params = new URLSearchParams()
  params.set('period', filters.period)
  if (filters.period === 'custom') {
    if (timeZone && isTimeZone(timeZone)) {
      params.set('from', localDate(filters.from, timeZone))
      params.set('to', localDate(new Date(new Date(filters.to).getTime() - 1), timeZone))
    } else {
      params.set('from', filters.from)
      params.set('to', filters.to)
    }
  }
  for (const severity of filters.severities) params.append('severity', severity)
  if (filters.serviceId) params.set('service', filters.serviceId)
  if (filters.incidentTypeId) params.set('type', filters.incidentTypeId)
  if (filters.commanderId) params.set('commander', filters.commanderId)
  params.set('bucket', filters.bucket)
  return params
}

/** The custom period's first and last local day, for the form's date inputs. */
export function periodDates(filters: AnalyticsFilters, timeZone: string) {
  const zone = isTimeZone(timeZone) ? timeZone : 'UTC'
  return {
    from: localDate(filters.from, zone),
    to: localDate(new Date(new Date(filters.to).getTime() - 1), zone),
  }
}
