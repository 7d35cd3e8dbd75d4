import type { Dashboard } from '~/domain/analytics/types'

/** The report's first lines: organization, period, filters, generation time, definitions version. */
export function ReportHeader({
  dashboard: d,
  period,
  filters,
  generated,
}: {
  dashboard: Dashboard
  period: string
  filters: string | null
  generated: string
}) {
  return (
    <header className="space-y-1 border-b-2 border-slate-800 pb-3" data-report-header>
      <p className="text-sm text-slate-600">IncidentFlow · incident report</p>
      <h1 className="text-3xl font-bold">{d.organization.name}</h1>
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 text-sm">
        <dt className="font-semibold">Period</dt>
        <dd>{period}</dd>
        <dt className="font-semibold">Filters</dt>
        <dd>{filters}</dd>
        <dt className="font-semibold">Generated</dt>
        <dd>
          <time dateTime={d.generatedAt}>{generated}</time>
        </dd>
        <dt className="font-semibold">Metric definitions</dt>
        <dd>version {d.definitionsVersion}</dd>
      </dl>
    </header>
  )
}
