import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import type { AppLoadContext } from '@remix-run/node'
import { inScope } from '../../../db/tenant'
import { now as clockNow } from '../../utils/clock'
import { contentDisposition } from '../../utils/content-disposition'
import { requireMember } from '../access/guard.server'
import { csvCell } from '../incident/timeline-export.server'
import { OPEN_STATUSES } from '../incident/lifecycle'
import { SEVERITIES, type IncidentStatus, type Severity } from '../incident/vocabulary'
import { SLA_TARGETS, type SlaTarget } from '../sla/policy'
import { parseAnalyticsFilters, periodDates } from './filters'
import {
  DEFINITIONS_VERSION,
  METRIC_DEFINITIONS,
  OPEN_AGE_BUCKETS,
  bucketsBetween,
  compliance,
  startOfLocalDay,
} from './metrics'
import type { AnalyticsFilters, Dashboard, DurationStats, ExportIncident, MetricId } from './types'

/**
 * The analytics queries. Every number is computed by PostgreSQL under the organization's scope
 * (row-level security applies as everywhere), in one statement over the period's incidents, so a
 * dashboard is one consistent snapshot. The definitions these queries implement are in
 * metrics.ts (METRIC_DEFINITIONS) and docs/metrics.md; the speed-ups in
 * docs/decisions/013-analytics-queries.md.
 */

const METRICS: readonly MetricId[] = ['mtta', 'mttm', 'mttr']

/** Sorting 100k+ durations for percentiles needs more than the default 4 MB in memory. */
const WORK_MEM = '64MB'

/** `where` of the period's incidents; `i` is the incident table. */
function periodWhere(organizationId: string, filters: AnalyticsFilters) {
  const where = ['i.organization_id = ?', 'i.declared_at >= ?', 'i.declared_at < ?']
  const params: unknown[] = [organizationId, filters.from, filters.to]
  where.push(...facetWhere(filters, params))
  return { where: where.join(' and '), params }
}

/** The filters other than the period (the open-incident count uses these alone). */
function facetWhere(filters: AnalyticsFilters, params: unknown[]) {
  const where: string[] = []
  if (filters.severities.length > 0 && filters.severities.length < SEVERITIES.length) {
    where.push(`i.severity in (${filters.severities.map(() => '?').join(', ')})`)
    params.push(...filters.severities)
  }
  if (filters.serviceId) {
    where.push('i.service_id = ?')
    params.push(filters.serviceId)
  }
  if (filters.incidentTypeId) {
    where.push('i.incident_type_id = ?')
    params.push(filters.incidentTypeId)
  }
  if (filters.commanderId) {
    where.push('i.commander_id = ?')
    params.push(filters.commanderId)
  }
  return where
}

/** Aggregates of one duration column as a JSON object: count, mean, [median, p90]. */
const stats = (column: string) =>
  `json_build_array(count(${column}), avg(${column}),
     percentile_cont(array[0.5, 0.9]::float8[]) within group (order by ${column}))`

type StatsJson = [number, number | null, [number, number] | null]

function toStats(json: StatsJson | null | undefined): DurationStats {
  if (!json || !json[0]) return { count: 0, mean: null, median: null, p90: null }
  const [count, mean, percentiles] = json
  return {
    count: Number(count),
    mean: mean === null ? null : Number(mean),
    median: percentiles ? percentiles[0] : null,
    p90: percentiles ? percentiles[1] : null,
  }
}

const zeroSeverities = () =>
  Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>

interface AggregateRow {
  volume: Array<[number, Severity, number]> | null
  overall: { mtta: StatsJson; mttm: StatsJson; mttr: StatsJson; n: number; open: number } | null
  trend: Array<[number, StatsJson, StatsJson, StatsJson]> | null
  services: Array<[string | null, number, StatsJson]> | null
  types: Array<[string | null, number, StatsJson]> | null
  commanded: Array<[string, number, StatsJson]> | null
  assigned: Array<[string, number]> | null
  sla: Array<[Severity, number, number, number, number, number, number]> | null
}

