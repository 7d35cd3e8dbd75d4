import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { sendJob, type PgBoss } from '~/queue/send.server'
import { inScope } from '../../../db/tenant'
import { transactionExecutor } from '../../../db/transaction'
import type { SlaTargets } from './policy'
import { appendEvents, type ChainHead, type NewEvent } from '~/domain/incident/event-store.server'
import type { Severity } from '~/domain/incident/vocabulary'
import { crossedThresholds, nextDeadline, type SlaSignal } from './clock'
import { splitForLanes } from './lanes'
import { clocksFor } from './sla.server'

/** Asks the worker for an SLA sweep as of `at` (the cron sweeps at its own "now" every minute). */
export function queueSlaSweep(boss: PgBoss, at: Date) {
  return sendJob(boss, 'sla-sweep', { at: at.toISOString() })
}

export interface SweepResult {
  /** Incidents whose deadline had come. */
  due: number
  /** Warning and breach events appended. */
  warnings: number
  breaches: number
  organizations: number
  ms: number
}

export interface SweepOptions {
  /**
   * Most due incidents one transaction handles (1,000): an organization's due set is split into
   * chunks of about equal size. One transaction for a minute's usual load costs the least CPU.
   */
  chunk?: number
  /**
   * Transactions a sweep runs at once when there are several chunks (2): a backlog (after an
   * outage, or a mass impact-start edit) is worked off with one chunk's statements running in
   * PostgreSQL while the next chunk's events are hashed here, on at most two of the worker's
   * connections.
   */
  lanes?: number
  /**
   * Smallest chunk a due set is split into to keep every lane busy (250): with fewer chunks than
   * lanes, the largest chunk is halved while both halves would hold at least this many incidents,
   * so a minute's thousand due incidents run as two transactions on two cores (decision 041).
   * Smaller halves would spend a larger share of their time on each transaction's fixed cost
   * (eight round trips); the figure is a judgement, not a measured optimum.
   */
  minChunk?: number
  /** How many due rows one pass reads; a sweep makes passes until nothing is due. */
  pass?: number
  maxPasses?: number
}
/** A sweep stops starting new passes after this long; the next minute's sweep goes on. */
export const SWEEP_BUDGET_MS = 45_000

/**
 * One SLA sweep at `at`: finds due incidents through the narrow `sla_deadline` table (ids and
 * times only, across organizations), then, per organization and in one transaction per chunk,
 * locks them, records each newly crossed threshold once (`sla_signal`'s key), appends its
 * `sla.warning` / `sla.breached` event (which queues the notifications through `event_outbox` in
 * the same transaction) and moves the deadline on. Each step is one statement for the whole
 * chunk, so its cost grows with the number of organizations far more than with due incidents.
 *
 * Chunks run `lanes` at a time. They cannot deadlock on incidents, nor with an overlapping
 * sweep's: every transaction locks its incidents in id order.
 */
export async function sweepSla(
  orm: MikroORM,
  at: Date,
  {
    chunk = 1000,
    lanes = 2,
    minChunk = 250,
    pass: passSize = 5000,
    maxPasses = 20,
  }: SweepOptions = {},
): Promise<SweepResult> {
  const started = performance.now()
  const result: SweepResult = { due: 0, warnings: 0, breaches: 0, organizations: 0, ms: 0 }
  const seenOrganizations = new Set<string>()
  for (let pass = 0; pass < maxPasses; pass += 1) {
    // The one read across organizations, and the reason `sla_deadline` has no row-level security:
    // it holds ids and times only. Everything after it runs under each organization's scope.
    const due = await inScope(orm, {}, (em) =>
      em.execute<{ incident_id: string; tenant_id: string }[]>(
        `select incident_id, tenant_id from sla_deadline where due_at <= ? order by due_at limit ?`,
        [at, passSize],
      ),
    )
    if (due.length === 0) break
    const byOrganization = new Map<string, string[]>()
    for (const row of due) {
      const ids = byOrganization.get(row.tenant_id) ?? []
      ids.push(row.incident_id)
      byOrganization.set(row.tenant_id, ids)
    }
    const chunks: Array<{ organizationId: string; ids: string[] }> = []
    for (const [organizationId, ids] of byOrganization) {
      seenOrganizations.add(organizationId)
      const parts = Math.ceil(ids.length / chunk)
      const size = Math.ceil(ids.length / parts)
      for (let i = 0; i < ids.length; i += size)
        chunks.push({ organizationId, ids: ids.slice(i, i + size) })
    }
    splitForLanes(chunks, lanes, minChunk)
    let progressed = 0
    let next = 0
    const failures: unknown[] = []
    const lane = async () => {
      // After a failure no lane starts another chunk; the one still running finishes first, so no
      // transaction outlives the sweep.
      while (next < chunks.length && failures.length === 0) {
        const { organizationId, ids } = chunks[next++]!
        try {
          const done = await inScope(orm, { organizationId }, (em) =>
            sweepChunk(em, organizationId, ids, at),
          )
          result.due += done.handled
          result.warnings += done.warnings
          result.breaches += done.breaches
          progressed += done.handled
        } catch (error) {
          failures.push(error)
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(lanes, chunks.length) }, lane))
    if (failures.length > 0) throw failures[0]
    // Rows another sweep handled meanwhile are skipped; stop when a pass moved nothing.
    if (due.length < passSize || progressed === 0) break
    if (performance.now() - started > SWEEP_BUDGET_MS) break
  }
  result.organizations = seenOrganizations.size
  result.ms = Math.round(performance.now() - started)
  return result
}

