import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, Link, isRouteErrorResponse, useLoaderData, useRouteError } from '@remix-run/react'
import type { ChartConfiguration } from 'chart.js'
import { useEffect, useRef, useSyncExternalStore, type ReactNode } from 'react'
import { FilterCheckboxes, FilterSelect } from '~/components/filter-fields'
import { ErrorPage } from '~/components/error-page'
import { TableHead } from '~/components/table-head'
import { requireMember } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { listMembers } from '~/domain/access/members.server'
import { loadDashboard } from '~/domain/analytics/analytics.server'
import {
  PERIODS,
  PERIOD_LABELS,
  filtersToSearchParams,
  parseAnalyticsFilters,
  periodDates,
} from '~/domain/analytics/filters'
import {
  DEFINITION_BY_ID,
  DEFINITIONS_VERSION,
  formatPercent,
  formatSeconds,
  type DefinitionId,
} from '~/domain/analytics/metrics'
import type { Dashboard, DurationStats, MetricId } from '~/domain/analytics/types'
import { getCatalogs } from '~/domain/incident/incident-queries.server'
import { SEVERITIES, type Severity } from '~/domain/incident/vocabulary'
import { countActionItems } from '~/domain/postmortem/action-items.server'
import { SLA_TARGET_LABELS } from '~/domain/sla/policy'
import { now as clockNow } from '~/utils/clock'
import { formatInZone } from '~/utils/time'

export const meta: MetaFunction = () => [{ title: 'Analytics · IncidentFlow' }]

/** Rows shown in the recurring-problems tables; the exports carry all of them. */
const TOP = 10

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'analytics.view')
  const organizationId = member.organization.id
  const timeZone = member.organization.timezone
  const filters = parseAnalyticsFilters(new URL(request.url).searchParams, timeZone, clockNow())
  const [dashboard, catalogs, members, actionItems] = await Promise.all([
    loadDashboard(context.orm, organizationId, filters, clockNow()),
    getCatalogs(context.orm, organizationId),
    listMembers(context.orm, organizationId),
    countActionItems(context.orm, organizationId, clockNow()),
  ])
  return {
    dashboard,
    query: filtersToSearchParams(filters, timeZone).toString(),
    dates: periodDates(filters, timeZone),
    generated: formatInZone(dashboard.generatedAt, timeZone),
    canExport: can(member.role, 'export.create'),
    services: catalogs.services,
    types: catalogs.types,
    members: members.map((m) => ({ id: m.userId, name: m.displayName })),
    actionItems,
  }
}

const METRIC_LABELS: Record<MetricId, string> = { mtta: 'MTTA', mttm: 'MTTM', mttr: 'MTTR' }

const SEVERITY_COLORS: Record<Severity, string> = {
  'SEV-1': '#b91c1c',
  'SEV-2': '#ea580c',
  'SEV-3': '#ca8a04',
  'SEV-4': '#64748b',
}
const METRIC_COLORS: Record<MetricId, string> = {
  mtta: '#2f5bd3',
  mttm: '#0891b2',
  mttr: '#7c3aed',
}

const DAY_FORMAT = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  weekday: 'short',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
})
const WEEK_FORMAT = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
})

/** "Mon 23 Mar 2026" for a day bucket, "Week of 23 Mar 2026" for a week. */
function bucketLabel(bucket: string, kind: Dashboard['filters']['bucket']) {
  const date = new Date(`${bucket}T00:00:00Z`)
  return kind === 'week'
    ? `Week of ${WEEK_FORMAT.format(date)}`
    : DAY_FORMAT.format(date).replace(',', '')
}

const hours = (seconds: number | null) =>
  seconds === null ? null : Math.round((seconds / 3600) * 100) / 100

const cell = 'px-3 py-2'
const numberCell = 'px-3 py-2 text-right tabular-nums'