export async function loadDashboard(
  orm: MikroORM,
  organizationId: string,
  filters: AnalyticsFilters,
  now: Date,
): Promise<Dashboard> {
  return inScope(orm, { organizationId }, async (em) => {
    await em.execute(`select set_config('work_mem', ?, true)`, [WORK_MEM])
    const [organization] = await em.execute<Array<{ id: string; name: string; timezone: string }>>(
      'select id, name, timezone from organization where id = ?',
      [organizationId],
    )
    if (!organization) throw new Response('Organization not found', { status: 404 })
    const timeZone = organization.timezone

    const buckets = bucketsBetween(filters.from, filters.to, filters.bucket, timeZone)
    // width_bucket(declared_at, starts of the 2nd … last bucket) = the bucket's index.
    const thresholds = `{${buckets
      .slice(1)
      .map((b) => startOfLocalDay(b, timeZone).toISOString())
      .join(',')}}`

    const { where, params } = periodWhere(organizationId, filters)
    const openStatuses = OPEN_STATUSES.map((s) => `'${s}'`).join(', ')
    const [row] = await em.execute<AggregateRow[]>(
      `with f as materialized (
         select i.id, i.severity, i.status, i.service_id, i.incident_type_id, i.commander_id,
                i.assignee_ids, i.sla_policy_id, i.impact_started_at,
                width_bucket(i.declared_at, ?::timestamptz[]) as b,
                coalesce(i.acknowledged_at, i.mitigated_at, i.resolved_at) as ack_at,
                coalesce(i.mitigated_at, i.resolved_at) as mit_at,
                i.resolved_at as res_at,
                case when i.acknowledged_at >= i.impact_started_at
                     then date_part('epoch', i.acknowledged_at - i.impact_started_at) end as tta,
                case when i.mitigated_at >= i.impact_started_at
                     then date_part('epoch', i.mitigated_at - i.impact_started_at) end as ttm,
                case when i.resolved_at >= i.impact_started_at
                     then date_part('epoch', i.resolved_at - i.impact_started_at) end as ttr
           from incident i
          where ${where}
       ),
       policy as (
         select p.id as policy_id, s.key as severity,
                (s.value ->> 'acknowledge')::int as ack_s,
                (s.value ->> 'mitigate')::int as mit_s,
                (s.value ->> 'resolve')::int as res_s
           from sla_policy p, jsonb_each(p.targets) s
          where p.id in (select distinct sla_policy_id from f where sla_policy_id is not null)
       ),
       sla as (
         select f.severity,
                ${SLA_TARGETS.map((t) => slaOutcomeSql(t)).join(',\n')}
           from f join policy p on p.policy_id = f.sla_policy_id and p.severity = f.severity
       )
       select
         (select json_agg(json_build_array(b, severity, n))
            from (select b, severity, count(*) as n from f group by b, severity) v) as volume,
         (select json_build_object('mtta', ${stats('tta')}, 'mttm', ${stats('ttm')},
                                   'mttr', ${stats('ttr')}, 'n', count(*),
                                   'open', count(*) filter (where status in (${openStatuses})))
            from f) as overall,
         (select json_agg(json_build_array(b, a, m, r))
            from (select b, ${stats('tta')} as a, ${stats('ttm')} as m, ${stats('ttr')} as r
                    from f group by b) t) as trend,
         (select json_agg(json_build_array(service_id, n, s))
            from (select service_id, count(*) as n, ${stats('ttr')} as s
                    from f group by service_id) t) as services,
         (select json_agg(json_build_array(incident_type_id, n, s))
            from (select incident_type_id, count(*) as n, ${stats('ttr')} as s
                    from f group by incident_type_id) t) as types,
         (select json_agg(json_build_array(commander_id, n, s))
            from (select commander_id, count(*) as n, ${stats('ttr')} as s
                    from f where commander_id is not null group by commander_id) t) as commanded,
         (select json_agg(json_build_array(user_id, n))
            from (select u.user_id, count(*) as n
                    from f, unnest(f.assignee_ids) as u(user_id) group by u.user_id) t) as assigned,
         (select json_agg(json_build_array(severity, ack_met, ack_breached, mit_met,
                                           mit_breached, res_met, res_breached))
            from (select severity,
                         count(*) filter (where acknowledge = 'met') as ack_met,
                         count(*) filter (where acknowledge = 'breached') as ack_breached,
                         count(*) filter (where mitigate = 'met') as mit_met,
                         count(*) filter (where mitigate = 'breached') as mit_breached,
                         count(*) filter (where resolve = 'met') as res_met,
                         count(*) filter (where resolve = 'breached') as res_breached
                    from sla group by severity) t) as sla`,
      [thresholds, ...params, now.toISOString(), now.toISOString(), now.toISOString()],
    )

    const openByAge = await loadOpenByAge(em, organizationId, filters, now)
    const names = await loadNames(em, row)
    return assemble({ organization, filters, buckets, row: row!, openByAge, names, now })
  })
}

