import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import type { AppLoadContext } from '@remix-run/node'
import { inScope } from '../../../db/tenant'
import { memberName } from '~/domain/access/person-name'
import { now as clockNow } from '~/utils/clock'
import { contentDisposition } from '~/utils/content-disposition'
import { requireMember } from '~/domain/access/guard.server'
import { csvCell } from '~/domain/incident/timeline-export.server'
import {
  activeFields,
  customFieldDefinitions,
} from '~/domain/custom-fields/custom-field-definitions.server'
import {
  customFieldsByKey,
  formatCustomFieldValue,
  type CustomFieldDefinition,
  type CustomFieldValues,
} from '~/domain/custom-fields/custom-field-values'
import { memberDirectory } from '~/domain/reference/reference-data.server'
import { SEVERITIES, type IncidentStatus, type Severity } from '~/domain/incident/vocabulary'
import { SLA_TARGETS, type SlaTarget } from '~/domain/sla/policy'
import { parseAnalyticsFilters, periodDates } from './filters'
import { linkText } from '~/domain/incident/classification'
import type { Classification, LinkKind } from '~/domain/incident/events'
import {
  COUNTING_RULE,
  DEFINITIONS_VERSION,
  METRIC_DEFINITIONS,
  OPEN_AGE_BUCKETS,
  bucketsBetween,
  compliance,
  percentileCont,
  startOfLocalDay,
} from './metrics'
import type { AnalyticsFilters, Dashboard, DurationStats, ExportIncident, MetricId } from './types'
import { countActionItems, type ActionItemCounts } from '~/domain/postmortem/action-items.server'

/**
 * The analytics queries, under the organization's scope (row-level security applies as
 * everywhere). The dashboard reads the period's analytics facts (one packed record per incident,
 * kept in step with every change by triggers; db/migrations/0006-analytics.ts) in one aggregate,
 * then computes every table here in one pass. The definitions implemented are in metrics.ts
 * (METRIC_DEFINITIONS) and docs/metrics.md; why it is done this way, with measurements, in
 * docs/decisions/013-analytics-queries.md.
 */

const METRICS: readonly MetricId[] = ['mtta', 'mttm', 'mttr']

/** Concatenating a quarter of a million records needs more than the default 4 MB in memory. */
const WORK_MEM = '64MB'

/** Seconds between 1970-01-01 and 2000-01-01, the epoch of the fact records' times. */
const EPOCH_2000 = 946_684_800

const toRecordSeconds = (instant: string | Date) =>
  Math.floor(new Date(instant).getTime() / 1000) - EPOCH_2000

/** `where` of the period's incidents; `i` is the incident table. */
export function periodWhere(organizationId: string, filters: AnalyticsFilters) {
  const where = ['i.organization_id = ?', 'i.declared_at >= ?', 'i.declared_at < ?']
  const params: unknown[] = [organizationId, filters.from, filters.to]
  where.push(...facetWhere(filters, params))
  return { where: where.join(' and '), params }
}

/** The filters other than the period (open incidents by age use these alone). */
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

/**
 * The analytics facts of the period's incidents, decoded column by column. The binary layout is
 * written by `analytics_refresh` (db/migrations/0006-analytics.ts).
 */
export interface Facts {
  n: number
  /** Declared at, whole seconds since 2000-01-01 UTC. */
  declared: Int32Array
  severity: Uint8Array
  open: Uint8Array
  /** SLA code per target (0 none, 1 met, 2 breached, 3 not reached) and due time when 3. */
  sla: Record<SlaTarget, { code: Uint8Array; due: Int32Array }>
  service: Int32Array
  type: Int32Array
  commander: Int32Array
  /** Durations in whole seconds, −1 when not counted. */
  durations: Record<MetricId, Int32Array>
  /** Assignees of record k: assignees[assigneeStart[k] … assigneeStart[k + 1]). */
  assigneeStart: Int32Array
  assignees: Int32Array
}

const MIN_RECORD_BYTES = 32

/** The offset of the record after the one at `o`. */
function skipRecord(view: DataView, o: number, flags: number) {
  let next = o + 30
  for (let t = 0; t < 3; t++) if (((flags >> (3 + 2 * t)) & 3) === 3) next += 4
  return next + 2 + 4 * view.getUint16(next)
}