interface DueIncident extends ChainHead {
  severity: Severity
  impactStartedAt: Date
  acknowledgedAt: Date | null
  mitigatedAt: Date | null
  resolvedAt: Date | null
  slaPolicyId: string | null
  slaNextDeadline: Date | null
}

/**
 * Locks the due incidents of `ids` in id order (two sweeps lock in the same order, so they queue
 * rather than deadlock). `for update` re-checks the deadline on the latest row version: an
 * incident an overlapping sweep advanced meanwhile drops out here.
 */
const LOCK_DUE = `
  select id, organization_id, severity, to_json(impact_started_at) as impact_started_at,
         to_json(acknowledged_at) as acknowledged_at, to_json(mitigated_at) as mitigated_at,
         to_json(resolved_at) as resolved_at, sla_policy_id, last_event_seq, last_event_hash,
         version, to_json(updated_at) as updated_at
    from incident
   where organization_id = $1 and id = any($2::uuid[]) and sla_next_deadline <= $3
   order by id
     for update`

/**
 * What the locked incidents have been signalled, and their policies. A statement of its own, after
 * the locks: it sees every signal committed before them, including an overlapping sweep's.
 * It also leaves the breaches' analytics facts to the event relay (`app.breach_facts`, migration
 * 0024): a fact whose target is past due and not reached already counts as breached, so the
 * refresh only has to catch up, and the relay sees every `sla.breached` event anyway.
 */
const SIGNALS_AND_POLICIES = `
  select set_config('app.breach_facts', 'relay', true) as breach_facts,
         (select coalesce(json_agg(json_build_array(s.incident_id, s.target, s.kind)), '[]')
            from sla_signal s where s.incident_id = any($1::uuid[])) as signals,
         (select coalesce(json_agg(json_build_array(p.id, p.version, p.targets)), '[]')
            from sla_policy p where p.id = any($2::uuid[])) as policies`

/**
 * Records the signals and moves the incidents on (chain head, version, next deadline) in one
 * statement. `sla_signal`'s key (incident, target, kind) is the last word on duplicates: the
 * caller compares the count inserted with the count asked for.
 */
const RECORD_AND_ADVANCE = `
  with signalled as (
    insert into sla_signal (organization_id, incident_id, target, kind, event_seq, signalled_at)
    select $1, x.incident_id, x.target, x.kind, x.seq, $2
      from json_to_recordset($3::json) as x(incident_id uuid, target text, kind text, seq integer)
    on conflict do nothing
    returning 1
  ), advanced as (
    update incident i
       set last_event_seq = x.seq, last_event_hash = x.hash, version = x.version,
           sla_next_deadline = x.deadline,
           -- As the ORM's onUpdate does for every other change: the wall clock of the write.
           updated_at = now()
      from json_to_recordset($4::json)
           as x(id uuid, seq integer, hash text, version integer, deadline timestamptz)
     where i.organization_id = $1 and i.id = x.id
  )
  select count(*)::int as signalled from signalled`

// Timestamps come back as JSON (ISO 8601) text: the ORM's driver leaves timestamptz unparsed.
const dateOrNull = (value: unknown) => (value === null ? null : new Date(value as string))

interface ChunkResult {
  handled: number
  warnings: number
  breaches: number
}