const SLA_COLUMNS: Record<SlaTarget, { seconds: string; reached: string }> = {
  acknowledge: { seconds: 'ack_s', reached: 'ack_at' },
  mitigate: { seconds: 'mit_s', reached: 'mit_at' },
  resolve: { seconds: 'res_s', reached: 'res_at' },
}

/** One target's outcome (see slaOutcome in metrics.ts): 'met', 'breached', 'running' or null. */
function slaOutcomeSql(target: SlaTarget) {
  const { seconds, reached } = SLA_COLUMNS[target]
  const due = `(f.impact_started_at + p.${seconds} * interval '1 second')`
  return `case
      when p.${seconds} is null then null
      when exists (select 1 from sla_signal s where s.incident_id = f.id
                     and s.target = '${target}' and s.kind = 'breached') then 'breached'
      when f.${reached} is not null then case when f.${reached} <= ${due} then 'met' else 'breached' end
      when ?::timestamptz >= ${due} then 'breached'
      else 'running' end as ${target}`
}

async function loadOpenByAge(
  em: EntityManager,
  organizationId: string,
  filters: AnalyticsFilters,
  now: Date,
) {
  const params: unknown[] = [now.toISOString(), organizationId, ...OPEN_STATUSES]
  const where = [
    'i.organization_id = ?',
    `i.status in (${OPEN_STATUSES.map(() => '?').join(', ')})`,
    ...facetWhere(filters, params),
  ]
  const ages = OPEN_AGE_BUCKETS.slice(1).map((b) => b.minSeconds)
  const rows = await em.execute<Array<{ bucket: number; n: string }>>(
    `select width_bucket(date_part('epoch', ?::timestamptz - i.impact_started_at),
                         array[${ages.join(', ')}]::float8[]) as bucket, count(*) as n
       from incident i
      where ${where.join(' and ')}
      group by 1`,
    params,
  )
  const counts = OPEN_AGE_BUCKETS.map(() => 0)
  for (const r of rows) counts[Math.max(0, r.bucket)]! += Number(r.n)
  return OPEN_AGE_BUCKETS.map((b, i) => ({ ...b, count: counts[i]! }))
}

async function loadNames(em: EntityManager, row: AggregateRow | undefined) {
  const serviceIds = (row?.services ?? []).map((s) => s[0]).filter((id): id is string => !!id)
  const typeIds = (row?.types ?? []).map((t) => t[0]).filter((id): id is string => !!id)
  const userIds = [
    ...(row?.commanded ?? []).map((c) => c[0]),
    ...(row?.assigned ?? []).map((a) => a[0]),
  ]
  const lookup = async (table: string, column: string, ids: string[]) => {
    const map = new Map<string, string>()
    if (ids.length === 0) return map
    const rows = await em.execute<Array<{ id: string; name: string }>>(
      // Ids travel as one JSON parameter: the query layer would spread a plain array.
      `select id, ${column} as name from ${table}
        where id = any(array(select jsonb_array_elements_text(?::jsonb)::uuid))`,
      [JSON.stringify([...new Set(ids)])],
    )
    for (const r of rows) map.set(r.id, r.name)
    return map
  }
  return {
    services: await lookup('service', 'name', serviceIds),
    types: await lookup('incident_type', 'name', typeIds),
    users: await lookup('app_user', 'display_name', userIds),
  }
}