/** Which records to keep while decoding: the period, and the filters as dimension numbers. */
export interface RecordFilter {
  /** Declared at from (inclusive) and to (exclusive), whole seconds since 2000-01-01 UTC. */
  from: number
  to: number
  /** Bit s set: severity s kept (0 = SEV-1). */
  severities: number
  service: number | null
  type: number | null
  commander: number | null
}

/** Decodes the records of one buffer or several (e.g. one per day page), keeping `keep`'s. */
export function decodeFacts(input: Uint8Array | readonly Uint8Array[], keep?: RecordFilter): Facts {
  const buffers = input instanceof Uint8Array ? [input] : input
  const bytes = buffers.reduce((total, b) => total + b.byteLength, 0)
  const capacity = Math.floor(bytes / MIN_RECORD_BYTES)
  const ints = () => new Int32Array(capacity)
  const small = () => new Uint8Array(capacity)
  const facts: Facts = {
    n: 0,
    declared: ints(),
    severity: small(),
    open: small(),
    sla: {
      acknowledge: { code: small(), due: ints() },
      mitigate: { code: small(), due: ints() },
      resolve: { code: small(), due: ints() },
    },
    service: ints(),
    type: ints(),
    commander: ints(),
    durations: { mtta: ints(), mttm: ints(), mttr: ints() },
    assigneeStart: new Int32Array(capacity + 1),
    assignees: new Int32Array(Math.max(16, capacity >> 2)),
  }
  const targets = SLA_TARGETS.map((t) => facts.sla[t])
  let k = 0
  let a = 0
  for (const buffer of buffers) {
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    let o = 0
    while (o < buffer.byteLength) {
      const declared = view.getInt32(o)
      const flags = view.getUint16(o + 4)
      if (
        keep &&
        (declared < keep.from ||
          declared >= keep.to ||
          !((keep.severities >> (flags & 3)) & 1) ||
          (keep.service !== null && view.getInt32(o + 6) !== keep.service) ||
          (keep.type !== null && view.getInt32(o + 10) !== keep.type) ||
          (keep.commander !== null && view.getInt32(o + 14) !== keep.commander))
      ) {
        o = skipRecord(view, o, flags)
        continue
      }
      facts.declared[k] = declared
      facts.severity[k] = flags & 3
      facts.open[k] = (flags >> 2) & 1
      facts.service[k] = view.getInt32(o + 6)
      facts.type[k] = view.getInt32(o + 10)
      facts.commander[k] = view.getInt32(o + 14)
      facts.durations.mtta[k] = view.getInt32(o + 18)
      facts.durations.mttm[k] = view.getInt32(o + 22)
      facts.durations.mttr[k] = view.getInt32(o + 26)
      o += 30
      for (let t = 0; t < 3; t++) {
        const target = targets[t]!
        const code = (flags >> (3 + 2 * t)) & 3
        target.code[k] = code
        if (code === 3) {
          target.due[k] = view.getInt32(o)
          o += 4
        }
      }
      const count = view.getUint16(o)
      o += 2
      facts.assigneeStart[k] = a
      if (a + count > facts.assignees.length) {
        const grown = new Int32Array(Math.max(facts.assignees.length * 2, a + count))
        grown.set(facts.assignees)
        facts.assignees = grown
      }
      for (let i = 0; i < count; i++, o += 4) facts.assignees[a++] = view.getInt32(o)
      k++
    }
  }
  facts.assigneeStart[k] = a
  facts.n = k
  return facts
}

const EMPTY_STATS: DurationStats = { count: 0, mean: null, median: null, p90: null }

/**
 * The k-th smallest of values[lo … hi) (Hoare's selection), leaving smaller values before
 * index k and larger ones after it: linear time, where sorting would be n·log n.
 */
function select(values: Int32Array, k: number, lo: number, hi: number): number {
  let left = lo
  let right = hi - 1
  while (right > left) {
    const pivot = values[(left + right) >> 1]!
    let i = left
    let j = right
    while (i <= j) {
      while (values[i]! < pivot) i++
      while (values[j]! > pivot) j--
      if (i <= j) {
        const t = values[i]!
        values[i] = values[j]!
        values[j] = t
        i++
        j--
      }
    }
    if (k <= j) right = j
    else if (k >= i) left = i
    else break
  }
  return values[k]!
}

/**
 * percentile_cont(p) of all of `values`, selecting only within [0, hi): the caller knows every
 * rank needed lies there (see `select`). Reorders the values.
 */
