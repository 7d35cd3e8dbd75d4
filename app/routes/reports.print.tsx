import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, isRouteErrorResponse, useLoaderData, useRouteError } from '@remix-run/react'
import type { ReactNode } from 'react'
import { ErrorPage } from '~/components/error-page'
import { PrintPage } from '~/components/print-page'
import { TableHead } from '~/components/table-head'
import { requireMember } from '~/domain/access/guard.server'
import { loadDashboard } from '~/domain/analytics/analytics.server'
import { filtersToSearchParams, parseAnalyticsFilters } from '~/domain/analytics/filters'
import { METRIC_DEFINITIONS } from '~/domain/analytics/metrics'
import type { DurationStats, MetricId } from '~/domain/analytics/types'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import { reportFilterNames } from '~/domain/report/report.server'
import {
  METRIC_LABELS,
  bucketLabel,
  describeFilters,
  describePeriod,
  formatPercent,
  formatSeconds,
} from '~/domain/report/report-text'
import { SLA_TARGET_LABELS } from '~/domain/sla/policy'
import { now as clockNow } from '~/utils/clock'
import { formatInZone } from '~/utils/time'
import type { RouteHandle } from '~/root'

/**
 * The dashboard laid out for paper: a page header with organization, period, generation time and
 * definitions version; one section per part of the dashboard, each starting a new page; tables
 * only, then the metric definitions. The app's navigation is left out (see `handle`), so the
 * browser's "Print" / "Save as PDF" gives a clean A4 document.
 */

export const handle: RouteHandle = { bare: true }

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'analytics.view')
  const organizationId = member.organization.id
  const timeZone = member.organization.timezone
  const filters = parseAnalyticsFilters(new URL(request.url).searchParams, timeZone, clockNow())
  const [dashboard, names] = await Promise.all([
    loadDashboard(context.orm, organizationId, filters, clockNow()),
    reportFilterNames(context.orm, member, [filters]),
  ])
  return {
    dashboard,
    period: describePeriod(filters, timeZone),
    filters: describeFilters(filters, names),
    generated: formatInZone(dashboard.generatedAt, timeZone),
    query: filtersToSearchParams(filters, timeZone).toString(),
    definitions: METRIC_DEFINITIONS.map((d) => ({ ...d, exclusions: [...d.exclusions] })),
  }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: data
      ? `Incident report · ${data.dashboard.organization.name} · ${data.period}`
      : 'Incident report · IncidentFlow',
  },
]

const METRICS: MetricId[] = ['mtta', 'mttm', 'mttr']
const cell = 'border border-slate-300 px-2 py-1'
const num = `${cell} text-right tabular-nums`
const tableClass = 'w-full border-collapse text-sm'

function StatsCells({ stats }: { stats: DurationStats }) {
  return (
    <>
      <td className={num}>{formatSeconds(stats.mean)}</td>
      <td className={num}>{formatSeconds(stats.median)}</td>
      <td className={num}>{formatSeconds(stats.p90)}</td>
    </>
  )
}

function Section({
  id,
  title,
  first = false,
  children,
}: {
  id: string
  title: string
  first?: boolean
  children: ReactNode
}) {
  return (
    <section
      aria-labelledby={`${id}-heading`}
      className={`space-y-3 ${first ? '' : 'print-break-before'} pt-6 print:pt-0`}
    >
      <h2 id={`${id}-heading`} className="text-xl font-bold">
        {title}
      </h2>
      {children}
    </section>
  )
}

function Empty({ columns }: { columns: number }) {
  return (
    <tr>
      <td className={cell} colSpan={columns}>
        None in this period
      </td>
    </tr>
  )
}