export default function Analytics() {
  const data = useLoaderData<typeof loader>()
  const { dashboard: d, query } = data
  const filters = d.filters
  // Charts are an enhancement: they appear once JavaScript runs; the tables are always there.
  const enhanced = useHydrated()
  const exportLink = (path: string) => `/analytics/${path}?${query}`

  return (
    <div className="space-y-8">
      <header className="space-y-1">
        <h1 className="text-2xl font-bold">Analytics</h1>
        <p className="text-sm text-slate-600">
          {d.organization.name} · {periodText(d, data.dates)} · {d.totals.incidents} incidents
          declared, {d.totals.open} still open · generated {data.generated}
        </p>
        <VersionLine />
      </header>

      <FilterForm data={data} />

      <nav aria-label="Exports and report" className="flex flex-wrap gap-2 text-sm">
        {data.canExport ? (
          <>
            <ExportLink to={exportLink('incidents.csv')}>Export incidents (CSV)</ExportLink>
            <ExportLink to={exportLink('incidents.json')}>Export incidents (JSON)</ExportLink>
            <ExportLink to={exportLink('metrics.csv')}>Export metrics (CSV)</ExportLink>
            <ExportLink to={exportLink('metrics.json')}>Export metrics (JSON)</ExportLink>
          </>
        ) : null}
        <Link
          to={`/reports/print?${query}`}
          className="rounded-md border border-slate-300 bg-white px-3 py-1.5 hover:bg-slate-50"
        >
          Printable report
        </Link>
      </nav>

      <Section id="volume" title="Incidents over time" definitions={['period', 'volume']}>
        {enhanced ? (
          <ChartCanvas label="Incidents over time by severity" dashboard={d} build={volumeChart} />
        ) : null}
        <ScrollTable label={`Incidents declared per ${filters.bucket} and severity`}>
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <caption className="sr-only">
              Incidents declared per {filters.bucket} and severity
            </caption>
            <TableHead
              columns={[filters.bucket === 'day' ? 'Day' : 'Week', ...SEVERITIES, 'Total']}
            />
            <tbody className="divide-y divide-slate-100">
              {d.volume.map((v) => (
                <tr key={v.bucket}>
                  <th scope="row" className={`${cell} text-left font-normal whitespace-nowrap`}>
                    <time dateTime={v.bucket}>{bucketLabel(v.bucket, filters.bucket)}</time>
                  </th>
                  {SEVERITIES.map((s) => (
                    <td key={s} className={numberCell}>
                      {v.counts[s]}
                    </td>
                  ))}
                  <td className={`${numberCell} font-medium`}>{v.total}</td>
                </tr>
              ))}
            </tbody>
            <tfoot className="border-t-2 border-slate-200 font-medium">
              <tr>
                <th scope="row" className={`${cell} text-left`}>
                  Total
                </th>
                {SEVERITIES.map((s) => (
                  <td key={s} className={numberCell}>
                    {d.totals.bySeverity[s]}
                  </td>
                ))}
                <td className={numberCell}>{d.totals.incidents}</td>
              </tr>
            </tfoot>
          </table>
        </ScrollTable>
      </Section>

      <Section id="response" title="Response times" definitions={['mtta', 'mttm', 'mttr']}>
        <ScrollTable label="Time to acknowledge, mitigate and resolve over the period">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <caption className="sr-only">
              Time to acknowledge, mitigate and resolve over the period
            </caption>
            <TableHead columns={['Metric', 'Incidents counted', 'Mean', 'Median', '90th pct']} />
            <tbody className="divide-y divide-slate-100">
              {(['mtta', 'mttm', 'mttr'] as const).map((m) => (
                <tr key={m}>
                  <th scope="row" className={`${cell} text-left font-medium`}>
                    {METRIC_LABELS[m]}
                  </th>
                  <StatsCells stats={d.responseTimes[m]} />
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
        <h3 className="pt-2 font-semibold">Trend per {filters.bucket}</h3>
        {enhanced ? (
          <ChartCanvas
            label="Median MTTA, MTTM and MTTR per bucket, in hours"
            dashboard={d}
            build={trendChart}
          />
        ) : null}
        <ScrollTable
          label={`Median and 90th percentile of each response time per ${filters.bucket}`}
        >
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <caption className="sr-only">
              Median and 90th percentile of each response time per {filters.bucket}
            </caption>
            <TableHead
              columns={[
                filters.bucket === 'day' ? 'Day' : 'Week',
                'MTTA median',
                'MTTA 90th pct',
                'MTTM median',
                'MTTM 90th pct',
                'MTTR median',
                'MTTR 90th pct',
                'Resolved',
              ]}
            />
            <tbody className="divide-y divide-slate-100">
              {d.responseTrend.map((t) => (
                <tr key={t.bucket}>
                  <th scope="row" className={`${cell} text-left font-normal whitespace-nowrap`}>
                    <time dateTime={t.bucket}>{bucketLabel(t.bucket, filters.bucket)}</time>
                  </th>
                  {(['mtta', 'mttm', 'mttr'] as const).map((m) => (
                    <DurationPair key={m} stats={t[m]} />
                  ))}
                  <td className={numberCell}>{t.mttr.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      </Section>

      <Section id="sla" title="SLA compliance" definitions={['sla-compliance']}>
        {enhanced ? (
          <ChartCanvas
            label="SLA compliance per target and severity, in percent"
            dashboard={d}
            build={slaChart}
          />
        ) : null}
        <ScrollTable label="Targets met and breached per severity">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <caption className="sr-only">
              SLA compliance per target and severity: met ÷ (met + breached)
            </caption>
            <TableHead columns={['Target', ...SEVERITIES]} />
            <tbody className="divide-y divide-slate-100">
              {(['acknowledge', 'mitigate', 'resolve'] as const).map((target) => (
                <tr key={target}>
                  <th scope="row" className={`${cell} text-left font-medium`}>
                    {SLA_TARGET_LABELS[target]}
                  </th>
                  {SEVERITIES.map((severity) => {
                    const c = d.slaCompliance.find(
                      (x) => x.target === target && x.severity === severity,
                    )
                    return (
                      <td key={severity} className={numberCell}>
                        {c && c.compliance !== null ? (
                          <>
                            <span className="font-medium">{formatPercent(c.compliance)}</span>{' '}
                            <span className="text-slate-600">
                              ({c.met} met, {c.breached} breached)
                            </span>
                          </>
                        ) : (
                          <span className="text-slate-500">— (none counted)</span>
                        )}
                      </td>
                    )
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      </Section>

      <Section id="recurring" title="Recurring problems" definitions={['recurring', 'mttr']}>
        {enhanced ? (
          <ChartCanvas
            label="Incidents per service and per incident type"
            dashboard={d}
            build={recurringChart}
          />
        ) : null}
        <div className="grid gap-4 lg:grid-cols-2">
          <RecurringTable
            caption={`Top services by incidents (up to ${TOP})`}
            heading="Service"
            rows={d.topServices.slice(0, TOP)}
          />
          <RecurringTable
            caption={`Top incident types by incidents (up to ${TOP})`}
            heading="Incident type"
            rows={d.topIncidentTypes.slice(0, TOP)}
          />
        </div>
      </Section>

      <Section id="people" title="People" definitions={['people', 'mttr']}>
        {enhanced ? (
          <ChartCanvas
            label="Incidents commanded and assigned per member"
            dashboard={d}
            build={peopleChart}
          />
        ) : null}
        <ScrollTable label="Incidents commanded and assigned per member">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <caption className="sr-only">
              Incidents commanded and assigned per member, with the MTTR of those commanded
            </caption>
            <TableHead
              columns={['Member', 'Commanded', 'Assigned', 'MTTR median', 'MTTR 90th pct']}
            />
            <tbody className="divide-y divide-slate-100">
              {d.people.length === 0 ? (
                <tr>
                  <td colSpan={5} className={`${cell} text-slate-600`}>
                    No incidents in this period.
                  </td>
                </tr>
              ) : (
                d.people.map((p) => (
                  <tr key={p.userId}>
                    <th scope="row" className={`${cell} text-left font-normal`}>
                      {p.name}
                    </th>
                    <td className={numberCell}>{p.commanded}</td>
                    <td className={numberCell}>{p.assigned}</td>
                    <DurationPair stats={p.mttr} />
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </ScrollTable>
      </Section>

      <Section id="open-age" title="Open incidents by age" definitions={['open-age']}>
        {enhanced ? (
          <ChartCanvas
            label="Open incidents by time since impact started"
            dashboard={d}
            build={openAgeChart}
          />
        ) : null}
        <ScrollTable label="Incidents open now, by time since impact started">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <caption className="sr-only">Incidents open now, by time since impact started</caption>
            <TableHead columns={['Age', 'Open incidents']} />
            <tbody className="divide-y divide-slate-100">
              {d.openByAge.map((a) => (
                <tr key={a.label}>
                  <th scope="row" className={`${cell} text-left font-normal`}>
                    {a.label}
                  </th>
                  <td className={numberCell}>{a.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      </Section>

      <section
        aria-labelledby="action-items-heading"
        className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
      >
        <h2 id="action-items-heading" className="text-lg font-semibold">
          Action items
        </h2>
        <p className="text-sm text-slate-600">
          Postmortem action items open or in progress now, whatever the filters; overdue from the
          day after their due date ({d.organization.timezone}).
        </p>
        <ScrollTable label="Open and overdue action items">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <caption className="sr-only">
              Open and overdue action items, in all and per owner
            </caption>
            <TableHead columns={['Owner', 'Open', 'Overdue']} />
            <tbody className="divide-y divide-slate-100">
              {data.actionItems.owners.map((o) => (
                <tr key={o.userId ?? 'none'}>
                  <th scope="row" className={`${cell} text-left font-normal`}>
                    {o.name}
                  </th>
                  <td className={numberCell}>{o.open}</td>
                  <td className={numberCell}>{o.overdue}</td>
                </tr>
              ))}
            </tbody>
            <tfoot className="border-t-2 border-slate-200 font-medium">
              <tr>
                <th scope="row" className={`${cell} text-left`}>
                  Total
                </th>
                <td className={numberCell}>{data.actionItems.open}</td>
                <td className={numberCell}>{data.actionItems.overdue}</td>
              </tr>
            </tfoot>
          </table>
        </ScrollTable>
      </section>
    </div>
  )
}

const noSubscription = () => () => {}

/** False in the server's HTML and during hydration, true once the page runs in the browser. */
function useHydrated() {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  )
}

function periodText(d: Dashboard, dates: { from: string; to: string }) {
  const label = PERIOD_LABELS[d.filters.period as keyof typeof PERIOD_LABELS] ?? d.filters.period
  return `${label}: ${dates.from} to ${dates.to} (${d.organization.timezone})`
}

function VersionLine() {
  return (
    <p className="text-xs text-slate-500" data-testid="definitions-version">
      {`Metric definitions version ${DEFINITIONS_VERSION}`} (
      <a href="#definitions-note" className="underline">
        how they are counted
      </a>
      )
    </p>
  )
}

function ExportLink({ to, children }: { to: string; children: ReactNode }) {
  // A plain link with `reloadDocument`: the browser downloads the file instead of routing.
  return (
    <Link
      to={to}
      reloadDocument
      className="rounded-md border border-slate-300 bg-white px-3 py-1.5 hover:bg-slate-50"
    >
      {children}
    </Link>
  )
}

function Section({
  id,
  title,
  definitions,
  children,
}: {
  id: string
  title: string
  definitions: DefinitionId[]
  children: ReactNode
}) {
  return (
    <section
      aria-labelledby={`${id}-heading`}
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
    >
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id={`${id}-heading`} className="text-lg font-semibold">
          {title}
        </h2>
        <span className="text-xs text-slate-500">
          {`Metric definitions version ${DEFINITIONS_VERSION}`}
        </span>
      </div>
      {children}
      <details
        className="rounded-md bg-slate-50 p-3 text-sm"
        id={id === 'volume' ? 'definitions-note' : undefined}
      >
        <summary className="cursor-pointer font-medium">
          {`How “${title}” is counted (definitions version ${DEFINITIONS_VERSION})`}
        </summary>
        <dl className="mt-2 space-y-3">
          {definitions.map((key) => {
            const def = DEFINITION_BY_ID[key]
            return (
              <div key={key}>
                <dt className="font-medium">{def.name}</dt>
                <dd className="text-slate-700">{def.formula}</dd>
                <dd className="text-slate-700">Counts: {def.counts}</dd>
                {def.exclusions.length > 0 ? (
                  <dd className="text-slate-700">
                    Leaves out:
                    <ul className="ml-5 list-disc">
                      {def.exclusions.map((e) => (
                        <li key={e}>{e}</li>
                      ))}
                    </ul>
                  </dd>
                ) : null}
              </div>
            )
          })}
        </dl>
      </details>
    </section>
  )
}

/**
 * A table taller than its box scrolls inside it: the box takes keyboard focus (and is a named
 * region) so that people without a mouse can scroll it with the arrow keys.
 */
function ScrollTable({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div
      role="region"
      aria-label={label}
      tabIndex={0}
      className="max-h-[32rem] overflow-auto rounded-md border border-slate-200"
    >
      {children}
    </div>
  )
}

function StatsCells({ stats }: { stats: DurationStats }) {
  return (
    <>
      <td className={numberCell}>{stats.count}</td>
      <td className={numberCell}>{formatSeconds(stats.mean)}</td>
      <td className={numberCell}>{formatSeconds(stats.median)}</td>
      <td className={numberCell}>{formatSeconds(stats.p90)}</td>
    </>
  )
}

function DurationPair({ stats }: { stats: DurationStats }) {
  return (
    <>
      <td className={numberCell}>{formatSeconds(stats.median)}</td>
      <td className={numberCell}>{formatSeconds(stats.p90)}</td>
    </>
  )
}

function RecurringTable({
  caption,
  heading,
  rows,
}: {
  caption: string
  heading: string
  rows: Dashboard['topServices']
}) {
  return (
    <ScrollTable label={caption}>
      <table className="min-w-full divide-y divide-slate-200 text-sm">
        <caption className="px-3 py-2 text-left font-medium">{caption}</caption>
        <TableHead columns={[heading, 'Incidents', 'Resolved', 'MTTR median', 'MTTR 90th pct']} />
        <tbody className="divide-y divide-slate-100">
          {rows.length === 0 ? (
            <tr>
              <td colSpan={5} className={`${cell} text-slate-600`}>
                No incidents in this period.
              </td>
            </tr>
          ) : (
            rows.map((r) => (
              <tr key={r.id ?? 'none'}>
                <th scope="row" className={`${cell} text-left font-normal`}>
                  {r.name}
                </th>
                <td className={numberCell}>{r.count}</td>
                <td className={numberCell}>{r.mttr.count}</td>
                <DurationPair stats={r.mttr} />
              </tr>
            ))
          )}
        </tbody>
      </table>
    </ScrollTable>
  )
}

function FilterForm({ data }: { data: ReturnType<typeof useLoaderData<typeof loader>> }) {
  const f = data.dashboard.filters
  const input = 'mt-1 block w-full rounded-md border-slate-300 text-sm'
  return (
    <Form
      method="get"
      className="rounded-lg border border-slate-200 bg-white p-4"
      aria-label="Filter analytics"
    >
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <div className="space-y-2 text-sm">
          <label className="block">
            <span className="font-medium text-slate-800">Period</span>
            <select name="period" defaultValue={f.period} className={input}>
              {PERIODS.map((p) => (
                <option key={p} value={p}>
                  {PERIOD_LABELS[p]}
                </option>
              ))}
            </select>
          </label>
          <div className="grid grid-cols-2 gap-2">
            <label className="block">
              <span className="font-medium text-slate-800">From</span>
              <input type="date" name="from" defaultValue={data.dates.from} className={input} />
            </label>
            <label className="block">
              <span className="font-medium text-slate-800">To</span>
              <input type="date" name="to" defaultValue={data.dates.to} className={input} />
            </label>
          </div>
          <p className="text-xs text-slate-500">From and To apply to “Custom dates”.</p>
        </div>
        <FilterCheckboxes
          legend="Severity"
          name="severity"
          options={SEVERITIES.map((s) => ({ value: s, label: s }))}
          checked={f.severities}
          hint="None ticked: every severity."
        />
        <div className="space-y-2 text-sm">
          <FilterSelect
            label="Service"
            name="service"
            value={f.serviceId}
            anyLabel="Any service"
            options={data.services}
            className={input}
          />
          <FilterSelect
            label="Incident type"
            name="type"
            value={f.incidentTypeId}
            anyLabel="Any type"
            options={data.types}
            className={input}
          />
        </div>
        <div className="space-y-2 text-sm">
          <FilterSelect
            label="Commander"
            name="commander"
            value={f.commanderId}
            anyLabel="Anyone"
            options={data.members}
            className={input}
          />
          <label className="block">
            <span className="font-medium text-slate-800">Buckets</span>
            <select name="bucket" defaultValue={f.bucket} className={input}>
              <option value="day">Days</option>
              <option value="week">Weeks</option>
            </select>
          </label>
        </div>
      </div>
      <div className="mt-4 flex flex-wrap gap-2">
        <button
          type="submit"
          className="rounded-md bg-brand-600 px-4 py-2 text-sm font-semibold text-white hover:bg-brand-700"
        >
          Apply
        </button>
        <Link
          to="/analytics"
          className="rounded-md border border-slate-300 px-4 py-2 text-sm hover:bg-slate-50"
        >
          Reset
        </Link>
      </div>
    </Form>
  )
}

// ---------------------------------------------------------------------------------------------
// Charts: chart.js is loaded on this page only, after hydration, and draws the tables' numbers.

function ChartCanvas({
  label,
  dashboard,
  build,
}: {
  label: string
  dashboard: Dashboard
  build: (d: Dashboard) => ChartConfiguration
}) {
  const ref = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    let cancelled = false
    let chart: { destroy: () => void } | undefined
    void import('chart.js/auto').then(({ default: Chart }) => {
      const canvas = ref.current
      if (cancelled || !canvas) return
      chart = new Chart(canvas, build(dashboard))
      canvas.dataset.drawn = 'true'
    })
    return () => {
      cancelled = true
      chart?.destroy()
    }
  }, [dashboard, build])
  return (
    <div className="relative h-64">
      <canvas ref={ref} role="img" aria-label={`Chart: ${label}. The table has the same numbers.`}>
        {label}
      </canvas>
    </div>
  )
}

const baseOptions = {
  responsive: true,
  maintainAspectRatio: false,
  animation: false,
} as const

function volumeChart(d: Dashboard): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: d.volume.map((v) => v.bucket),
      datasets: SEVERITIES.map((s) => ({
        label: s,
        data: d.volume.map((v) => v.counts[s]),
        backgroundColor: SEVERITY_COLORS[s],
      })),
    },
    options: {
      ...baseOptions,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
    },
  }
}

function trendChart(d: Dashboard): ChartConfiguration {
  return {
    type: 'line',
    data: {
      labels: d.responseTrend.map((t) => t.bucket),
      datasets: (['mtta', 'mttm', 'mttr'] as const).map((m) => ({
        label: `${METRIC_LABELS[m]} median (h)`,
        data: d.responseTrend.map((t) => hours(t[m].median)),
        borderColor: METRIC_COLORS[m],
        backgroundColor: METRIC_COLORS[m],
        spanGaps: true,
        pointRadius: 0,
      })),
    },
    options: {
      ...baseOptions,
      scales: { y: { beginAtZero: true, title: { display: true, text: 'hours' } } },
    },
  }
}

function slaChart(d: Dashboard): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: (['acknowledge', 'mitigate', 'resolve'] as const).map((t) => SLA_TARGET_LABELS[t]),
      datasets: SEVERITIES.map((s) => ({
        label: s,
        data: (['acknowledge', 'mitigate', 'resolve'] as const).map((target) => {
          const c = d.slaCompliance.find((x) => x.target === target && x.severity === s)
          return c?.compliance === null || c === undefined
            ? null
            : Math.round(c.compliance * 1000) / 10
        }),
        backgroundColor: SEVERITY_COLORS[s],
      })),
    },
    options: {
      ...baseOptions,
      scales: { y: { min: 0, max: 100, title: { display: true, text: '%' } } },
    },
  }
}

function recurringChart(d: Dashboard): ChartConfiguration {
  const services = d.topServices.slice(0, TOP)
  const types = d.topIncidentTypes.slice(0, TOP)
  return {
    type: 'bar',
    data: {
      labels: [...services.map((s) => s.name), ...types.map((t) => t.name)],
      datasets: [
        {
          label: 'Incidents per service',
          data: [...services.map((s) => s.count), ...types.map(() => null)],
          backgroundColor: '#2f5bd3',
        },
        {
          label: 'Incidents per incident type',
          data: [...services.map(() => null), ...types.map((t) => t.count)],
          backgroundColor: '#7c3aed',
        },
      ],
    },
    options: {
      ...baseOptions,
      indexAxis: 'y',
      scales: { x: { beginAtZero: true }, y: { stacked: true } },
    },
  }
}

function peopleChart(d: Dashboard): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: d.people.map((p) => p.name),
      datasets: [
        { label: 'Commanded', data: d.people.map((p) => p.commanded), backgroundColor: '#2f5bd3' },
        { label: 'Assigned', data: d.people.map((p) => p.assigned), backgroundColor: '#0891b2' },
      ],
    },
    options: { ...baseOptions, scales: { y: { beginAtZero: true } } },
  }
}

function openAgeChart(d: Dashboard): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: d.openByAge.map((a) => a.label),
      datasets: [
        {
          label: 'Open incidents',
          data: d.openByAge.map((a) => a.count),
          backgroundColor: '#b91c1c',
        },
      ],
    },
    options: { ...baseOptions, scales: { y: { beginAtZero: true } } },
  }
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