function percentileInPlace(values: Int32Array, p: number, hi = values.length) {
  const position = p * (values.length - 1)
  const below = Math.floor(position)
  const a = select(values, below, 0, hi)
  if (below === position) return a
  // The next rank is the smallest value after `below`, which selection left to its right.
  let b = values[below + 1]!
  for (let i = below + 2; i < values.length; i++) if (values[i]! < b) b = values[i]!
  return a + (b - a) * (position - below)
}

/** Mean, median and p90 of whole-second durations, as percentileCont computes them. */
function statsOf(values: Int32Array, sum: number): DurationStats {
  const n = values.length
  if (n === 0) return EMPTY_STATS
  if (n <= 64) {
    values.sort()
    return {
      count: n,
      mean: sum / n,
      median: percentileCont(values, 0.5),
      p90: percentileCont(values, 0.9),
    }
  }
  // p90 first: selecting it leaves the lower 90 % (and the median's ranks) to its left.
  const p90 = percentileInPlace(values, 0.9)
  const median = percentileInPlace(values, 0.5, Math.floor(0.9 * (n - 1)) + 1)
  return { count: n, mean: sum / n, median, p90 }
}

/**
 * Duration stats per group: keys[k] in 0 … groups−1 is record k's group, and values[k] ≥ 0 is
 * counted. One counting sort by group, then each group's slice on its own.
 */
function groupedStats(
  keys: Int32Array,
  values: Int32Array,
  n: number,
  groups: number,
  overall?: { stats: DurationStats },
): DurationStats[] {
  const starts = new Int32Array(groups + 1)
  for (let k = 0; k < n; k++) if (values[k]! >= 0) starts[keys[k]! + 1]!++
  for (let g = 0; g < groups; g++) starts[g + 1]! += starts[g]!
  const next = starts.slice(0, groups)
  const grouped = new Int32Array(starts[groups]!)
  const sums = new Float64Array(groups)
  for (let k = 0; k < n; k++) {
    const v = values[k]!
    if (v < 0) continue
    const g = keys[k]!
    grouped[next[g]!++] = v
    sums[g]! += v
  }
  const result: DurationStats[] = []
  for (let g = 0; g < groups; g++)
    result.push(statsOf(grouped.subarray(starts[g]!, starts[g + 1]!), sums[g]!))
  // Every counted value is in `grouped` (reordered within groups), so the overall stats need
  // no second collection pass.
  if (overall)
    overall.stats = statsOf(
      grouped,
      sums.reduce((a, b) => a + b, 0),
    )
  return result
}

/** Dense indexes for dimension numbers (0 = none → −1), in order of first appearance. */
function denseIndex(values: Int32Array, n: number) {
  let max = 0
  for (let k = 0; k < n; k++) if (values[k]! > max) max = values[k]!
  // Dimension numbers are positive integers, usually small: a lookup table beats a Map per
  // record, unless the numbers have grown too large for one.
  const table = max <= 1 << 20 ? new Int32Array(max + 1).fill(-1) : null
  const map = table ? null : new Map<number, number>()
  const numbers: number[] = []
  const dense = new Int32Array(n)
  for (let k = 0; k < n; k++) {
    const v = values[k]!
    if (v <= 0) {
      dense[k] = -1
      continue
    }
    let i = table ? table[v]! : (map!.get(v) ?? -1)
    if (i < 0) {
      i = numbers.length
      if (table) table[v] = i
      else map!.set(v, i)
      numbers.push(v)
    }
    dense[k] = i
  }
  return { dense, numbers }
}

/** Index of the last threshold ≤ value (thresholds ascending), i.e. the value's bucket. */
function bucketOf(thresholds: Int32Array, value: number) {
  let lo = 0
  let hi = thresholds.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (thresholds[mid]! <= value) lo = mid + 1
    else hi = mid
  }
  return lo - 1
}

const zeroSeverities = () =>
  Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>

/**
 * Every table of the dashboard from the period's facts. Pure: the caller has already narrowed
 * the facts to the period and filters, and resolves dimension numbers to names.
 */
