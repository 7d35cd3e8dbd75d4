import type { DashboardView } from '~/domain/report/dashboard-view.server'
import { COUNTING_RULE, DEFINITIONS_VERSION } from '~/domain/analytics/metrics'

/** The page's title, what the figures cover and when they were computed. */
export function AnalyticsHeader({
  view,
}: {
  view: Pick<DashboardView, 'dashboard' | 'periodDays' | 'generated'>
}) {
  const { totals } = view.dashboard
  return (
    <header className="space-y-1">
      <h1 className="text-2xl font-bold">Analytics</h1>
      <p className="text-sm text-slate-600">
        {view.dashboard.organization.name} · {view.periodDays} · {totals.incidents} incidents
        declared, {totals.open} still open · generated {view.generated}
      </p>
      <p className="text-xs text-slate-500" data-testid="definitions-version">
        {`Metric definitions version ${DEFINITIONS_VERSION}`} (
        <a href="#definitions-note" className="underline">
          how they are counted
        </a>
        )
      </p>
      <p className="text-xs text-slate-500" data-testid="counting-rule">
        {`Counting rule version ${COUNTING_RULE.version}: ${COUNTING_RULE.text}`}
      </p>
    </header>
  )
}