function assemble(input: {
  organization: { id: string; name: string; timezone: string }
  filters: AnalyticsFilters
  buckets: string[]
  row: AggregateRow
  openByAge: Dashboard['openByAge']
  names: Awaited<ReturnType<typeof loadNames>>
  now: Date
}): Dashboard {
  const { organization, filters, buckets, row, names } = input

  const volume = buckets.map((bucket) => ({ bucket, counts: zeroSeverities(), total: 0 }))
  const bySeverity = zeroSeverities()
  for (const [b, severity, n] of row.volume ?? []) {
    const entry = volume[b]
    if (!entry) continue
    entry.counts[severity] += Number(n)
    entry.total += Number(n)
    bySeverity[severity] += Number(n)
  }

  const empty = (): DurationStats => ({ count: 0, mean: null, median: null, p90: null })
  const trend = buckets.map((bucket) => ({ bucket, mtta: empty(), mttm: empty(), mttr: empty() }))
  for (const [b, a, m, r] of row.trend ?? []) {
    const entry = trend[b]
    if (!entry) continue
    entry.mtta = toStats(a)
    entry.mttm = toStats(m)
    entry.mttr = toStats(r)
  }

  const responseTimes = Object.fromEntries(
    METRICS.map((m) => [m, toStats(row.overall?.[m])]),
  ) as Record<MetricId, DurationStats>

  const slaCounts = new Map<Severity, number[]>()
  for (const [severity, ...counts] of row.sla ?? []) slaCounts.set(severity, counts.map(Number))
  const slaCompliance: Dashboard['slaCompliance'] = []
  SLA_TARGETS.forEach((target, t) => {
    for (const severity of SEVERITIES) {
      const counts = slaCounts.get(severity)
      const met = counts?.[t * 2] ?? 0
      const breached = counts?.[t * 2 + 1] ?? 0
      slaCompliance.push({ target, severity, met, breached, compliance: compliance(met, breached) })
    }
  })

  const byCount = <T extends { count: number; name: string }>(a: T, b: T) =>
    b.count - a.count || a.name.localeCompare(b.name)
  const topServices = (row.services ?? [])
    .map(([id, n, s]) => ({
      id,
      name: id ? (names.services.get(id) ?? 'Unknown service') : 'No service',
      count: Number(n),
      mttr: toStats(s),
    }))
    .sort(byCount)
  const topIncidentTypes = (row.types ?? [])
    .map(([id, n, s]) => ({
      id,
      name: id ? (names.types.get(id) ?? 'Unknown type') : 'No type',
      count: Number(n),
      mttr: toStats(s),
    }))
    .sort(byCount)

  const people = new Map<string, Dashboard['people'][number]>()
  const person = (userId: string) => {
    let entry = people.get(userId)
    if (!entry) {
      entry = {
        userId,
        name: names.users.get(userId) ?? 'Former member',
        commanded: 0,
        assigned: 0,
        mttr: empty(),
      }
      people.set(userId, entry)
    }
    return entry
  }
  for (const [userId, n, s] of row.commanded ?? []) {
    const entry = person(userId)
    entry.commanded = Number(n)
    entry.mttr = toStats(s)
  }
  for (const [userId, n] of row.assigned ?? []) person(userId).assigned = Number(n)

  return {
    organization,
    filters,
    definitionsVersion: DEFINITIONS_VERSION,
    generatedAt: input.now.toISOString(),
    totals: {
      incidents: Number(row.overall?.n ?? 0),
      open: Number(row.overall?.open ?? 0),
      bySeverity,
    },
    volume,
    responseTimes,
    responseTrend: trend,
    slaCompliance,
    topServices,
    topIncidentTypes,
    people: [...people.values()].sort(
      (a, b) =>
        b.commanded + b.assigned - (a.commanded + a.assigned) || a.name.localeCompare(b.name),
    ),
    openByAge: input.openByAge,
  }
}

// ---------------------------------------------------------------------------------------------
// Export

export const EXPORT_BATCH_SIZE = 1000

/**
 * The period's incidents, oldest declaration first, in batches read by keyset on
 * (declared_at, id): each batch is its own short transaction under the organization's scope, so
 * a large export never holds one transaction open while the client downloads.
 */
export async function* streamIncidentExport(
  orm: MikroORM,
  organizationId: string,
  filters: AnalyticsFilters,
  batchSize = EXPORT_BATCH_SIZE,
): AsyncIterable<ExportIncident[]> {
  let after: { declaredAt: string; id: string } | null = null
  for (;;) {
    const { where, params } = periodWhere(organizationId, filters)
    let keyset = ''
    if (after) {
      keyset = ' and (i.declared_at, i.id) > (?::timestamptz, ?::uuid)'
      params.push(after.declaredAt, after.id)
    }
    params.push(batchSize)
    const rows = await inScope(orm, { organizationId }, (em) =>
      em.execute<ExportRow[]>(
        `select i.id, i.number, i.title, i.severity, i.status, s.name as service,
                t.name as incident_type, u.display_name as commander,
                i.impact_started_at as impact_started, i.declared_at as declared,
                i.acknowledged_at, i.mitigated_at, i.resolved_at, i.closed_at,
                to_json(i.declared_at) #>> '{}' as cursor_at
           from incident i
           left join service s on s.id = i.service_id
           left join incident_type t on t.id = i.incident_type_id
           left join app_user u on u.id = i.commander_id
          where ${where}${keyset}
          order by i.declared_at, i.id
          limit ?`,
        params,
      ),
    )
    if (rows.length === 0) return
    yield rows.map(toExportIncident)
    if (rows.length < batchSize) return
    const last = rows[rows.length - 1]!
    after = { declaredAt: last.cursor_at, id: last.id }
  }
}