export default function PrintableReport() {
  const {
    dashboard: d,
    period,
    filters,
    generated,
    query,
    definitions,
  } = useLoaderData<typeof loader>()
  const bucketHead = d.filters.bucket === 'week' ? 'Week' : 'Day'
  const runningHead = `${d.organization.name} · ${period}`
  const runningFoot = `Generated ${generated} · metric definitions version ${d.definitionsVersion}`

  return (
    <PrintPage
      runningHead={runningHead}
      runningFoot={runningFoot}
      tableRules=".report-table { break-inside: auto; } .report-table thead { display: table-header-group; } .report-table tr { break-inside: avoid; }"
      instructions="Print this page (Ctrl+P or ⌘P) and choose “Save as PDF” for a clean A4 document."
      links={
        <p className="flex gap-3">
          <Link to={`/analytics?${query}`} className="underline">
            Back to analytics
          </Link>
          <Link to={`/reports?${query}`} className="underline">
            Generate PDF report
          </Link>
        </p>
      }
    >
      <main id="main">
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

        <div className="space-y-8">
          <Section id="summary" title="At a glance" first>
            <table className={`report-table ${tableClass}`}>
              <caption className="sr-only">Incidents in the period and open now</caption>
              <TableHead
                cellClassName={cell}
                columns={['Incidents in the period', 'Open now', ...SEVERITIES]}
              />
              <tbody>
                <tr>
                  <td className={num}>{d.totals.incidents}</td>
                  <td className={num}>{d.totals.open}</td>
                  {SEVERITIES.map((s) => (
                    <td key={s} className={num}>
                      {d.totals.bySeverity[s] ?? 0}
                    </td>
                  ))}
                </tr>
              </tbody>
            </table>
            <ResponseTable d={d} caption="Response times over the period" />
          </Section>

          <Section id="volume" title="Incident volume">
            <p className="text-sm text-slate-600">
              Incidents declared per {d.filters.bucket}, by severity ({d.organization.timezone}).
            </p>
            <table className={`report-table ${tableClass}`}>
              <caption className="sr-only">Incidents per {d.filters.bucket} by severity</caption>
              <TableHead cellClassName={cell} columns={[bucketHead, ...SEVERITIES, 'Total']} />
              <tbody>
                {d.volume.length === 0 ? <Empty columns={SEVERITIES.length + 2} /> : null}
                {d.volume.map((v) => (
                  <tr key={v.bucket}>
                    <td className={cell}>{bucketLabel(v.bucket, d.filters.bucket)}</td>
                    {SEVERITIES.map((s) => (
                      <td key={s} className={num}>
                        {v.counts[s] ?? 0}
                      </td>
                    ))}
                    <td className={num}>{v.total}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>

          <Section id="response" title="Response times">
            <p className="text-sm text-slate-600">
              Each metric counts only the incidents that reached that point; see the definitions at
              the end.
            </p>
            <ResponseTable d={d} caption="MTTA, MTTM and MTTR over the period" />
            <h3 className="pt-2 font-semibold">Trend per {d.filters.bucket} (median)</h3>
            <table className={`report-table ${tableClass}`}>
              <caption className="sr-only">Median response times per {d.filters.bucket}</caption>
              <TableHead
                cellClassName={cell}
                columns={[bucketHead, 'MTTA median', 'MTTM median', 'MTTR median', 'Resolved']}
              />
              <tbody>
                {d.responseTrend.length === 0 ? <Empty columns={5} /> : null}
                {d.responseTrend.map((r) => (
                  <tr key={r.bucket}>
                    <td className={cell}>{bucketLabel(r.bucket, d.filters.bucket)}</td>
                    {METRICS.map((m) => (
                      <td key={m} className={num}>
                        {formatSeconds(r[m].median)}
                      </td>
                    ))}
                    <td className={num}>{r.mttr.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>

          <Section id="sla" title="SLA compliance">
            <p className="text-sm text-slate-600">
              Compliance per target = met / (met + breached); targets not yet due are not counted.
            </p>
            <table className={`report-table ${tableClass}`}>
              <caption className="sr-only">SLA compliance per target and severity</caption>
              <TableHead
                cellClassName={cell}
                columns={['Target', 'Severity', 'Met', 'Breached', 'Compliance']}
              />
              <tbody>
                {d.slaCompliance.length === 0 ? <Empty columns={5} /> : null}
                {d.slaCompliance.map((r) => (
                  <tr key={`${r.target}-${r.severity}`}>
                    <td className={cell}>{SLA_TARGET_LABELS[r.target]}</td>
                    <td className={cell}>{r.severity}</td>
                    <td className={num}>{r.met}</td>
                    <td className={num}>{r.breached}</td>
                    <td className={num}>{formatPercent(r.compliance)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>

          <Section id="recurring" title="Recurring problems">
            {(
              [
                ['Service', d.topServices],
                ['Incident type', d.topIncidentTypes],
              ] as const
            ).map(([label, rows]) => (
              <table key={label} className={`report-table ${tableClass}`}>
                <caption className="py-1 text-left font-semibold">
                  {label === 'Service' ? 'Services' : 'Incident types'}
                </caption>
                <TableHead
                  cellClassName={cell}
                  columns={[label, 'Incidents', 'MTTR mean', 'MTTR median', 'MTTR p90']}
                />
                <tbody>
                  {rows.length === 0 ? <Empty columns={5} /> : null}
                  {rows.map((r) => (
                    <tr key={r.id ?? 'none'}>
                      <td className={cell}>{r.name}</td>
                      <td className={num}>{r.count}</td>
                      <StatsCells stats={r.mttr} />
                    </tr>
                  ))}
                </tbody>
              </table>
            ))}
          </Section>

          <Section id="people" title="People">
            <p className="text-sm text-slate-600">
              Incidents commanded and assigned per member in the period; MTTR of those commanded.
            </p>
            <table className={`report-table ${tableClass}`}>
              <caption className="sr-only">Incidents per member</caption>
              <TableHead
                cellClassName={cell}
                columns={[
                  'Member',
                  'Commanded',
                  'Assigned',
                  'MTTR mean',
                  'MTTR median',
                  'MTTR p90',
                ]}
              />
              <tbody>
                {d.people.length === 0 ? <Empty columns={6} /> : null}
                {d.people.map((p) => (
                  <tr key={p.userId}>
                    <td className={cell}>{p.name}</td>
                    <td className={num}>{p.commanded}</td>
                    <td className={num}>{p.assigned}</td>
                    <StatsCells stats={p.mttr} />
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>

          <Section id="open-age" title="Open incidents by age">
            <p className="text-sm text-slate-600">
              Incidents open at {generated}, whatever the period, by time since impact started.
            </p>
            <table className={`report-table ${tableClass}`}>
              <caption className="sr-only">Open incidents by age</caption>
              <TableHead cellClassName={cell} columns={['Age', 'Open incidents']} />
              <tbody>
                {d.openByAge.map((a) => (
                  <tr key={a.label}>
                    <td className={cell}>{a.label}</td>
                    <td className={num}>{a.count}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>

          <Section id="definitions" title={`Metric definitions (version ${d.definitionsVersion})`}>
            <dl className="space-y-3 text-sm">
              {definitions.map((definition) => (
                <div key={definition.id} className="print-avoid-break">
                  <dt className="font-semibold">{definition.name}</dt>
                  <dd>{definition.formula}</dd>
                  <dd>Counted: {definition.counts}</dd>
                  {definition.exclusions.map((exclusion) => (
                    <dd key={exclusion}>Left out: {exclusion}</dd>
                  ))}
                </div>
              ))}
            </dl>
          </Section>
        </div>
      </main>
    </PrintPage>
  )
}

function ResponseTable({
  d,
  caption,
}: {
  d: ReturnType<typeof useLoaderData<typeof loader>>['dashboard']
  caption: string
}) {
  return (
    <table className={`report-table ${tableClass}`}>
      <caption className="sr-only">{caption}</caption>
      <TableHead cellClassName={cell} columns={['Metric', 'Incidents', 'Mean', 'Median', 'p90']} />
      <tbody>
        {METRICS.map((m) => (
          <tr key={m}>
            <th scope="row" className={`${cell} text-left font-normal`}>
              {METRIC_LABELS[m]}
            </th>
            <td className={num}>{d.responseTimes[m].count}</td>
            <StatsCells stats={d.responseTimes[m]} />
          </tr>
        ))}
      </tbody>
    </table>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