/**
 * One organization's due incidents in one transaction: lock, read signals and policies, work out
 * the crossed thresholds and next deadlines in memory, append every event with `appendEvents`,
 * then record the signals and advance the incidents — five statements, however many incidents.
 */
async function sweepChunk(
  em: EntityManager,
  organizationId: string,
  ids: readonly string[],
  at: Date,
): Promise<ChunkResult> {
  const { executeSql } = await transactionExecutor(em)
  const locked = (await executeSql(LOCK_DUE, [organizationId, ids, at])).rows as Array<
    Record<string, unknown>
  >
  if (locked.length === 0) return { handled: 0, warnings: 0, breaches: 0 }
  const incidents: DueIncident[] = locked.map((row) => ({
    id: row.id as string,
    organizationId: row.organization_id as string,
    severity: row.severity as Severity,
    impactStartedAt: new Date(row.impact_started_at as string),
    acknowledgedAt: dateOrNull(row.acknowledged_at),
    mitigatedAt: dateOrNull(row.mitigated_at),
    resolvedAt: dateOrNull(row.resolved_at),
    slaPolicyId: (row.sla_policy_id as string | null) ?? null,
    slaNextDeadline: null,
    lastEventSeq: row.last_event_seq as number,
    lastEventHash: (row.last_event_hash as string | null) ?? null,
    version: row.version as number,
    updatedAt: new Date(row.updated_at as string),
  }))

  const policyIds = [...new Set(incidents.map((i) => i.slaPolicyId).filter((id) => id !== null))]
  const [known] = (await executeSql(SIGNALS_AND_POLICIES, [incidents.map((i) => i.id), policyIds]))
    .rows as Array<{
    signals: Array<[string, SlaSignal['target'], SlaSignal['kind']]>
    policies: Array<[string, number, SlaTargets]>
  }>
  const signalled = new Map<string, SlaSignal[]>()
  for (const [incidentId, target, kind] of known!.signals) {
    const list = signalled.get(incidentId) ?? []
    list.push({ target, kind })
    signalled.set(incidentId, list)
  }
  const policies = new Map(
    known!.policies.map(([id, version, targets]) => [id, { version, targets }]),
  )

  const events: NewEvent[] = []
  const crossedBy: Array<{ incident: DueIncident; signal: SlaSignal }> = []
  let warnings = 0
  let breaches = 0
  for (const incident of incidents) {
    const policy = incident.slaPolicyId ? policies.get(incident.slaPolicyId) : undefined
    if (!policy) continue
    const clocks = clocksFor(incident, policy.targets, at)
    const before = signalled.get(incident.id) ?? []
    const crossed = crossedThresholds(clocks, before)
    for (const signal of crossed) {
      const clock = clocks.find((c) => c.target === signal.target)!
      events.push({
        incident,
        type: signal.kind === 'breached' ? 'sla.breached' : 'sla.warning',
        payload: {
          target: signal.target,
          severity: incident.severity,
          policyVersion: policy.version,
          targetSeconds: policy.targets[incident.severity][signal.target]!,
          dueAt: clock.dueAt.toISOString(),
          warnAt: clock.warnAt.toISOString(),
        },
        actorId: null,
        now: at,
      })
      crossedBy.push({ incident, signal })
      if (signal.kind === 'breached') breaches += 1
      else warnings += 1
    }
    incident.slaNextDeadline = nextDeadline(clocks, [...before, ...crossed])
  }

  const appended = await appendEvents(em, events)
  const signals = crossedBy.map(({ incident, signal }, i) => ({
    incident_id: incident.id,
    target: signal.target,
    kind: signal.kind,
    seq: appended[i]!.seq,
  }))
  const heads = incidents.map((i) => ({
    id: i.id,
    seq: i.lastEventSeq,
    hash: i.lastEventHash,
    version: i.version,
    deadline: i.slaNextDeadline?.toISOString() ?? null,
  }))
  const [written] = (
    await executeSql(RECORD_AND_ADVANCE, [
      organizationId,
      at,
      JSON.stringify(signals),
      JSON.stringify(heads),
    ])
  ).rows as Array<{ signalled: number }>
  // Should anything have recorded one of these signals meanwhile, the whole chunk rolls back and
  // the next sweep redoes it.
  if (written!.signalled !== signals.length)
    throw new Error('SLA signal recorded concurrently; this chunk is retried by the next sweep')
  return { handled: incidents.length, warnings, breaches }
}
