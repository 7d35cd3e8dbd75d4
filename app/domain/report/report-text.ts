import type { AnalyticsFilters, DurationStats, MetricId } from '~/domain/analytics/types'
import { PERIOD_LABELS, type Period } from '~/domain/analytics/filters'
import { formatPercent, formatSeconds } from '~/domain/analytics/metrics'
import { dateTimeFormat } from '~/utils/time'

/**
 * How reports put numbers and parameters into words. The printable page, the PDF and the list of
 * past reports all use these, so the same report reads the same everywhere.
 */

// The dashboard's own words for durations and ratios, so a report reads like the page.
export { formatPercent, formatSeconds }

export const METRIC_LABELS: Record<MetricId, string> = {
  mtta: 'MTTA (time to acknowledge)',
  mttm: 'MTTM (time to mitigate)',
  mttr: 'MTTR (time to resolve)',
}

export const METRIC_SHORT: Record<MetricId, string> = { mtta: 'MTTA', mttm: 'MTTM', mttr: 'MTTR' }

/** Mean, median and p90 of a duration, in words, plus how many incidents they count. */
export function statsCells(stats: DurationStats): [string, string, string, string] {
  return [
    String(stats.count),
    formatSeconds(stats.mean),
    formatSeconds(stats.median),
    formatSeconds(stats.p90),
  ]
}

function formatDate(instant: Date, timeZone: string) {
  const options: Intl.DateTimeFormatOptions = {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  }
  try {
    return dateTimeFormat('en-GB', options).format(instant)
  } catch {
    return dateTimeFormat('en-GB', { ...options, timeZone: 'UTC' }).format(instant)
  }
}

/** "Last 90 days", "Custom dates", … from the period the user chose. */
export function periodLabel(period: string): string {
  if (Object.hasOwn(PERIOD_LABELS, period)) return PERIOD_LABELS[period as Period]
  const days = /^(\d+)d$/.exec(period)
  return days ? `Last ${days[1]} days` : period
}

/**
 * The period's first and last day in the organization's zone, e.g. "1 Jan 2026 – 31 Mar 2026".
 * `to` is exclusive, so the last day shown is the one just before it.
 */
export function periodRange(filters: Pick<AnalyticsFilters, 'from' | 'to'>, timeZone: string) {
  const from = new Date(filters.from)
  const lastInstant = new Date(Math.max(from.getTime(), new Date(filters.to).getTime() - 1))
  const first = formatDate(from, timeZone)
  const last = formatDate(lastInstant, timeZone)
  return first === last ? first : `${first} – ${last}`
}

/** "Last 90 days: 1 Jan 2026 – 31 Mar 2026 (Europe/Zurich)". */
export function describePeriod(
  filters: Pick<AnalyticsFilters, 'from' | 'to' | 'period'>,
  timeZone: string,
) {
  return `${periodLabel(filters.period)}: ${periodRange(filters, timeZone)} (${timeZone})`
}

/** Names for the ids a filter may carry; an id without a name reads "(removed)". */
export interface FilterNames {
  services: ReadonlyArray<{ id: string; name: string }>
  incidentTypes: ReadonlyArray<{ id: string; name: string }>
  members: ReadonlyArray<{ id: string; name: string }>
}

const nameOf = (list: ReadonlyArray<{ id: string; name: string }>, id: string) =>
  list.find((item) => item.id === id)?.name ?? '(removed)'

/** The filters besides the period, in words: "SEV-1, SEV-2 · service Checkout", or "All incidents". */
export function describeFilters(filters: AnalyticsFilters, names: FilterNames): string {
  const parts: string[] = []
  if (filters.severities.length > 0) parts.push([...filters.severities].sort().join(', '))
  if (filters.serviceId) parts.push(`service ${nameOf(names.services, filters.serviceId)}`)
  if (filters.incidentTypeId)
    parts.push(`type ${nameOf(names.incidentTypes, filters.incidentTypeId)}`)
  if (filters.commanderId) parts.push(`commander ${nameOf(names.members, filters.commanderId)}`)
  return parts.length > 0 ? parts.join(' · ') : 'All incidents'
}

/** The file name a downloaded report gets: organization, period and a short id. */
export function reportFilename(
  organizationName: string,
  filters: Pick<AnalyticsFilters, 'from' | 'to'>,
  timeZone: string,
  reportId: string,
) {
  const day = (iso: string) => {
    try {
      return dateTimeFormat('en-CA', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      }).format(new Date(iso))
    } catch {
      return iso.slice(0, 10)
    }
  }
  const lastInstant = new Date(new Date(filters.to).getTime() - 1).toISOString()
  const org =
    organizationName
      .normalize('NFKD')
      .replace(/[^\w\s-]/g, '')
      .trim()
      .replace(/\s+/g, '-')
      .slice(0, 60) || 'organization'
  return `incident-report-${org}-${day(filters.from)}-to-${day(lastInstant)}-${reportId.slice(0, 8)}.pdf`
}

/** A report's status as a word. */
export const REPORT_STATUS_WORDS = {
  queued: 'Queued',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
} as const satisfies Record<'queued' | 'running' | 'done' | 'failed', string>

/** "Fri 2 Jan 2026" for a day bucket, "Week of 29 Dec 2025" for a week (bucket = YYYY-MM-DD). */
export function bucketLabel(bucket: string, kind: 'day' | 'week') {
  const date = new Date(`${bucket}T00:00:00Z`)
  if (Number.isNaN(date.getTime())) return bucket
  const day = dateTimeFormat('en-GB', {
    timeZone: 'UTC',
    weekday: kind === 'day' ? 'short' : undefined,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  })
    .format(date)
    .replace(',', '')
  return kind === 'week' ? `Week of ${day}` : day
}
