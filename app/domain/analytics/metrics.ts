import type { IncidentStatus } from '~/domain/incident/vocabulary'
import type { Bucket, DurationStats, MetricId } from './types'

/**
 * The metric definitions behind every analytics number, as data: the dashboard, its exports, the
 * printable report, the PDF report and docs/metrics.md all show the same words. Change a
 * definition → bump DEFINITIONS_VERSION, so a number can always be traced to the rules it used.
 *
 * Everything here is pure (no server imports): the browser, the worker and tests use it as is.
 */
export const DEFINITIONS_VERSION = '2'

/**
 * Which incidents the metrics count at all, versioned on its own (decision 038): a change to it
 * bumps both this version and DEFINITIONS_VERSION. Version 1 (definitions version 2): declined
 * incidents and duplicates are left out; a merged incident counts once, as the incident it was
 * merged into. The analytics facts (migration 0021) hold counted incidents only.
 */
export const COUNTING_RULE = {
  version: '1',
  text: 'Declined incidents (not an incident) and duplicates of another incident are left out of every count, duration, SLA and open figure; an incident merged into another is counted once, as the incident it was merged into.',
} as const

export type DefinitionId =
  'period' | 'volume' | MetricId | 'sla-compliance' | 'recurring' | 'people' | 'open-age'

export interface MetricDefinition {
  id: DefinitionId
  name: string
  /** The formula, in words. */
  formula: string
  /** Which incidents (or targets) are counted. */
  counts: string
  /** What is left out, and why. */
  exclusions: string[]
}

const DURATION_EXCLUSIONS = [
  'Incidents that have not reached the milestone yet (still open, or closed without passing through it).',
  'Durations below zero: the impact start was edited to a time after the milestone.',
]

export const METRIC_DEFINITIONS: readonly MetricDefinition[] = [
  {
    id: 'period',
    name: 'Period',
    formula:
      'Incidents whose declaration time falls in the period: from the start of the first day (inclusive) to the end of the last day (exclusive), in the organization’s time zone.',
    counts:
      'Every incident declared in the period that matches the filters (severity, service, incident type, commander), whatever its status now.',
    exclusions: [
      'Incidents declared before or after the period, even if they were open during it.',
      `Counting rule version ${COUNTING_RULE.version}: ${COUNTING_RULE.text}`,
    ],
  },
  {
    id: 'volume',
    name: 'Incidents over time',
    formula:
      'Number of incidents declared per bucket and current severity. A day bucket is a calendar day, a week bucket a week starting on Monday, both in the organization’s time zone.',
    counts: 'Every incident in the period.',
    exclusions: [],
  },
  {
    id: 'mtta',
    name: 'Mean time to acknowledge (MTTA)',
    formula:
      'Acknowledged − impact started, where acknowledged is the first time the incident entered Investigating. Shown as mean, median and 90th percentile.',
    counts: 'Incidents in the period that have been acknowledged.',
    exclusions: DURATION_EXCLUSIONS,
  },
  {
    id: 'mttm',
    name: 'Mean time to mitigate (MTTM)',
    formula:
      'Mitigated − impact started, where mitigated is the first time the incident entered Mitigated. Shown as mean, median and 90th percentile.',
    counts: 'Incidents in the period that have been mitigated.',
    exclusions: DURATION_EXCLUSIONS,
  },
  {
    id: 'mttr',
    name: 'Mean time to resolve (MTTR)',
    formula:
      'Resolved − impact started, where resolved is the first time the incident entered Resolved; a reopened incident keeps its first resolution. Shown as mean, median and 90th percentile.',
    counts: 'Incidents in the period that have been resolved.',
    exclusions: DURATION_EXCLUSIONS,
  },
  {
    id: 'sla-compliance',
    name: 'SLA compliance',
    formula:
      'Met ÷ (met + breached), per target (acknowledge, mitigate, resolve) and current severity. Due time = impact started + the target of the incident’s own SLA policy version for its severity.',
    counts:
      'Breached: a breach was recorded for the target, or its milestone was reached after the due time, or the due time has passed without the milestone. Met: the milestone was reached by the due time and no breach was recorded.',
    exclusions: [
      'Targets still running (milestone not reached, due time not passed).',
      'Incidents without an SLA policy, and severities whose policy has no such target.',
    ],
  },
  {
    id: 'recurring',
    name: 'Recurring problems',
    formula:
      'Incidents per service and per incident type, most first, each with the MTTR of those incidents.',
    counts: 'Every incident in the period; "No service" / "No type" collect incidents without one.',
    exclusions: ['The MTTR column leaves out what MTTR leaves out.'],
  },
  {
    id: 'people',
    name: 'People',
    formula:
      'Per member: incidents they command now, incidents they are assigned to now, and the MTTR of the incidents they command.',
    counts: 'Incidents in the period; one incident counts for its commander and each assignee.',
    exclusions: [
      'Earlier commanders and assignees of a reassigned incident.',
      'The MTTR column leaves out what MTTR leaves out.',
    ],
  },
  {
    id: 'open-age',
    name: 'Open incidents by age',
    formula:
      'Incidents open now (Detected, Investigating or Mitigated), by the time since impact started: under 1 h, 1–4 h, 4–24 h, 1–7 d, over 7 d.',
    counts:
      'Every open incident matching the severity, service, incident type and commander filters, whatever the period.',
    exclusions: ['Incidents that are Resolved, in Postmortem or Closed.'],
  },
]