interface ExportRow {
  id: string
  number: number
  title: string
  severity: Severity
  status: IncidentStatus
  service: string | null
  incident_type: string | null
  commander: string | null
  impact_started: Date
  declared: Date
  acknowledged_at: Date | null
  mitigated_at: Date | null
  resolved_at: Date | null
  closed_at: Date | null
  /** declared_at with its microseconds, so the keyset never skips or repeats a row. */
  cursor_at: string
}

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null)

function seconds(from: Date, to: Date | null) {
  if (!to) return null
  const s = (new Date(to).getTime() - new Date(from).getTime()) / 1000
  return s >= 0 ? s : null
}

function toExportIncident(r: ExportRow): ExportIncident {
  return {
    number: r.number,
    title: r.title,
    severity: r.severity,
    status: r.status,
    service: r.service,
    incidentType: r.incident_type,
    commander: r.commander,
    impactStartedAt: iso(r.impact_started)!,
    declaredAt: iso(r.declared)!,
    acknowledgedAt: iso(r.acknowledged_at),
    mitigatedAt: iso(r.mitigated_at),
    resolvedAt: iso(r.resolved_at),
    closedAt: iso(r.closed_at),
    ttaSeconds: seconds(r.impact_started, r.acknowledged_at),
    ttmSeconds: seconds(r.impact_started, r.mitigated_at),
    ttrSeconds: seconds(r.impact_started, r.resolved_at),
  }
}

// ---------------------------------------------------------------------------------------------
// Export files

/** The request's member (who may export) and filters, read as the dashboard reads them. */
export async function requireExport(request: Request, context: AppLoadContext) {
  const member = await requireMember(request, context, 'export.create')
  const timeZone = member.organization.timezone
  const filters = parseAnalyticsFilters(new URL(request.url).searchParams, timeZone, clockNow())
  return { member, filters, timeZone }
}

/** "acme-incidents-2026-08-30-to-2026-11-27.csv": organization, what, and the period's days. */
export function exportFileName(
  organizationSlug: string,
  what: 'incidents' | 'metrics',
  filters: AnalyticsFilters,
  timeZone: string,
  extension: 'csv' | 'json',
) {
  const { from, to } = periodDates(filters, timeZone)
  return `${organizationSlug}-${what}-${from}-to-${to}.${extension}`
}

export function exportHeaders(contentType: string, filename: string) {
  return {
    'Content-Type': contentType,
    'Content-Disposition': contentDisposition('attachment', filename),
    'Cache-Control': 'private, no-store',
    'X-Content-Type-Options': 'nosniff',
  }
}

export const INCIDENT_CSV_COLUMNS = [
  'number',
  'title',
  'severity',
  'status',
  'service',
  'incident_type',
  'commander',
  'impact_started_at',
  'declared_at',
  'acknowledged_at',
  'mitigated_at',
  'resolved_at',
  'closed_at',
  'tta_seconds',
  'ttm_seconds',
  'ttr_seconds',
] as const

function incidentCsvLine(i: ExportIncident) {
  return [
    i.number,
    i.title,
    i.severity,
    i.status,
    i.service,
    i.incidentType,
    i.commander,
    i.impactStartedAt,
    i.declaredAt,
    i.acknowledgedAt,
    i.mitigatedAt,
    i.resolvedAt,
    i.closedAt,
    i.ttaSeconds,
    i.ttmSeconds,
    i.ttrSeconds,
  ]
    .map(csvCell)
    .join(',')
}

/** Pulls one batch per read, so memory stays flat and a slow client slows the database reads. */
function streamOf(chunks: AsyncIterable<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  const iterator = chunks[Symbol.asyncIterator]()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await iterator.next()
        if (next.done) controller.close()
        else controller.enqueue(encoder.encode(next.value))
      } catch (error) {
        controller.error(error)
      }
    },
    async cancel() {
      await iterator.return?.()
    },
  })
}