export function aggregateFacts(
  facts: Facts,
  input: { buckets: string[]; bucketStarts: Date[]; now: Date },
) {
  const { n } = facts
  const thresholds = Int32Array.from(input.bucketStarts, (d) => toRecordSeconds(d))
  const bucket = new Int32Array(n)
  const severities = SEVERITIES.length
  const counts = new Int32Array(input.buckets.length * severities)
  let open = 0
  for (let k = 0; k < n; k++) {
    const b = Math.max(0, bucketOf(thresholds, facts.declared[k]!))
    bucket[k] = b
    counts[b * severities + facts.severity[k]!]!++
    open += facts.open[k]!
  }
  const bySeverity = zeroSeverities()
  const volume = input.buckets.map((b, i) => {
    const entry = { bucket: b, counts: zeroSeverities(), total: 0 }
    SEVERITIES.forEach((severity, s) => {
      const c = counts[i * severities + s]!
      entry.counts[severity] = c
      entry.total += c
      bySeverity[severity] += c
    })
    return entry
  })

  const responseTimes = {} as Record<MetricId, DurationStats>
  const trendStats = {} as Record<MetricId, DurationStats[]>
  for (const m of METRICS) {
    const overall = { stats: EMPTY_STATS }
    trendStats[m] = groupedStats(bucket, facts.durations[m], n, input.buckets.length, overall)
    responseTimes[m] = overall.stats
  }
  const responseTrend = input.buckets.map((b, i) => ({
    bucket: b,
    mtta: trendStats.mtta[i]!,
    mttm: trendStats.mttm[i]!,
    mttr: trendStats.mttr[i]!,
  }))

  const nowSeconds = toRecordSeconds(input.now)
  const slaCompliance: Dashboard['slaCompliance'] = []
  for (const target of SLA_TARGETS) {
    const met = new Int32Array(SEVERITIES.length)
    const breached = new Int32Array(SEVERITIES.length)
    const { code, due } = facts.sla[target]
    for (let k = 0; k < n; k++) {
      const c = code[k]!
      if (c === 1) met[facts.severity[k]!]!++
      else if (c === 2 || (c === 3 && nowSeconds >= due[k]!)) breached[facts.severity[k]!]!++
    }
    SEVERITIES.forEach((severity, s) =>
      slaCompliance.push({
        target,
        severity,
        met: met[s]!,
        breached: breached[s]!,
        compliance: compliance(met[s]!, breached[s]!),
      }),
    )
  }

  const byDimension = (values: Int32Array) => {
    // Dense group indexes; records without one ("No service") go last.
    const { dense, numbers } = denseIndex(values, n)
    const none = numbers.length
    for (let k = 0; k < n; k++) if (dense[k]! < 0) dense[k] = none
    const counts = new Int32Array(none + 1)
    for (let k = 0; k < n; k++) counts[dense[k]!]!++
    const stats = groupedStats(dense, facts.durations.mttr, n, none + 1)
    return [...numbers, 0]
      .map((no, i) => ({ no, count: counts[i]!, mttr: stats[i]! }))
      .filter((g) => g.count > 0)
  }

  const assigned = new Map<number, number>()
  for (let i = 0; i < facts.assigneeStart[n]!; i++) {
    const no = facts.assignees[i]!
    assigned.set(no, (assigned.get(no) ?? 0) + 1)
  }

  return {
    totals: { incidents: n, open, bySeverity },
    volume,
    responseTimes,
    responseTrend,
    slaCompliance,
    services: byDimension(facts.service),
    types: byDimension(facts.type),
    commanders: byDimension(facts.commander).filter((c) => c.no !== 0),
    assigned,
  }
}

/** The filters as a RecordFilter; null when a filter names something no incident has. */
async function recordFilter(
  em: EntityManager,
  organizationId: string,
  filters: AnalyticsFilters,
): Promise<RecordFilter | null> {
  const ids = [filters.serviceId, filters.incidentTypeId, filters.commanderId].filter(
    (id): id is string => id !== null,
  )
  const numbers = new Map<string, number>()
  if (ids.length > 0) {
    const rows = await em.execute<Array<{ id: string; no: number }>>(
      `select id, no from analytics_dimension
        where organization_id = ? and id = any(array(select jsonb_array_elements_text(?::jsonb)::uuid))`,
      [organizationId, JSON.stringify(ids)],
    )
    for (const r of rows) numbers.set(r.id, r.no)
  }
  const numberOf = (id: string | null) => (id === null ? null : (numbers.get(id) ?? 0))
  const service = numberOf(filters.serviceId)
  const type = numberOf(filters.incidentTypeId)
  const commander = numberOf(filters.commanderId)
  if (service === 0 || type === 0 || commander === 0) return null
  const chosen: readonly Severity[] =
    filters.severities.length > 0 ? filters.severities : SEVERITIES
  return {
    from: toRecordSeconds(filters.from),
    to: toRecordSeconds(filters.to),
    severities: chosen.reduce((mask: number, s) => mask | (1 << SEVERITIES.indexOf(s)), 0),
    service,
    type,
    commander,
  }
}