export const DEFINITION_BY_ID = Object.fromEntries(
  METRIC_DEFINITIONS.map((d) => [d.id, d]),
) as Record<DefinitionId, MetricDefinition>

/** One line naming the version, shown under every table and chart. */
export function definitionsLine() {
  return `Metric definitions version ${DEFINITIONS_VERSION}`
}

// ---------------------------------------------------------------------------------------------
// Durations

/** The status whose first entry stamps each milestone. */
export const MILESTONE_STATUS = {
  mtta: 'investigating',
  mttm: 'mitigated',
  mttr: 'resolved',
} as const satisfies Record<MetricId, IncidentStatus>

export interface Milestones {
  impactStartedAt: string | Date
  acknowledgedAt: string | Date | null
  mitigatedAt: string | Date | null
  resolvedAt: string | Date | null
}

/**
 * The milestones from a status history (oldest first): each is the FIRST time the incident
 * entered that status, so a reopened incident keeps its first acknowledgement, mitigation and
 * resolution — the same rule the incident row's timestamps follow.
 */
export function firstReached(
  impactStartedAt: string | Date,
  changes: ReadonlyArray<{ to: IncidentStatus; at: string | Date }>,
): Milestones {
  const first = (status: IncidentStatus) => changes.find((c) => c.to === status)?.at ?? null
  return {
    impactStartedAt,
    acknowledgedAt: first('investigating'),
    mitigatedAt: first('mitigated'),
    resolvedAt: first('resolved'),
  }
}

const toMs = (value: string | Date) =>
  value instanceof Date ? value.getTime() : new Date(value).getTime()

/** Seconds from `from` to `to`; null when `to` was never reached or the result is negative. */
export function durationSeconds(from: string | Date, to: string | Date | null): number | null {
  if (to === null) return null
  const seconds = (toMs(to) - toMs(from)) / 1000
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null
}

/** Time to acknowledge, mitigate and resolve of one incident, in seconds (null: not counted). */
export function responseDurations(m: Milestones): Record<MetricId, number | null> {
  return {
    mtta: durationSeconds(m.impactStartedAt, m.acknowledgedAt),
    mttm: durationSeconds(m.impactStartedAt, m.mitigatedAt),
    mttr: durationSeconds(m.impactStartedAt, m.resolvedAt),
  }
}

/**
 * The p-quantile of ascending values with linear interpolation between the closest ranks, exactly
 * as PostgreSQL's `percentile_cont(p)`: position p·(n−1), interpolated between its neighbours.
 */
export function percentileCont(sorted: ArrayLike<number>, p: number): number | null {
  const n = sorted.length
  if (n === 0) return null
  const position = p * (n - 1)
  const lower = Math.floor(position)
  const upper = Math.ceil(position)
  const a = sorted[lower]!
  const b = sorted[upper]!
  return a + (b - a) * (position - lower)
}

