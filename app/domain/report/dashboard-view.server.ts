import type { MikroORM } from '@mikro-orm/postgresql'
import type { Member } from '~/domain/access/guard.server'
import { loadDashboard } from '~/domain/analytics/analytics.server'
import {
  PERIOD_LABELS,
  filtersToSearchParams,
  parseAnalyticsFilters,
  periodDates,
} from '~/domain/analytics/filters'
import type { Dashboard } from '~/domain/analytics/types'
import { formatInZone } from '~/utils/time'
import { reportFilterNames } from './report.server'
import { describeFilters, describePeriod } from './report-text'

/**
 * The dashboard as its pages show it: the analytics page (/analytics) and the printed report
 * (/reports/print) read their figures and the words around them from this one function, so the
 * two show the same numbers for the same URL.
 */
export interface DashboardView {
  dashboard: Dashboard
  /** The filters as a query string, for the links between the page, its exports and reports. */
  query: string
  /** The period's first and last local day (YYYY-MM-DD), for the filter form's date inputs. */
  dates: { from: string; to: string }
  /** "Last 90 days: 2026-01-01 to 2026-03-31 (Europe/Zurich)", the page's summary line. */
  periodDays: string
  /** "Last 90 days: 1 Jan 2026 – 31 Mar 2026 (Europe/Zurich)", the report's words. */
  period: string
  /** When the figures were computed, in the organization's zone. */
  generated: string
  /** The filters besides the period in words; only when asked for (it costs a name lookup). */
  filtersText: string | null
}

export async function loadDashboardView(
  orm: MikroORM,
  member: Pick<Member, 'user' | 'role' | 'organization'>,
  searchParams: URLSearchParams,
  now: Date,
  options: { describeFilters?: boolean } = {},
): Promise<DashboardView> {
  const timeZone = member.organization.timezone
  const filters = parseAnalyticsFilters(searchParams, timeZone, now)
  const [dashboard, names] = await Promise.all([
    loadDashboard(orm, member.organization.id, filters, now),
    options.describeFilters ? reportFilterNames(orm, member, [filters]) : null,
  ])
  const dates = periodDates(filters, timeZone)
  const label =
    PERIOD_LABELS[dashboard.filters.period as keyof typeof PERIOD_LABELS] ??
    dashboard.filters.period
  return {
    dashboard,
    query: filtersToSearchParams(filters, timeZone).toString(),
    dates,
    periodDays: `${label}: ${dates.from} to ${dates.to} (${dashboard.organization.timezone})`,
    period: describePeriod(filters, timeZone),
    generated: formatInZone(dashboard.generatedAt, timeZone),
    filtersText: names ? describeFilters(filters, names) : null,
  }
}