const DAY_MS = 86_400_000

/** The UTC days (YYYY-MM-DD) on which declarations in [from, to) fall. */
function utcDays(from: string, to: string): string[] {
  const days: string[] = []
  const last = new Date(to).getTime() - 1
  for (let t = Math.floor(new Date(from).getTime() / DAY_MS) * DAY_MS; t <= last; t += DAY_MS)
    days.push(new Date(t).toISOString().slice(0, 10))
  return days
}

/**
 * The records of every incident declared on the UTC days of the period (the caller narrows
 * them to the period's exact bounds and the filters). Current day pages are read as they are;
 * days without one, or changed since theirs was read, are read from the facts and stored as new
 * pages in the same statement, with the snapshot they were read under (see analytics_page in
 * db/migrations/0006-analytics.ts). A page is only replaced by one read under a snapshot that
 * sees everything the old one saw, so the change rows it covers can be dropped.
 */
async function loadPeriodRecords(
  em: EntityManager,
  organizationId: string,
  filters: AnalyticsFilters,
): Promise<Uint8Array[]> {
  const days = utcDays(filters.from, filters.to)
  if (days.length === 0) return []
  const pages = await em.execute<Array<{ day: string; records: string }>>(
    `select to_char(p.day, 'YYYY-MM-DD') as day, encode(p.records, 'base64') as records
       from analytics_page p
      where p.organization_id = ? and p.day >= ?::date and p.day <= ?::date
        and not exists (select 1 from analytics_page_change c
                         where c.organization_id = p.organization_id and c.day = p.day
                           and not pg_visible_in_snapshot(c.xid, p.snapshot))`,
    [organizationId, days[0], days[days.length - 1]],
  )
  const byDay = new Map(pages.map((p) => [p.day, p.records]))
  const missing = days.filter((d) => !byDay.has(d))
  if (missing.length > 0) {
    const list = `{${missing.join(',')}}`
    const built = await em.execute<Array<{ day: string; records: string }>>(
      `with built as (
         -- One index range per day.
         select d.day,
                coalesce((select string_agg(f.record, ''::bytea) from analytics_fact f
                           where f.organization_id = ? and f.declared_at >= d.starts
                             and f.declared_at < d.starts + interval '1 day'), ''::bytea) as records
           from (select day, day::timestamp at time zone 'UTC' as starts
                   from unnest(?::date[]) as day) d
       ), stored as (
         insert into analytics_page (organization_id, day, records, snapshot)
         select ?, day, records, pg_current_snapshot() from built
         on conflict (organization_id, day) do update
           set records = excluded.records, snapshot = excluded.snapshot
           where pg_snapshot_xmin(excluded.snapshot) >= pg_snapshot_xmax(analytics_page.snapshot)
       )
       select to_char(day, 'YYYY-MM-DD') as day, encode(records, 'base64') as records from built`,
      [organizationId, list, organizationId],
    )
    for (const b of built) byDay.set(b.day, b.records)
    await em.execute(
      `delete from analytics_page_change c using analytics_page p
        where c.organization_id = ? and c.day = any(?::date[])
          and p.organization_id = c.organization_id and p.day = c.day
          and pg_visible_in_snapshot(c.xid, p.snapshot)`,
      [organizationId, list],
    )
  }
  return days.map((d) => Buffer.from(byDay.get(d) ?? '', 'base64'))
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
    const bucketStarts = buckets.map((b) => startOfLocalDay(b, timeZone))

    const keep = await recordFilter(em, organizationId, filters)
    const facts = keep
      ? decodeFacts(await loadPeriodRecords(em, organizationId, filters), keep)
      : decodeFacts(new Uint8Array(0))
    const result = aggregateFacts(facts, { buckets, bucketStarts, now })
    const openByAge = await loadOpenByAge(em, organizationId, filters, now)
    const names = await loadNames(em, organizationId, [
      ...result.services.map((s) => s.no),
      ...result.types.map((t) => t.no),
      ...result.commanders.map((c) => c.no),
      ...result.assigned.keys(),
    ])

    const byCount = <T extends { count: number; name: string }>(a: T, b: T) =>
      b.count - a.count || a.name.localeCompare(b.name)
    const named = (
      groups: typeof result.services,
      table: Map<number, { id: string; name: string }>,
      none: string,
      unknown: string,
    ) =>
      groups
        .map((g) => ({
          id: g.no === 0 ? null : (table.get(g.no)?.id ?? null),
          name: g.no === 0 ? none : (table.get(g.no)?.name ?? unknown),
          count: g.count,
          mttr: g.mttr,
        }))
        .sort(byCount)

    const people = new Map<number, Dashboard['people'][number]>()
    const person = (no: number) => {
      let entry = people.get(no)
      if (!entry) {
        const known = names.get(no)
        entry = {
          userId: known?.id ?? '',
          name: memberName(known?.name),
          commanded: 0,
          assigned: 0,
          mttr: EMPTY_STATS,
        }
        people.set(no, entry)
      }
      return entry
    }
    for (const c of result.commanders) {
      const entry = person(c.no)
      entry.commanded = c.count
      entry.mttr = c.mttr
    }
    for (const [no, count] of result.assigned) person(no).assigned = count

    return {
      organization,
      filters,
      definitionsVersion: DEFINITIONS_VERSION,
      countingRuleVersion: COUNTING_RULE.version,
      generatedAt: now.toISOString(),
      totals: result.totals,
      volume: result.volume,
      responseTimes: result.responseTimes,
      responseTrend: result.responseTrend,
      slaCompliance: result.slaCompliance,
      topServices: named(result.services, names, 'No service', 'Unknown service'),
      topIncidentTypes: named(result.types, names, 'No type', 'Unknown type'),
      people: [...people.values()].sort(
        (a, b) =>
          b.commanded + b.assigned - (a.commanded + a.assigned) || a.name.localeCompare(b.name),
      ),
      openByAge,
    }
  })
}