/**
 * Mean, median and p90 of durations in seconds. Values that are not durations (null, NaN,
 * negative) are left out and not counted, which is the exclusion rule of every duration metric.
 */
export function durationStats(seconds: ReadonlyArray<number | null>): DurationStats {
  const values = new Float64Array(seconds.length)
  let n = 0
  let sum = 0
  for (const value of seconds) {
    if (value === null || !Number.isFinite(value) || value < 0) continue
    values[n++] = value
    sum += value
  }
  if (n === 0) return { count: 0, mean: null, median: null, p90: null }
  const sorted = values.subarray(0, n).sort()
  return {
    count: n,
    mean: sum / n,
    median: percentileCont(sorted, 0.5),
    p90: percentileCont(sorted, 0.9),
  }
}

// ---------------------------------------------------------------------------------------------
// SLA

export type SlaOutcome = 'met' | 'breached' | 'running'

/**
 * One target of one incident, as SLA compliance counts it. A recorded breach always counts (it
 * stands even if the impact start or severity changed afterwards); otherwise the milestone
 * against the due time; a target neither reached nor due yet is still running and not counted.
 */
export function slaOutcome(target: {
  dueAt: string | Date
  reachedAt: string | Date | null
  breachRecorded: boolean
  now: string | Date
}): SlaOutcome {
  if (target.breachRecorded) return 'breached'
  const due = toMs(target.dueAt)
  if (target.reachedAt !== null) return toMs(target.reachedAt) <= due ? 'met' : 'breached'
  return toMs(target.now) >= due ? 'breached' : 'running'
}

/** met ÷ (met + breached); null when nothing was counted. */
export function compliance(met: number, breached: number): number | null {
  const total = met + breached
  return total > 0 ? met / total : null
}

// ---------------------------------------------------------------------------------------------
// Open incidents by age

export const OPEN_AGE_BUCKETS: ReadonlyArray<{
  label: string
  minSeconds: number
  maxSeconds: number | null
}> = [
  { label: '< 1 h', minSeconds: 0, maxSeconds: 3600 },
  { label: '1–4 h', minSeconds: 3600, maxSeconds: 4 * 3600 },
  { label: '4–24 h', minSeconds: 4 * 3600, maxSeconds: 24 * 3600 },
  { label: '1–7 d', minSeconds: 24 * 3600, maxSeconds: 7 * 24 * 3600 },
  { label: '> 7 d', minSeconds: 7 * 24 * 3600, maxSeconds: null },
]

/** Index into OPEN_AGE_BUCKETS; an impact start in the future counts as under an hour. */
export function openAgeBucket(ageSeconds: number): number {
  const index = OPEN_AGE_BUCKETS.findIndex(
    (b) => b.maxSeconds === null || ageSeconds < b.maxSeconds,
  )
  return index === -1 ? OPEN_AGE_BUCKETS.length - 1 : index
}

// ---------------------------------------------------------------------------------------------
// Calendar days and weeks in a time zone

const dateFormatters = new Map<string, Intl.DateTimeFormat>()

function dateFormatter(timeZone: string) {
  let formatter = dateFormatters.get(timeZone)
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    })
    dateFormatters.set(timeZone, formatter)
  }
  return formatter
}

function wallClock(instant: Date, timeZone: string) {
  const parts = dateFormatter(timeZone).formatToParts(instant)
  const get = (type: Intl.DateTimeFormatPartTypes) =>
    Number(parts.find((p) => p.type === type)?.value ?? 0)
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  }
}

/** True when `timeZone` is an IANA zone name this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    dateFormatter(timeZone)
    return true
  } catch {
    return false
  }
}

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function localDate(instant: string | Date, timeZone: string): string {
  if (timeZone === 'UTC') return isoDate(toMs(instant))
  const { year, month, day } = wallClock(new Date(toMs(instant)), timeZone)
  return isoDate(Date.UTC(year, month - 1, day))
}

function isoDate(utcMs: number) {
  return new Date(utcMs).toISOString().slice(0, 10)
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/

/** A YYYY-MM-DD string that names a real calendar date. */
export function isIsoDate(value: string): boolean {
  const match = DATE_RE.exec(value)
  if (!match) return false
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))
  return Number.isFinite(ms) && isoDate(ms) === value
}

