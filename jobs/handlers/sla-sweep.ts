import { LockMode, type MikroORM } from '@mikro-orm/postgresql'
import { IncidentSchema, type Incident } from '../../db/entities/incident'
import { inScope } from '../../db/tenant'
import { appendEvent } from '../../app/domain/incident/incident-service.server'
import { crossedThresholds, nextDeadline, type SlaSignal } from '../../app/domain/sla/clock'
import { clocksFor, policiesById, signalsOf } from '../../app/domain/sla/sla.server'
import type { Logger } from '../../app/utils/logger.server'

export interface SweepDeps {
  orm: MikroORM
  logger: Logger
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

/** How many due incidents one transaction handles. */
const CHUNK = 1000
/** How many due rows one pass reads; a sweep makes passes until nothing is due. */
const PASS = 5000
/** A sweep stops starting new passes after this long; the next minute's sweep goes on. */
export const SWEEP_BUDGET_MS = 45_000

/**
 * One SLA sweep at `at`: finds due incidents through the narrow `sla_deadline` table (ids and
 * times only, across organizations), then, per organization and in one transaction per chunk,
 * locks them, records each newly crossed threshold once (`sla_signal`'s key), appends its
 * `sla.warning` / `sla.breached` event (which queues the notifications through `event_outbox` in
 * the same transaction) and moves the deadline on.
 */
export async function sweepSla(deps: SweepDeps, at: Date, maxPasses = 20): Promise<SweepResult> {
  const started = performance.now()
  const result: SweepResult = { due: 0, warnings: 0, breaches: 0, organizations: 0, ms: 0 }
  const seenOrganizations = new Set<string>()
  for (let pass = 0; pass < maxPasses; pass += 1) {
    const due = await inScope(deps.orm, {}, (em) =>
      em.execute<{ incident_id: string; tenant_id: string }[]>(
        `select incident_id, tenant_id from sla_deadline where due_at <= ? order by due_at limit ?`,
        [at, PASS],
      ),
    )
    if (due.length === 0) break
    const byOrganization = new Map<string, string[]>()
    for (const row of due) {
      const ids = byOrganization.get(row.tenant_id) ?? []
      ids.push(row.incident_id)
      byOrganization.set(row.tenant_id, ids)
    }
    let progressed = 0
    for (const [organizationId, ids] of byOrganization) {
      seenOrganizations.add(organizationId)
      for (let i = 0; i < ids.length; i += CHUNK) {
        const chunk = ids.slice(i, i + CHUNK)
        const done = await sweepChunk(deps, organizationId, chunk, at)
        result.due += done.handled
        result.warnings += done.warnings
        result.breaches += done.breaches
        progressed += done.handled
      }
    }
    // Rows another sweep handled meanwhile are skipped; stop when a pass moved nothing.
    if (due.length < PASS || progressed === 0) break
    if (performance.now() - started > SWEEP_BUDGET_MS) break
  }
  result.organizations = seenOrganizations.size
  result.ms = Math.round(performance.now() - started)
  if (result.warnings + result.breaches > 0)
    deps.logger.info({ ...result, at: at.toISOString() }, 'sla sweep recorded signals')
  return result
}

async function sweepChunk(deps: SweepDeps, organizationId: string, ids: string[], at: Date) {
  return inScope(deps.orm, { organizationId }, async (em) => {
    // The row locks serialise this with user changes and with any overlapping sweep; the
    // deadline condition is re-checked on the locked (latest) row version, so an incident another
    // sweep already advanced drops out here.
    const incidents = await em.find(
      IncidentSchema,
      { organizationId, id: { $in: ids }, slaNextDeadline: { $lte: at } },
      { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } },
    )
    if (incidents.length === 0) return { handled: 0, warnings: 0, breaches: 0 }
    const policies = await policiesById(
      em,
      incidents.map((i) => i.slaPolicyId),
    )
    const signalled = await signalsOf(
      em,
      incidents.map((i) => i.id),
    )
    const rows: Array<{ incident: Incident; signal: SlaSignal; seq: number }> = []
    let warnings = 0
    let breaches = 0
    for (const incident of incidents) {
      const policy = incident.slaPolicyId ? policies.get(incident.slaPolicyId) : undefined
      if (!policy) {
        incident.slaNextDeadline = null
        continue
      }
      const targets = policy.targets[incident.severity]
      const clocks = clocksFor(incident, policy.targets, at)
      const before = signalled.get(incident.id) ?? []
      const crossed = crossedThresholds(clocks, before)
      for (const signal of crossed) {
        const clock = clocks.find((c) => c.target === signal.target)!
        await appendEvent(
          em,
          incident,
          signal.kind === 'breached' ? 'sla.breached' : 'sla.warning',
          {
            target: signal.target,
            severity: incident.severity,
            policyVersion: policy.version,
            targetSeconds: targets[signal.target]!,
            dueAt: clock.dueAt.toISOString(),
            warnAt: clock.warnAt.toISOString(),
          },
          null,
          at,
        )
        rows.push({ incident, signal, seq: incident.lastEventSeq })
        if (signal.kind === 'breached') breaches += 1
        else warnings += 1
      }
      incident.slaNextDeadline = nextDeadline(clocks, [...before, ...crossed])
    }
    if (rows.length > 0) {
      // The key (incident, target, kind) is the last word on duplicates: should anything have
      // recorded one of these meanwhile, the whole chunk rolls back and the next sweep redoes it.
      const inserted = await em.execute<{ n: number }[]>(
        `with added as (
           insert into sla_signal (organization_id, incident_id, target, kind, event_seq, signalled_at)
           select ?::uuid, x.incident_id, x.target, x.kind, x.seq, ?::timestamptz
             from jsonb_to_recordset(?::jsonb) as x(incident_id uuid, target text, kind text, seq int)
           on conflict do nothing
           returning 1)
         select count(*)::int as n from added`,
        [
          organizationId,
          at,
          JSON.stringify(
            rows.map((r) => ({
              incident_id: r.incident.id,
              target: r.signal.target,
              kind: r.signal.kind,
              seq: r.seq,
            })),
          ),
        ],
      )
      if (inserted[0]!.n !== rows.length)
        throw new Error('SLA signal recorded concurrently; this chunk is retried by the next sweep')
    }
    await em.flush()
    return { handled: incidents.length, warnings, breaches }
  })
}