async function loadOpenByAge(
  em: EntityManager,
  organizationId: string,
  filters: AnalyticsFilters,
  now: Date,
) {
  const weekSeconds = OPEN_AGE_BUCKETS[OPEN_AGE_BUCKETS.length - 1]!.minSeconds
  // Open now, in all: the sum of the maintained counts for the filters' combinations.
  const totalParams: unknown[] = [organizationId]
  const totalWhere = ['i.organization_id = ?', ...facetWhere(filters, totalParams)]
  const [total] = await em.execute<Array<{ n: string | null }>>(
    `select sum(i.open_count) as n from analytics_open i where ${totalWhere.join(' and ')}`,
    totalParams,
  )
  // Those whose impact started less than a week ago, by age; the rest are over 7 days.
  const recentParams: unknown[] = [now.toISOString(), organizationId, now.toISOString()]
  const recentWhere = [
    'i.organization_id = ?',
    'i.open',
    `i.impact_started_at > ?::timestamptz - interval '${weekSeconds} seconds'`,
    ...facetWhere(filters, recentParams),
  ]
  const edges = OPEN_AGE_BUCKETS.slice(1, -1).map((b) => b.minSeconds)
  const rows = await em.execute<Array<{ bucket: number; n: string }>>(
    `select width_bucket(date_part('epoch', ?::timestamptz - i.impact_started_at),
                         array[${edges.join(', ')}]::float8[]) as bucket, count(*) as n
       from analytics_fact i
      where ${recentWhere.join(' and ')}
      group by 1`,
    recentParams,
  )
  const counts = OPEN_AGE_BUCKETS.map(() => 0)
  let recent = 0
  for (const r of rows) {
    counts[Math.max(0, r.bucket)]! += Number(r.n)
    recent += Number(r.n)
  }
  counts[OPEN_AGE_BUCKETS.length - 1] = Math.max(0, Number(total?.n ?? 0) - recent)
  return OPEN_AGE_BUCKETS.map((b, i) => ({ ...b, count: counts[i]! }))
}