/** Calendar arithmetic on a YYYY-MM-DD date (no time zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  return isoDate(Date.UTC(y, m - 1, d + days))
}

/** Days from `a` to `b`, both YYYY-MM-DD. */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000)
}

/**
 * The instant a calendar day starts in a time zone (its local midnight, or the first moment after
 * it when a DST change skips midnight). Days are 23, 24 or 25 hours long across DST changes.
 */
export function startOfLocalDay(date: string, timeZone: string): Date {
  const key = `${timeZone} ${date}`
  let start = dayStarts.get(key)
  if (start === undefined) {
    start = computeStartOfLocalDay(date, timeZone)
    if (dayStarts.size >= 10_000) dayStarts.clear()
    dayStarts.set(key, start)
  }
  return new Date(start)
}

/** Day starts already worked out (each takes a few Intl calls): a period asks for hundreds. */
const dayStarts = new Map<string, number>()

function computeStartOfLocalDay(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const wanted = Date.UTC(y, m - 1, d)
  if (timeZone === 'UTC') return wanted
  // Correct a UTC guess by the zone's offset; twice, because the offset at the guess and at the
  // answer differ when a DST change lies between them.
  let guess = wanted
  for (let i = 0; i < 3; i++) {
    const w = wallClock(new Date(guess), timeZone)
    const shown = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
    const next = guess - (shown - wanted)
    if (next === guess) break
    guess = next
  }
  // Midnight skipped (a DST change at 00:00): the guess lands on the previous evening.
  if (localDate(new Date(guess), timeZone) < date) {
    const w = wallClock(new Date(guess), timeZone)
    guess += ((24 - w.hour) * 3600 - w.minute * 60 - w.second) * 1000
  }
  return guess
}

/** ISO weekday of a YYYY-MM-DD date: Monday 1 … Sunday 7. */
function isoWeekday(date: string) {
  const day = new Date(`${date}T00:00:00Z`).getUTCDay()
  return day === 0 ? 7 : day
}

/**
 * The bucket an instant falls in: the local calendar date (YYYY-MM-DD) of its day, or of the
 * Monday starting its week, in `timeZone`. Buckets are calendar days, so a bucket that contains a
 * DST change is an hour shorter or longer; no instant is ever counted in two buckets.
 */
export function bucketStart(instant: string | Date, bucket: Bucket, timeZone: string): string {
  const date = localDate(instant, timeZone)
  return bucket === 'day' ? date : addDays(date, 1 - isoWeekday(date))
}

/** Every bucket start from the bucket holding `from` up to the one holding the instant before `to`. */
export function bucketsBetween(
  from: string | Date,
  to: string | Date,
  bucket: Bucket,
  timeZone: string,
): string[] {
  const first = bucketStart(from, bucket, timeZone)
  const last = bucketStart(new Date(toMs(to) - 1), bucket, timeZone)
  const step = bucket === 'day' ? 1 : 7
  const buckets: string[] = []
  for (let b = first; b <= last; b = addDays(b, step)) buckets.push(b)
  return buckets
}

// ---------------------------------------------------------------------------------------------
// Words for numbers (page, exports, PDF)

/** A duration in seconds as people read it: "45 s", "12 min", "3 h 12 min", "2 d 4 h"; "—" for none. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '—'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  const minutes = Math.floor(s / 60)
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`
  return hours % 24 ? `${Math.floor(hours / 24)} d ${hours % 24} h` : `${Math.floor(hours / 24)} d`
}

/** A ratio as a percentage with one decimal, "—" for none: 0.9234 → "92.3 %". */
export function formatPercent(ratio: number | null): string {
  return ratio === null ? '—' : `${(Math.round(ratio * 1000) / 10).toFixed(1)} %`
}
