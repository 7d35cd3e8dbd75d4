import type { AnalyticsFilters, DurationStats, MetricId } from '../analytics/types'
import { formatDuration } from '../../utils/time'

/**
 * How reports put numbers and parameters into words. The printable page, the PDF and the list of
 * past reports all use these, so the same report reads the same everywhere.
 */

export const METRIC_LABELS: Record<MetricId, string> = {
  mtta: 'MTTA (time to acknowledge)',
  mttm: 'MTTM (time to mitigate)',
  mttr: 'MTTR (time to resolve)',
}

export const METRIC_SHORT: Record<MetricId, string> = { mtta: 'MTTA', mttm: 'MTTM', mttr: 'MTTR' }

/** "—" when nothing was counted, "45 s" under a minute, otherwise "3 h 12 min" / "2 d 4 h". */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—'
  const rounded = Math.round(seconds)
  if (rounded < 60) return `${rounded} s`
  return formatDuration(rounded * 1000)
}

/** Mean, median and p90 of a duration, in words, plus how many incidents they count. */
export function statsCells(stats: DurationStats): [string, string, string, string] {
  return [
    String(stats.count),
    formatSeconds(stats.mean),
    formatSeconds(stats.median),
    formatSeconds(stats.p90),
  ]
}

/** "93.5 %", or "—" when nothing was counted. */
export function formatPercent(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—'
  return `${(Math.round(ratio * 1000) / 10).toFixed(1)} %`
}

function formatDate(instant: Date, timeZone: string) {
  const options: Intl.DateTimeFormatOptions = {
    timeZone,
    day: 'numeric',
    month: 'short',
    year: 'numeric',
  }
  try {
    return new Intl.DateTimeFormat('en-GB', options).format(instant)
  } catch {
    return new Intl.DateTimeFormat('en-GB', { ...options, timeZone: 'UTC' }).format(instant)
  }
}

/** "Last 90 days", "Custom period", … from the period the user chose. */
export function periodLabel(period: string): string {
  const days = /^(\d+)d$/.exec(period)
  if (days) return `Last ${days[1]} days`
  const weeks = /^(\d+)w$/.exec(period)
  if (weeks) return `Last ${weeks[1]} weeks`
  const months = /^(\d+)m$/.exec(period)
  if (months) return `Last ${months[1]} months`
  if (period === 'custom' || period === '') return 'Custom period'
  return period.charAt(0).toUpperCase() + period.slice(1).replace(/[-_]/g, ' ')
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

/** "2.4 MB", "830 KB", "12 B". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—'
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
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
      return new Intl.DateTimeFormat('en-CA', {
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