/** Dimension numbers → the id and name of the service, incident type or member behind each. */
async function loadNames(em: EntityManager, organizationId: string, numbers: number[]) {
  const names = new Map<number, { id: string; name: string }>()
  const wanted = [...new Set(numbers.filter((no) => no > 0))]
  if (wanted.length === 0) return names
  const rows = await em.execute<Array<{ no: number; id: string; name: string | null }>>(
    // Numbers travel as one JSON parameter: the query layer would spread a plain array.
    `select d.no, d.id, coalesce(s.name, t.name, u.display_name) as name
       from analytics_dimension d
       left join service s on s.id = d.id
       left join incident_type t on t.id = d.id
       left join membership m on m.organization_id = d.organization_id and m.user_id = d.id
       left join app_user u on u.id = m.user_id
      where d.organization_id = ?
        and d.no = any(array(select jsonb_array_elements_text(?::jsonb)::int))`,
    [organizationId, JSON.stringify(wanted)],
  )
  for (const r of rows) if (r.name !== null) names.set(r.no, { id: r.id, name: r.name })
  return names
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
  /**
   * Whose export it is: the batches are read while the response streams, after the request's own
   * unit of work has ended, so they name the person themselves (private incidents, decision 037).
   */
  actingUserId: string,
  batchSize = EXPORT_BATCH_SIZE,
): AsyncIterable<ExportIncident[]> {
  // Read before the batches' transactions (through the reference cache).
  const fields = await customFieldDefinitions(orm, organizationId)
  let after: { declaredAt: string; id: string } | null = null
  for (;;) {
    const { where, params } = periodWhere(organizationId, filters)
    let keyset = ''
    if (after) {
      keyset = ' and (i.declared_at, i.id) > (?::timestamptz, ?::uuid)'
      params.push(after.declaredAt, after.id)
    }
    params.push(batchSize)
    const rows = await inScope(orm, { organizationId, actingUserId }, (em) =>
      em.execute<ExportRow[]>(
        `select i.id, i.number, i.title, i.severity, i.status, s.name as service,
                t.name as incident_type, u.display_name as commander,
                i.impact_started_at as impact_started, i.declared_at as declared,
                i.acknowledged_at, i.mitigated_at, i.resolved_at, i.closed_at,
                i.classification, c.number as classified_as_of,
                (select coalesce(json_agg(json_build_object(
                          'number', o.number, 'kind', l.kind, 'to', l.incident_id = i.id)
                          order by o.number), '[]')
                   from incident_link l
                   join incident o
                     on o.id = case when l.incident_id = i.id then l.related_incident_id
                                    else l.incident_id end
                  where l.organization_id = i.organization_id
                    and (l.incident_id = i.id or l.related_incident_id = i.id)) as links,
                (select coalesce(json_agg(json_build_object(
                          'key', r.key, 'role', r.name, 'holder', hu.display_name)
                          order by r.position, r.name), '[]')
                   from incident_role_holder h
                   join incident_role r on r.organization_id = h.organization_id and r.id = h.role_id
                   left join app_user hu on hu.id = h.user_id
                  where h.organization_id = i.organization_id and h.incident_id = i.id) as roles,
                i.custom_fields,
                to_json(i.declared_at) #>> '{}' as cursor_at
           from incident i
           left join service s on s.id = i.service_id
           left join incident_type t on t.id = i.incident_type_id
           left join app_user u on u.id = i.commander_id
           left join incident c on c.id = i.classified_as_of_id
          where ${where}${keyset}
          order by i.declared_at, i.id
          limit ?`,
        params,
      ),
    )
    if (rows.length === 0) return
    yield rows.map((r) => toExportIncident(r, fields))
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
  classification: Classification
  classified_as_of: number | null
  links: Array<{ number: number; kind: LinkKind; to: boolean }>
  roles: Array<{ key: string; role: string; holder: string | null }>
  custom_fields: CustomFieldValues | null
  /** declared_at with its microseconds, so the keyset never skips or repeats a row. */
  cursor_at: string
}

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null)

function seconds(from: Date, to: Date | null) {
  if (!to) return null
  const s = (new Date(to).getTime() - new Date(from).getTime()) / 1000
  return s >= 0 ? s : null
}