/** The filtered incidents as CSV (RFC 4180, CRLF, formula-safe cells), streamed in batches. */
export function incidentCsvStream(
  orm: MikroORM,
  organizationId: string,
  filters: AnalyticsFilters,
) {
  return streamOf(
    (async function* () {
      yield `${INCIDENT_CSV_COLUMNS.join(',')}\r\n`
      for await (const batch of streamIncidentExport(orm, organizationId, filters)) {
        yield batch.map((i) => `${incidentCsvLine(i)}\r\n`).join('')
      }
    })(),
  )
}

/** The filtered incidents as one JSON document with the filters, streamed in batches. */
export function incidentJsonStream(
  orm: MikroORM,
  organizationId: string,
  filters: AnalyticsFilters,
  now: Date,
) {
  return streamOf(
    (async function* () {
      const head = {
        format: 'incidentflow.analytics.incidents.v1',
        definitionsVersion: DEFINITIONS_VERSION,
        generatedAt: now.toISOString(),
        filters,
      }
      yield `${JSON.stringify(head).slice(0, -1)},"incidents":[`
      let first = true
      for await (const batch of streamIncidentExport(orm, organizationId, filters)) {
        const body = batch.map((i) => JSON.stringify(i)).join(',\n')
        yield first ? `\n${body}` : `,\n${body}`
        first = false
      }
      yield '\n]}\n'
    })(),
  )
}

export const METRICS_CSV_COLUMNS = [
  'definitions_version',
  'section',
  'group',
  'severity',
  'measure',
  'value',
] as const

/**
 * Every number of the dashboard as one long table (one value per row), which a spreadsheet can
 * pivot: section, group (bucket, target, service, type, member or age), severity, measure, value.
 */
export function metricsCsv(d: Dashboard) {
  const rows: Array<[string, string, string, string, number | string | null]> = []
  const stats = (section: string, group: string, prefix: string, s: DurationStats) => {
    rows.push([section, group, '', `${prefix}_count`, s.count])
    rows.push([section, group, '', `${prefix}_mean_seconds`, s.mean])
    rows.push([section, group, '', `${prefix}_median_seconds`, s.median])
    rows.push([section, group, '', `${prefix}_p90_seconds`, s.p90])
  }
  rows.push(['period', 'from', '', 'instant', d.filters.from])
  rows.push(['period', 'to', '', 'instant', d.filters.to])
  rows.push(['period', 'time_zone', '', 'name', d.organization.timezone])
  for (const v of d.volume) {
    for (const s of SEVERITIES)
      rows.push(['incidents_over_time', v.bucket, s, 'incidents', v.counts[s]])
    rows.push(['incidents_over_time', v.bucket, '', 'incidents', v.total])
  }
  for (const m of METRICS) stats('response_times', 'period', m, d.responseTimes[m])
  for (const t of d.responseTrend)
    for (const m of METRICS) stats('response_trend', t.bucket, m, t[m])
  for (const c of d.slaCompliance) {
    rows.push(['sla_compliance', c.target, c.severity, 'met', c.met])
    rows.push(['sla_compliance', c.target, c.severity, 'breached', c.breached])
    rows.push(['sla_compliance', c.target, c.severity, 'compliance', c.compliance])
  }
  for (const s of d.topServices) {
    rows.push(['top_services', s.name, '', 'incidents', s.count])
    stats('top_services', s.name, 'mttr', s.mttr)
  }
  for (const t of d.topIncidentTypes) {
    rows.push(['top_incident_types', t.name, '', 'incidents', t.count])
    stats('top_incident_types', t.name, 'mttr', t.mttr)
  }
  for (const p of d.people) {
    rows.push(['people', p.name, '', 'commanded', p.commanded])
    rows.push(['people', p.name, '', 'assigned', p.assigned])
    stats('people', p.name, 'mttr', p.mttr)
  }
  for (const a of d.openByAge) rows.push(['open_by_age', a.label, '', 'open_incidents', a.count])
  const lines = [METRICS_CSV_COLUMNS.join(',')]
  for (const row of rows) lines.push([d.definitionsVersion, ...row].map(csvCell).join(','))
  return `${lines.join('\r\n')}\r\n`
}

/** The dashboard as JSON, with the definitions its numbers follow. */
export function metricsJson(d: Dashboard) {
  return `${JSON.stringify(
    { format: 'incidentflow.analytics.metrics.v1', ...d, definitions: METRIC_DEFINITIONS },
    null,
    2,
  )}\n`
}