function toExportIncident(r: ExportRow, fields: readonly CustomFieldDefinition[]): ExportIncident {
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
    classification: r.classification,
    classifiedAsOf: r.classified_as_of === null ? null : `INC-${r.classified_as_of}`,
    links: r.links.map((l) => ({
      incident: `INC-${l.number}`,
      kind: l.kind,
      direction: l.to ? ('to' as const) : ('from' as const),
      text: linkText(l.kind, l.to, l.number),
    })),
    roles: r.roles,
    customFields: customFieldsByKey(fields, r.custom_fields ?? {}),
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

const METRICS_FORMATS = {
  csv: { contentType: 'text/csv; charset=utf-8', render: (...a: MetricsArgs) => metricsCsv(...a) },
  json: {
    contentType: 'application/json; charset=utf-8',
    render: (...a: MetricsArgs) => metricsJson(...a),
  },
} as const
type MetricsArgs = [Dashboard, ActionItemCounts]

/**
 * Every number of the dashboard for the request's filters as one download (CSV table or JSON with
 * filters and definitions), read at one clock reading.
 */
export async function metricsDownload(
  request: Request,
  context: AppLoadContext,
  format: keyof typeof METRICS_FORMATS,
) {
  const { member, filters, timeZone } = await requireExport(request, context)
  const at = clockNow()
  const [dashboard, actionItems] = await Promise.all([
    loadDashboard(context.orm, member.organization.id, filters, at),
    countActionItems(context.orm, member.organization.id, at),
  ])
  const name = exportFileName(member.organization.slug, 'metrics', filters, timeZone, format)
  const { contentType, render } = METRICS_FORMATS[format]
  return new Response(render(dashboard, actionItems), {
    headers: exportHeaders(contentType, name),
  })
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
  'classification',
  'classified_as_of',
  'links',
  'roles',
] as const

/**
 * The CSV's custom field columns (`custom.<key>`, active fields in order) and their cells in words:
 * option labels and member names, as the incident page shows them.
 */
async function customCsvColumns(orm: MikroORM, organizationId: string) {
  const fields = activeFields(await customFieldDefinitions(orm, organizationId))
  const people = fields.some((f) => f.kind === 'member')
    ? await memberDirectory(orm, organizationId)
    : []
  const name = (id: string) => memberName(people.find((p) => p.userId === id)?.displayName)
  const byKey = new Map(fields.map((f) => [f.key, f]))
  return {
    header: fields.map((f) => `custom.${f.key}`),
    cells: (values: ExportIncident['customFields']) =>
      fields.map((f) => {
        const value = values[f.key]
        return formatCustomFieldValue(byKey.get(f.key)!, value ?? null, name)
      }),
  }
}

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
    i.classification,
    i.classifiedAsOf,
    i.links.map((l) => l.text).join('; '),
    i.roles.map((r) => `${r.role}: ${r.holder ?? 'former member'}`).join('; '),
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
  actingUserId: string,
) {
  return streamOf(
    (async function* () {
      const custom = await customCsvColumns(orm, organizationId)
      yield `${[...INCIDENT_CSV_COLUMNS, ...custom.header].map(csvCell).join(',')}\r\n`
      for await (const batch of streamIncidentExport(orm, organizationId, filters, actingUserId)) {
        yield batch
          .map((i) => {
            const extra = custom.cells(i.customFields).map(csvCell)
            return `${[incidentCsvLine(i), ...extra].join(',')}\r\n`
          })
          .join('')
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
  actingUserId: string,
) {
  return streamOf(
    (async function* () {
      const head = {
        format: 'incidentflow.analytics.incidents.v1',
        definitionsVersion: DEFINITIONS_VERSION,
        countingRuleVersion: COUNTING_RULE.version,
        generatedAt: now.toISOString(),
        filters,
      }
      yield `${JSON.stringify(head).slice(0, -1)},"incidents":[`
      let first = true
      for await (const batch of streamIncidentExport(orm, organizationId, filters, actingUserId)) {
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
export function metricsCsv(d: Dashboard, actionItems?: ActionItemCounts) {
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
  rows.push(['period', 'counting_rule', '', 'version', d.countingRuleVersion])
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
  if (actionItems) {
    rows.push(['action_items', 'all', '', 'open', actionItems.open])
    rows.push(['action_items', 'all', '', 'overdue', actionItems.overdue])
    for (const o of actionItems.owners) {
      rows.push(['action_items', o.name, '', 'open', o.open])
      rows.push(['action_items', o.name, '', 'overdue', o.overdue])
    }
  }
  const lines = [METRICS_CSV_COLUMNS.join(',')]
  for (const row of rows) lines.push([d.definitionsVersion, ...row].map(csvCell).join(','))
  return `${lines.join('\r\n')}\r\n`
}

/**
 * The dashboard as JSON, with the definitions its numbers follow; `actionItems` (open and overdue
 * postmortem action items now, whatever the filters) when given.
 */
export function metricsJson(d: Dashboard, actionItems?: ActionItemCounts) {
  return `${JSON.stringify(
    {
      format: 'incidentflow.analytics.metrics.v1',
      ...d,
      ...(actionItems ? { actionItems } : {}),
      definitions: METRIC_DEFINITIONS,
    },
    null,
    2,
  )}\n`
}
