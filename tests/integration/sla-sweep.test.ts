import { LockMode } from '@mikro-orm/postgresql'
import { describe, expect, it } from 'vitest'
import { verifyOrganization } from '~/domain/incident/audit.server'
import { appendEvent, appendEvents } from '~/domain/incident/event-store.server'
import { IncidentConflictError } from '~/domain/incident/incident-errors'
import {
  changeSeverity,
  declareIncident,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import { fillTimelineEntries } from '~/domain/incident/timeline.server'
import type { Severity } from '~/domain/incident/vocabulary'
import { crossedThresholds } from '~/domain/sla/clock'
import type { SlaTargets } from '~/domain/sla/policy'
import {
  clocksFor,
  policyHistory,
  refreshSlaDeadline,
  savePolicy,
  signalsOf,
} from '~/domain/sla/sla.server'
import { sweepSla } from '~/domain/sla/sweep.server'
import { createLogger } from '~/utils/logger.server'
import { IncidentSchema } from '../../db/entities/incident'
import { SlaPolicySchema } from '../../db/entities/sla'
import { initORM } from '../../db/orm'
import { relayEvents } from '~/domain/notify/fanout.server'
import { loadDashboard } from '~/domain/analytics/analytics.server'
import { parseAnalyticsFilters } from '~/domain/analytics/filters'
import { setUpTestDatabase, type TestDatabase } from '../support/database'
import { addMember, type TestMember } from '../support/incidents'

// The sweep is called directly with injected times: no test waits for a deadline.

const db = setUpTestDatabase('sla_sweep')
const logger = createLogger({ name: 'test', level: 'silent', pretty: false })

const DAY = 24 * 60 * 60 * 1000

/** Short targets: SEV-1 warns at half of each target (30 s, 60 s, 120 s). */
const TARGETS: SlaTargets = {
  'SEV-1': { acknowledge: 60, mitigate: 120, resolve: 240, warningPercent: 50 },
  'SEV-2': { acknowledge: 120, mitigate: 240, resolve: null, warningPercent: 50 },
  'SEV-3': { acknowledge: 600, mitigate: null, resolve: 3600, warningPercent: 75 },
  'SEV-4': { acknowledge: 3600, mitigate: null, resolve: 7200, warningPercent: 75 },
}

let epochs = 0
/**
 * A start time for one test, a week before the previous test's. A sweep at `at` handles every
 * incident due by `at` in the database, so each test works on times earlier than anything an
 * earlier test left with a deadline ahead, and the sweep's counts are that test's alone.
 */
function epoch() {
  epochs += 1
  return new Date(Date.UTC(2024, 0, 1) - epochs * 7 * DAY)
}

const after = (start: Date, seconds: number) => new Date(start.getTime() + seconds * 1000)

const sweep = (at: Date, orm = db.orm) => sweepSla(orm, at)

interface Team {
  organizationId: string
  admin: TestMember
  engineer: TestMember
  manager: TestMember
  policyVersion: number
}

/** An organization with an admin, a manager and an engineer, on `targets` (saved by the admin). */
async function team(
  targets: SlaTargets = TARGETS,
  name = 'Sweep Org',
  on: TestDatabase = db,
): Promise<Team> {
  const organizationId = await on.createOrganization(name)
  const admin = await addMember(on, organizationId, 'admin')
  const manager = await addMember(on, organizationId, 'manager')
  const engineer = await addMember(on, organizationId, 'engineer')
  const { current } = await policyHistory(on.orm, organizationId)
  const policyVersion = await savePolicy(on.orm, admin, targets, current.version)
  return { organizationId, admin, engineer, manager, policyVersion }
}

async function declare(
  member: TestMember,
  at: Date,
  severity: Severity = 'SEV-1',
  title = 'Checkout returns 500',
  options: { on?: TestDatabase; commanderId?: string } = {},
) {
  return declareIncident(
    (options.on ?? db).orm,
    member,
    {
      title,
      summary: 'Card payments fail.',
      severity,
      ...(options.commanderId ? { commanderId: options.commanderId } : {}),
    },
    at,
  )
}

interface SlaEventRow {
  incident_id: string
  organization_id: string
  seq: number
  type: string
  target: string | null
  severity: string | null
  target_seconds: number | null
}

/** The SLA events of these incidents as committed, in timeline order. */
async function slaEvents(incidentIds: string[]) {
  return db.query<SlaEventRow>(
    `select incident_id, organization_id, seq, type, payload->>'target' as target,
            payload->>'severity' as severity, (payload->>'targetSeconds')::int as target_seconds
       from incident_event
      where incident_id = any($1::uuid[]) and type like 'sla.%'
      order by incident_id, seq`,
    [incidentIds],
  )
}

/** What sla_signal holds for these incidents: `target:kind@seq`, per incident. */
async function signals(incidentIds: string[]) {
  const rows = await db.query<{
    incident_id: string
    target: string
    kind: string
    event_seq: number
  }>(
    `select incident_id, target, kind, event_seq from sla_signal
      where incident_id = any($1::uuid[]) order by incident_id, event_seq, target, kind`,
    [incidentIds],
  )
  return rows
}

/** The incident's next deadline, and the row the trigger mirrors into sla_deadline. */
async function deadline(incidentId: string) {
  const [row] = await db.query<{ next: Date | null; mirrored: Date | null }>(
    `select i.sla_next_deadline as next, d.due_at as mirrored
       from incident i left join sla_deadline d on d.incident_id = i.id
      where i.id = $1`,
    [incidentId],
  )
  expect(row!.mirrored?.getTime() ?? null, 'sla_deadline mirrors the incident').toBe(
    row!.next?.getTime() ?? null,
  )
  return row!.next
}

/** The outbox rows waiting for these incidents' events: `seq` per incident. */
async function outboxOf(incidentId: string) {
  const rows = await db.query<{ event_seq: number }>(
    `select event_seq from event_outbox where incident_id = $1 order by event_seq`,
    [incidentId],
  )
  return rows.map((r) => r.event_seq)
}

/** The timeline read model of these incidents, as written. */
async function timelineEntries(incidentIds: string[]) {
  return db.query<{
    incident_id: string
    seq: number
    run_key: string | null
    run_start: number
    html: string | null
    html_of: string | null
    supersedes_seq: number | null
  }>(
    `select incident_id, seq, run_key, run_start, html, html_of, supersedes_seq
       from incident_timeline_entry where incident_id = any($1::uuid[]) order by incident_id, seq`,
    [incidentIds],
  )
}

/**
 * The read model of these incidents is what `fillTimelineEntries` derives from their events one
 * by one: their rows are removed (as the owner) and filled again, and must come back the same.
 */
async function expectTimelineAsDerived(incidentIds: string[]) {
  const written = await timelineEntries(incidentIds)
  const events = await db.query<{ n: number }>(
    `select count(*)::int as n from incident_event where incident_id = any($1::uuid[])`,
    [incidentIds],
  )
  expect(written).toHaveLength(events[0]!.n)
  await db.query(`delete from incident_timeline_entry where incident_id = any($1::uuid[])`, [
    incidentIds,
  ])
  await db.orm.em
    .fork()
    .transactional((em) => fillTimelineEntries((sql, params) => em.execute(sql, params)))
  expect(await timelineEntries(incidentIds)).toEqual(written)
}

/** Event-type/target pairs per incident, e.g. `sla.warning:acknowledge`. */
function timelineOf(rows: SlaEventRow[], incidentId: string) {
  return rows
    .filter((r) => r.incident_id === incidentId)
    .map((r) => (r.target ? `${r.type}:${r.target}` : r.type))
}

const FULL_SEV1_TIMELINE = [
  'sla.warning:acknowledge',
  'sla.breached:acknowledge',
  'sla.warning:mitigate',
  'sla.breached:mitigate',
  'sla.warning:resolve',
  'sla.breached:resolve',
]

describe('sweepSla', () => {
  it('signals each threshold once, warning at its threshold and breach when due, moving the deadline on until nothing is left', async () => {
    const start = epoch()
    const { engineer, organizationId, policyVersion } = await team()
    const incidents = [
      await declare(engineer, start),
      await declare(engineer, start),
      await declare(engineer, start),
    ]
    const ids = incidents.map((i) => i.id)
    for (const id of ids) expect(await deadline(id)).toEqual(after(start, 30))

    // Before the first warning threshold nothing is due.
    expect(await sweep(after(start, 10))).toMatchObject({ due: 0, warnings: 0, breaches: 0 })
    expect(await sweep(new Date(after(start, 30).getTime() - 1))).toMatchObject({ due: 0 })
    expect(await slaEvents(ids)).toEqual([])

    // Each step: sweep at the threshold, then sweep again at the same time and a bit later.
    const steps: Array<{ at: number; warnings: number; breaches: number; next: number | null }> = [
      { at: 30, warnings: 3, breaches: 0, next: 60 }, // acknowledge at risk
      { at: 60, warnings: 3, breaches: 3, next: 120 }, // acknowledge breached, mitigate at risk
      { at: 120, warnings: 3, breaches: 3, next: 240 }, // mitigate breached, resolve at risk
      { at: 240, warnings: 0, breaches: 3, next: null }, // resolve breached: nothing left
    ]
    for (const step of steps) {
      const result = await sweep(after(start, step.at))
      expect(result, `sweep at +${step.at}s`).toMatchObject({
        due: 3,
        warnings: step.warnings,
        breaches: step.breaches,
        organizations: 1,
      })
      expect(await sweep(after(start, step.at)), `repeated sweep at +${step.at}s`).toMatchObject({
        due: 0,
        warnings: 0,
        breaches: 0,
      })
      for (const id of ids)
        expect(await deadline(id)).toEqual(step.next === null ? null : after(start, step.next))
    }
    expect(await sweep(after(start, 7 * 24 * 3600 - 1))).toMatchObject({ due: 0 })

    const events = await slaEvents(ids)
    for (const id of ids) expect(timelineOf(events, id)).toEqual(FULL_SEV1_TIMELINE)
    expect(events.every((e) => e.organization_id === organizationId)).toBe(true)
    expect(events.every((e) => e.severity === 'SEV-1')).toBe(true)
    const [payload] = await db.query<{ payload: Record<string, unknown> }>(
      `select payload from incident_event where incident_id = $1 and type = 'sla.breached'
        and payload->>'target' = 'acknowledge'`,
      [ids[0]],
    )
    expect(payload!.payload).toEqual({
      target: 'acknowledge',
      severity: 'SEV-1',
      policyVersion,
      targetSeconds: 60,
      dueAt: after(start, 60).toISOString(),
      warnAt: after(start, 30).toISOString(),
    })

    // sla_signal holds one row per event, naming the event it caused.
    const recorded = await signals(ids)
    expect(recorded).toHaveLength(18)
    for (const event of events) {
      const [, kind] = event.type.split('.')
      expect(
        recorded.filter(
          (s) =>
            s.incident_id === event.incident_id &&
            s.target === event.target &&
            s.kind === kind &&
            s.event_seq === event.seq,
        ),
      ).toHaveLength(1)
    }
    // The timeline stays a valid hash chain with the sweep's events in it.
    expect((await verifyOrganization(db.orm, organizationId)).ok).toBe(true)
    // Each event waits in the outbox for its fan-out, and the page shows the six SLA entries as
    // one run after the declaration, exactly as appending them one by one would have.
    for (const id of ids) expect(await outboxOf(id)).toEqual([1, 2, 3, 4, 5, 6, 7])
    const entries = await timelineEntries([ids[0]!])
    expect(entries.map((e) => [e.seq, e.run_key, e.run_start])).toEqual([
      [1, null, 1],
      [2, 'sla', 2],
      [3, 'sla', 2],
      [4, 'sla', 2],
      [5, 'sla', 2],
      [6, 'sla', 2],
      [7, 'sla', 2],
    ])
    await expectTimelineAsDerived(ids)
  })

  it('writes for each signal what appending that event alone writes: event, outbox row, timeline entry, incident', async () => {
    const start = epoch()
    // Twins: one incident in each of two organizations with the same targets, declared alike.
    const swept = await team(TARGETS, 'Swept')
    const alone = await team(TARGETS, 'One by one')
    const a = await declare(swept.engineer, start)
    const b = await declare(alone.engineer, start)

    /** What the sweep does for one incident, one `appendEvent` call per signal. */
    const appendOneByOne = (at: Date) =>
      db.inOrg(async (em) => {
        const incident = await em.findOneOrFail(
          IncidentSchema,
          { id: b.id },
          { lockMode: LockMode.PESSIMISTIC_WRITE },
        )
        const policy = await em.findOneOrFail(SlaPolicySchema, { id: incident.slaPolicyId! })
        const clocks = clocksFor(incident, policy.targets, at)
        const before = (await signalsOf(em, [incident.id])).get(incident.id) ?? []
        for (const signal of crossedThresholds(clocks, before)) {
          const clock = clocks.find((c) => c.target === signal.target)!
          await appendEvent(
            em,
            incident,
            signal.kind === 'breached' ? 'sla.breached' : 'sla.warning',
            {
              target: signal.target,
              severity: incident.severity,
              policyVersion: policy.version,
              targetSeconds: policy.targets[incident.severity][signal.target]!,
              dueAt: clock.dueAt.toISOString(),
              warnAt: clock.warnAt.toISOString(),
            },
            null,
            at,
          )
          await em.execute(
            `insert into sla_signal (organization_id, incident_id, target, kind, event_seq, signalled_at)
             values (?, ?, ?, ?, ?, ?)`,
            [
              alone.organizationId,
              incident.id,
              signal.target,
              signal.kind,
              incident.lastEventSeq,
              at,
            ],
          )
        }
        await refreshSlaDeadline(em, incident, at)
        await em.flush()
      }, alone.organizationId)

    const written = async (incidentId: string) => ({
      events: await db.query(
        `select seq, type, actor_id, occurred_at, payload from incident_event
          where incident_id = $1 order by seq`,
        [incidentId],
      ),
      outbox: await outboxOf(incidentId),
      timeline: (await timelineEntries([incidentId])).map(({ incident_id: _, ...entry }) => entry),
      signals: (await signals([incidentId])).map(({ incident_id: _, ...signal }) => signal),
      incident: (
        await db.query(
          `select version, last_event_seq, sla_next_deadline from incident where id = $1`,
          [incidentId],
        )
      )[0],
    })

    // +30 s: acknowledge at risk; +60 s: its breach and mitigate at risk, two events in one sweep.
    for (const seconds of [30, 60]) {
      const at = after(start, seconds)
      await appendOneByOne(at)
      expect(await sweep(at)).toMatchObject({ due: 1, organizations: 1 })
    }
    const fromSweep = await written(a.id)
    expect(fromSweep.events.map((e) => e.type)).toEqual([
      'incident.declared',
      'sla.warning',
      'sla.breached',
      'sla.warning',
    ])
    const fromAlone = await written(b.id)
    // The declarations differ (ids, names); everything after them is the same.
    fromSweep.events.shift()
    fromAlone.events.shift()
    expect(fromSweep).toEqual(fromAlone)
    expect((await verifyOrganization(db.orm, swept.organizationId)).ok).toBe(true)
    expect((await verifyOrganization(db.orm, alone.organizationId)).ok).toBe(true)
  })

  it('chains interleaved events of several incidents in one append, each run continuing where it began', async () => {
    const start = epoch()
    const { engineer, organizationId } = await team()
    const a = await declare(engineer, start)
    const b = await declare(engineer, start)
    const signal = (target: 'acknowledge' | 'mitigate') => ({
      target,
      severity: 'SEV-1' as const,
      policyVersion: 2,
      targetSeconds: 60,
      dueAt: after(start, 60).toISOString(),
      warnAt: after(start, 30).toISOString(),
    })
    const at = after(start, 70)
    await db.inOrg(async (em) => {
      const [first, second] = await em.find(
        IncidentSchema,
        { id: { $in: [a.id, b.id] } },
        { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { number: 'asc' } },
      )
      const appended = await appendEvents(em, [
        {
          incident: first!,
          type: 'sla.warning',
          payload: signal('acknowledge'),
          actorId: null,
          now: at,
        },
        {
          incident: second!,
          type: 'sla.breached',
          payload: signal('acknowledge'),
          actorId: null,
          now: at,
        },
        {
          incident: first!,
          type: 'sla.breached',
          payload: signal('acknowledge'),
          actorId: null,
          now: at,
        },
        {
          incident: first!,
          type: 'comment.added',
          payload: { body: 'Paged the **database** team.' },
          actorId: engineer.user.id,
          now: at,
        },
        {
          incident: first!,
          type: 'sla.warning',
          payload: signal('mitigate'),
          actorId: null,
          now: at,
        },
      ])
      expect(appended.map((e) => [e.incidentId, e.seq])).toEqual([
        [a.id, 2],
        [b.id, 2],
        [a.id, 3],
        [a.id, 4],
        [a.id, 5],
      ])
      expect([first!.version, second!.version]).toEqual([5, 2])
      await em.flush()
    }, organizationId)

    expect((await timelineEntries([a.id])).map((e) => [e.seq, e.run_key, e.run_start])).toEqual([
      [1, null, 1],
      [2, 'sla', 2],
      [3, 'sla', 2],
      [4, null, 4],
      [5, 'sla', 5],
    ])
    const [comment] = (await timelineEntries([a.id])).filter((e) => e.seq === 4)
    expect(comment).toMatchObject({
      html_of: 'comment',
      html: expect.stringContaining('<strong>database</strong>'),
    })
    await expectTimelineAsDerived([a.id, b.id])
    expect(await outboxOf(a.id)).toEqual([1, 2, 3, 4, 5])
    expect(await outboxOf(b.id)).toEqual([1, 2])
    expect((await verifyOrganization(db.orm, organizationId)).ok).toBe(true)
  })

  it('refuses a timeline entry whose event does not exist', async () => {
    const start = epoch()
    const { engineer, organizationId } = await team()
    const incident = await declare(engineer, start)
    await expect(
      db.inOrg(
        (em) =>
          em.execute(
            `insert into incident_timeline_entry (organization_id, incident_id, seq, run_start)
             values (?, ?, 2, 2)`,
            [organizationId, incident.id],
          ),
        organizationId,
      ),
    ).rejects.toThrow(/incident_timeline_entry_event_fkey/)
    expect(await timelineEntries([incident.id])).toHaveLength(1)
  })

  it('refuses an event or a signal that names an incident of another organization, even to the owner', async () => {
    const start = epoch()
    const { engineer } = await team()
    const other = await team(TARGETS, 'Other Sweep Org')
    const incident = await declare(engineer, start)
    const [head] = await db.query<{ hash: string }>(
      `select hash from incident_event where incident_id = $1 and seq = 1`,
      [incident.id],
    )
    await expect(
      db.query(
        `insert into incident_event
           (organization_id, incident_id, seq, type, occurred_at, payload, prev_hash, hash)
         values ($1, $2, 2, 'sla.warning', $3, '{}', $4, repeat('0', 64))`,
        [other.organizationId, incident.id, start, head!.hash],
      ),
    ).rejects.toThrow(/incident_event_incident_fkey/)
    await expect(
      db.query(
        `insert into sla_signal (organization_id, incident_id, target, kind, event_seq, signalled_at)
         values ($1, $2, 'acknowledge', 'warning', 1, $3)`,
        [other.organizationId, incident.id, start],
      ),
    ).rejects.toThrow(/sla_signal_incident_fkey/)
    expect(await slaEvents([incident.id])).toEqual([])
    expect(await signals([incident.id])).toEqual([])
  })

  it('takes migration 0025 down to the separate organization and incident keys, and up again', async () => {
    const keys = async () =>
      (
        await db.query<{ key: string }>(
          `select conrelid::regclass || ' ' || pg_get_constraintdef(oid) as key from pg_constraint
            where conrelid in ('incident_event'::regclass, 'sla_signal'::regclass)
              and contype = 'f' and confrelid in ('incident'::regclass, 'organization'::regclass)
            order by 1`,
        )
      ).map((r) => r.key)
    const one = [
      'incident_event FOREIGN KEY (organization_id, incident_id) REFERENCES incident(organization_id, id)',
      'sla_signal FOREIGN KEY (organization_id, incident_id) REFERENCES incident(organization_id, id) ON DELETE CASCADE',
    ]
    expect(await keys()).toEqual(one)
    const migrator = db.orm.getMigrator()
    await migrator.down({ migrations: ['0025-incident-keys'] })
    expect(await keys()).toEqual([
      'incident_event FOREIGN KEY (incident_id) REFERENCES incident(id)',
      'incident_event FOREIGN KEY (organization_id) REFERENCES organization(id)',
      'sla_signal FOREIGN KEY (incident_id) REFERENCES incident(id)',
      'sla_signal FOREIGN KEY (organization_id) REFERENCES organization(id) ON DELETE CASCADE',
    ])
    await migrator.up({ migrations: ['0025-incident-keys'] })
    expect(await keys()).toEqual(one)
  })

  it('gives only the breach when the first sweep comes after the due time', async () => {
    const start = epoch()
    const { engineer } = await team()
    const { id } = await declare(engineer, start)

    // The worker was down for the whole acknowledge window: a warning after the fact tells
    // nobody anything, so only the breach is recorded (and mitigate's warning, also past).
    expect(await sweep(after(start, 90))).toMatchObject({ due: 1, warnings: 1, breaches: 1 })
    expect(timelineOf(await slaEvents([id]), id)).toEqual([
      'sla.breached:acknowledge',
      'sla.warning:mitigate',
    ])
    expect(await deadline(id)).toEqual(after(start, 120))
  })

  it('records the breach of an incident acknowledged after its due time but before the next sweep', async () => {
    const start = epoch()
    const { engineer } = await team()
    const { id, number } = await declare(engineer, start)

    expect(await sweep(after(start, 30))).toMatchObject({ warnings: 1, breaches: 0 })
    // Due at +60; acknowledged at +70, before any sweep saw the due time pass.
    await transitionIncident(
      db.orm,
      engineer,
      number,
      { action: 'start-investigating' },
      after(start, 70),
    )
    expect(await deadline(id)).toEqual(after(start, 60))

    expect(await sweep(after(start, 80))).toMatchObject({ due: 1, breaches: 1 })
    expect(timelineOf(await slaEvents([id]), id)).toEqual([
      'sla.warning:acknowledge',
      'sla.breached:acknowledge',
      'sla.warning:mitigate',
    ])
    expect(await deadline(id)).toEqual(after(start, 120))
  })

  it('records no acknowledge breach for an incident acknowledged before its due time', async () => {
    const start = epoch()
    const { engineer } = await team()
    const early = await declare(engineer, start, 'SEV-1', 'Acknowledged before the warning')
    const late = await declare(engineer, start, 'SEV-1', 'Acknowledged after the warning')

    await transitionIncident(
      db.orm,
      engineer,
      early.number,
      { action: 'start-investigating' },
      after(start, 10),
    )
    // Acknowledged: its next threshold is mitigate's warning.
    expect(await deadline(early.id)).toEqual(after(start, 60))

    expect(await sweep(after(start, 30))).toMatchObject({ due: 1, warnings: 1, breaches: 0 })
    await transitionIncident(
      db.orm,
      engineer,
      late.number,
      { action: 'start-investigating' },
      after(start, 45),
    )
    expect(await deadline(late.id)).toEqual(after(start, 60))

    expect(await sweep(after(start, 60))).toMatchObject({ due: 2, warnings: 2, breaches: 0 })
    expect(await sweep(after(start, 120))).toMatchObject({ due: 2, warnings: 2, breaches: 2 })
    expect(await sweep(after(start, 240))).toMatchObject({ due: 2, warnings: 0, breaches: 2 })

    const events = await slaEvents([early.id, late.id])
    expect(timelineOf(events, early.id)).toEqual([
      'sla.warning:mitigate',
      'sla.breached:mitigate',
      'sla.warning:resolve',
      'sla.breached:resolve',
    ])
    expect(timelineOf(events, late.id)).toEqual([
      'sla.warning:acknowledge',
      'sla.warning:mitigate',
      'sla.breached:mitigate',
      'sla.warning:resolve',
      'sla.breached:resolve',
    ])
    expect(
      (await signals([early.id, late.id])).filter(
        (s) => s.target === 'acknowledge' && s.kind === 'breached',
      ),
    ).toEqual([])
  })

  it('moves the incident onto the new severity’s targets when the severity changes', async () => {
    const start = epoch()
    const { engineer } = await team()
    const raised = await declare(engineer, start, 'SEV-2', 'Raised before its first warning')
    const raisedLate = await declare(engineer, start, 'SEV-2', 'Raised after SEV-1 would be due')
    // SEV-2: acknowledge 120 s, warning at 60 s.
    expect(await deadline(raised.id)).toEqual(after(start, 60))

    await changeSeverity(
      db.orm,
      engineer,
      raised.number,
      { severity: 'SEV-1', reason: 'Every region is affected' },
      after(start, 20),
    )
    // SEV-1: acknowledge 60 s, warning at 30 s.
    expect(await deadline(raised.id)).toEqual(after(start, 30))
    const [retargeted] = await db.query<{ payload: Record<string, unknown> }>(
      `select payload from incident_event where incident_id = $1 and type = 'sla.retargeted'`,
      [raised.id],
    )
    expect(retargeted!.payload).toMatchObject({
      severity: 'SEV-1',
      targets: { acknowledge: 60, mitigate: 120, resolve: 240 },
      warningPercent: 50,
    })

    expect(await sweep(after(start, 30))).toMatchObject({ due: 1, warnings: 1, breaches: 0 })
    const warning = (await slaEvents([raised.id])).find((e) => e.type === 'sla.warning')
    expect(warning).toMatchObject({
      type: 'sla.warning',
      target: 'acknowledge',
      severity: 'SEV-1',
      target_seconds: 60,
    })

    // Raised at +70 s: SEV-1's acknowledge warning (+30 s) and due time (+60 s) lie in the past,
    // so the deadline does too and the next sweep records the breach at once, without the
    // warning that would come after the fact.
    await changeSeverity(
      db.orm,
      engineer,
      raisedLate.number,
      { severity: 'SEV-1', reason: 'Every region is affected' },
      after(start, 70),
    )
    expect(await deadline(raisedLate.id)).toEqual(after(start, 30))
    expect(await sweep(after(start, 70))).toMatchObject({ due: 2, warnings: 2, breaches: 2 })
    const events = await slaEvents([raised.id, raisedLate.id])
    expect(timelineOf(events, raisedLate.id)).toEqual([
      'sla.retargeted',
      'sla.breached:acknowledge',
      'sla.warning:mitigate',
    ])
    expect(timelineOf(events, raised.id)).toEqual([
      'sla.retargeted',
      'sla.warning:acknowledge',
      'sla.breached:acknowledge',
      'sla.warning:mitigate',
    ])

    // Lowered again: on SEV-2's targets, what was signalled stays signalled, and the next
    // threshold is SEV-2's mitigate due time (240 s; its warning at 120 s is already recorded).
    await changeSeverity(
      db.orm,
      engineer,
      raised.number,
      { severity: 'SEV-2', reason: 'Only one region after all' },
      after(start, 80),
    )
    expect(await deadline(raised.id)).toEqual(after(start, 240))
  })

  it('records one warning and one breach per incident and target when two sweeps race, each with two chunks at a time, over 200 incidents', async () => {
    const start = epoch()
    const { engineer, organizationId } = await team()
    const ids: string[] = []
    for (let i = 0; i < 200; i += 1)
      ids.push((await declare(engineer, start, 'SEV-1', `Incident ${i}`)).id)

    // A second ORM: its own pool, so the two sweeps really run on separate connections. Small
    // chunks and passes: each sweep has two transactions in flight and reads the due rows in two
    // passes, so up to four transactions lock overlapping sets of incidents at once.
    const other = await initORM(db.url, { pool: { min: 0, max: 4 } })
    const options = { chunk: 30, lanes: 2, pass: 120 }
    const totals = { due: 0, warnings: 0, breaches: 0 }
    try {
      for (const seconds of [30, 45, 60, 61, 120, 200, 240, 300]) {
        const at = after(start, seconds)
        const results = await Promise.all([
          sweepSla(db.orm, at, options),
          sweepSla(other, at, options),
        ])
        for (const r of results) {
          totals.due += r.due
          totals.warnings += r.warnings
          totals.breaches += r.breaches
        }
      }
    } finally {
      await other.close(true)
    }

    const duplicates = await db.query(
      `select incident_id, type, payload->>'target' as target, count(*)::int as n
         from incident_event
        where organization_id = $1 and type in ('sla.warning', 'sla.breached')
        group by 1, 2, 3 having count(*) > 1`,
      [organizationId],
    )
    expect(duplicates).toEqual([])
    const events = await slaEvents(ids)
    expect(events).toHaveLength(200 * 6)
    for (const id of ids) expect(timelineOf(events, id)).toEqual(FULL_SEV1_TIMELINE)
    expect(await signals(ids)).toHaveLength(200 * 6)
    // What the sweeps report adds up to what was recorded: no signal is counted twice.
    expect(totals).toEqual({ due: 4 * 200, warnings: 3 * 200, breaches: 3 * 200 })
    expect(
      await db.query(`select 1 from sla_deadline where incident_id = any($1::uuid[])`, [ids]),
    ).toEqual([])
    expect((await verifyOrganization(db.orm, organizationId)).ok).toBe(true)
  })

  it('sweeps each organization under its own scope and policy, its events landing in that organization', async () => {
    const start = epoch()
    const north = await team(TARGETS, 'North')
    const south = await team(
      {
        ...TARGETS,
        'SEV-1': { acknowledge: 90, mitigate: 180, resolve: null, warningPercent: 50 },
      },
      'South',
    )
    const northIncident = await declare(north.engineer, start)
    const southIncident = await declare(south.engineer, start)

    expect(await sweep(after(start, 60))).toMatchObject({
      due: 2,
      warnings: 2,
      breaches: 1,
      organizations: 2,
    })
    const events = await slaEvents([northIncident.id, southIncident.id])
    expect(timelineOf(events, northIncident.id)).toEqual([
      'sla.breached:acknowledge',
      'sla.warning:mitigate',
    ])
    // South's acknowledge is 90 s: at +60 s it is only at risk.
    expect(timelineOf(events, southIncident.id)).toEqual(['sla.warning:acknowledge'])
    for (const e of events)
      expect(e.organization_id).toBe(
        e.incident_id === northIncident.id ? north.organizationId : south.organizationId,
      )
    expect(
      events.find((e) => e.incident_id === southIncident.id)?.target_seconds,
      "south's own policy",
    ).toBe(90)
    const [southSignal] = await db.query<{ organization_id: string }>(
      `select organization_id from sla_signal where incident_id = $1`,
      [southIncident.id],
    )
    expect(southSignal!.organization_id).toBe(south.organizationId)

    // Under North's scope, South's events do not exist (the sweep wrote them under South's).
    const seenFromNorth = await db.inOrg(
      (em) =>
        em.execute<{ n: number }[]>(
          `select count(*)::int as n from incident_event where incident_id = ?`,
          [southIncident.id],
        ),
      north.organizationId,
    )
    expect(seenFromNorth[0]!.n).toBe(0)
    expect((await verifyOrganization(db.orm, north.organizationId)).ok).toBe(true)
    expect((await verifyOrganization(db.orm, south.organizationId)).ok).toBe(true)
  })

  // The sweep writes events with their outbox rows and timeline entries first, then the signals
  // and the incidents: a failure at the first write and one at the last leave the same nothing.
  it.each([
    {
      write: 'first',
      table: 'event_outbox',
      column: 'tenant_id',
      when: 'insert',
    },
    {
      write: 'last',
      table: 'incident',
      column: 'organization_id',
      when: 'update',
    },
  ])(
    'leaves no event, signal, outbox row or timeline entry behind when its transaction fails at its $write write, and the next sweep does the work',
    async ({ table, column, when }) => {
      const start = epoch()
      const { engineer, organizationId } = await team()
      const incidents = [await declare(engineer, start), await declare(engineer, start)]
      const ids = incidents.map((i) => i.id)
      for (const id of ids) expect(await outboxOf(id)).toEqual([1])
      const timelineBefore = await timelineEntries(ids)
      expect(timelineBefore).toHaveLength(2)

      // For this organization only.
      expect(organizationId).toMatch(/^[0-9a-f-]{36}$/)
      await db.query(`
        create function sweep_test_refuse() returns trigger language plpgsql as $$
        begin raise exception '% refused by the test', tg_table_name; end $$`)
      await db.query(`
        create trigger sweep_test_refuse before ${when} on ${table} for each row
          when (new.${column} = '${organizationId}'::uuid)
          execute function sweep_test_refuse()`)
      try {
        await expect(sweep(after(start, 60))).rejects.toThrow(`${table} refused by the test`)
      } finally {
        await db.query(`drop trigger sweep_test_refuse on ${table}`)
        await db.query(`drop function sweep_test_refuse()`)
      }

      expect(await slaEvents(ids)).toEqual([])
      expect(await signals(ids)).toEqual([])
      for (const id of ids) expect(await outboxOf(id)).toEqual([1])
      expect(await timelineEntries(ids)).toEqual(timelineBefore)
      for (const id of ids) expect(await deadline(id)).toEqual(after(start, 30))
      const [row] = await db.query<{ version: number; last_event_seq: number }>(
        `select version, last_event_seq from incident where id = $1`,
        [ids[0]],
      )
      expect(row).toEqual({ version: 1, last_event_seq: 1 })

      expect(await sweep(after(start, 60))).toMatchObject({ due: 2, warnings: 2, breaches: 2 })
      const events = await slaEvents(ids)
      for (const id of ids)
        expect(timelineOf(events, id)).toEqual(['sla.breached:acknowledge', 'sla.warning:mitigate'])
      expect(await signals(ids)).toHaveLength(4)
      for (const id of ids) expect(await outboxOf(id)).toEqual([1, 2, 3])
      await expectTimelineAsDerived(ids)
      expect((await verifyOrganization(db.orm, organizationId)).ok).toBe(true)
    },
  )
})

describe('forms opened before the sweep', () => {
  it('stay valid after SLA entries the system appended, but not after a person’s change', async () => {
    const start = epoch()
    const { engineer, admin } = await team()
    const { id, number } = await declare(engineer, start)
    // The page was opened at version 1; the sweep then records a warning (version 2).
    expect(await sweep(after(start, 30))).toMatchObject({ warnings: 1 })
    const done = await transitionIncident(
      db.orm,
      engineer,
      number,
      { action: 'start-investigating', version: 1 },
      after(start, 40),
    )
    expect(done.status).toBe('investigating')

    // A severity change by someone else in between does make the old form stale.
    const opened = done.version
    await changeSeverity(
      db.orm,
      admin,
      number,
      { severity: 'SEV-2', reason: 'Only EU affected' },
      after(start, 50),
    )
    await expect(
      transitionIncident(
        db.orm,
        engineer,
        number,
        { action: 'mark-mitigated', version: opened },
        after(start, 55),
      ),
    ).rejects.toBeInstanceOf(IncidentConflictError)
    expect(timelineOf(await slaEvents([id]), id)).toEqual([
      'sla.warning:acknowledge',
      'sla.retargeted',
    ])
  })
})

describe('the event relay after sweeps', () => {
  // Its own database: the relay fans out every waiting event, so none of the sweeps above may
  // leave theirs here.
  const relayDb = setUpTestDatabase('sla_relay')
  const APP_URL = 'https://incidentflow.example.test'

  /** Relays until nothing is waiting; returns how many events were handled. */
  async function drain(orm = relayDb.orm) {
    let total = 0
    for (;;) {
      const handled = await relayEvents({ orm, boss: relayDb.boss, logger, appUrl: APP_URL })
      total += handled
      if (handled === 0) return total
    }
  }

  interface EmailRow {
    to_address: string
    kind: string
    subject: string
    idempotency_key: string
  }
  const emailsOf = (organizationId: string) =>
    relayDb.query<EmailRow>(
      `select to_address, kind, subject, idempotency_key from email_outbox
        where organization_id = $1 order by idempotency_key`,
      [organizationId],
    )

  it('queues each e-mail once, for the commander and the managers the default rules name', async () => {
    const start = epoch()
    const crew = await team(TARGETS, 'Relay Org', relayDb)
    const commander = await addMember(relayDb, crew.organizationId, 'engineer')
    // The engineer declares and names someone else commander: the commander is told, and the
    // SEV-1 rule tells the managers; the declarer is not told about their own action.
    const incident = await declare(crew.engineer, start, 'SEV-1', 'Payments are down', {
      on: relayDb,
      commanderId: commander.user.id,
    })
    await sweepSla(relayDb.orm, after(start, 30)) // seq 2: acknowledge at risk
    await sweepSla(relayDb.orm, after(start, 60)) // seq 3, 4: breached, mitigate at risk

    // Two relays at once, on separate connections, share the waiting events without doubling any.
    const other = await initORM(relayDb.url, { pool: { min: 0, max: 2 } })
    let handled: number[]
    try {
      handled = await Promise.all([drain(), drain(other)])
    } finally {
      await other.close(true)
    }
    // Events 1–4, plus the escalation.fired events the two rules appended (5 and 6).
    expect(handled[0]! + handled[1]!).toBe(6)

    const key = (seq: number, member: TestMember) => `event:${incident.id}:${seq}:${member.user.id}`
    const emails = await emailsOf(crew.organizationId)
    expect(emails.map((e) => ({ to: e.to_address, kind: e.kind, key: e.idempotency_key }))).toEqual(
      [
        { to: commander.user.email, kind: 'incident.declared', key: key(1, commander) },
        { to: crew.manager.user.email, kind: 'incident.declared', key: key(1, crew.manager) },
        { to: commander.user.email, kind: 'sla.warning', key: key(2, commander) },
        { to: commander.user.email, kind: 'sla.breached', key: key(3, commander) },
        { to: crew.manager.user.email, kind: 'sla.breached', key: key(3, crew.manager) },
        { to: commander.user.email, kind: 'sla.warning', key: key(4, commander) },
      ].sort((a, b) => a.key.localeCompare(b.key)),
    )
    expect(emails.find((e) => e.kind === 'sla.breached')?.subject).toBe(
      `[INC-${incident.number}] SEV-1 SLA breached: acknowledge target: Payments are down`,
    )
    const fired = await relayDb.query<{ seq: number; rule: string; cause: number }>(
      `select seq, payload->>'ruleName' as rule, (payload->>'causeSeq')::int as cause
         from incident_event where incident_id = $1 and type = 'escalation.fired' order by seq`,
      [incident.id],
    )
    // Two relays run at once, so which firing was appended first is not fixed.
    expect(fired.map((f) => f.cause).sort((a, b) => a - b)).toEqual([1, 3])

    // Each e-mail has its delivery job; nothing waits in the outbox any more.
    const jobs = await relayDb.query<{ n: number }>(
      `select count(*)::int as n from pgboss.job where name = 'email-deliver'
          and data->>'organizationId' = $1`,
      [crew.organizationId],
    )
    expect(jobs[0]!.n).toBe(6)
    expect(
      await relayDb.query(`select 1 from event_outbox where incident_id = $1`, [incident.id]),
    ).toEqual([])

    // Relaying again finds nothing; a later breach adds only its own e-mails.
    expect(await drain()).toBe(0)
    await sweepSla(relayDb.orm, after(start, 120))
    await drain()
    const later = await emailsOf(crew.organizationId)
    expect(
      later
        .filter((e) => e.kind === 'sla.breached')
        .map((e) => e.to_address)
        .sort(),
    ).toEqual([commander.user.email, crew.manager.user.email, commander.user.email].sort())
    expect(later).toHaveLength(6 + 2) // mitigate breached and resolve at risk, to the commander
  })

  it('leaves a breach’s analytics fact to the relay, the dashboard counting the breach meanwhile', async () => {
    const start = epoch()
    const crew = await team(TARGETS, 'Breach facts org', relayDb)
    const incident = await declare(crew.engineer, start, 'SEV-1', 'Search is slow', { on: relayDb })
    await drain()
    const factOf = () =>
      relayDb.inOrg(async (em) => {
        const [row] = await em.execute<Array<{ record: string }>>(
          `select encode(record, 'hex') as record from analytics_fact where incident_id = ?`,
          [incident.id],
        )
        return row!.record
      }, crew.organizationId)
    const now = after(start, 90)
    const day = start.toISOString().slice(0, 10)
    const acknowledge = async () => {
      const dashboard = await loadDashboard(
        relayDb.orm,
        crew.organizationId,
        parseAnalyticsFilters(
          new URLSearchParams(`period=custom&from=${day}&to=${day}`),
          'UTC',
          now,
        ),
        now,
      )
      return dashboard.slaCompliance.find(
        (c) => c.target === 'acknowledge' && c.severity === 'SEV-1',
      )
    }

    const declared = await factOf()
    expect(await sweepSla(relayDb.orm, after(start, 60))).toMatchObject({ breaches: 1 })
    // The sweep's transaction did not refresh the fact; the dashboard counts the breach anyway
    // (the target is past due and not reached).
    expect(await factOf()).toBe(declared)
    expect(await acknowledge()).toMatchObject({ met: 0, breached: 1 })

    // The relay's fan-out of the breach brings the fact up to date: it changes, and is what a
    // full refresh computes from the incident and its recorded breaches.
    await drain()
    const relayed = await factOf()
    expect(relayed).not.toBe(declared)
    await relayDb.inOrg(
      (em) => em.execute(`select analytics_refresh(array[?]::uuid[])`, [incident.id]),
      crew.organizationId,
    )
    expect(await factOf()).toBe(relayed)
    expect(await acknowledge()).toMatchObject({ met: 0, breached: 1 })
  })

  it('sends nothing for a declaration that rolled back', async () => {
    const start = epoch()
    const crew = await team(TARGETS, 'Rollback Org', relayDb)
    await drain()
    // The declaration fails at commit, after everything was written: a deferred check refuses
    // the declared event of this one title.
    await relayDb.query(`
      create function relay_test_refuse_declared() returns trigger language plpgsql as $$
      begin
        if new.type = 'incident.declared' and new.payload->>'title' = 'Rolled back at commit' then
          raise exception 'declaration refused by the test';
        end if;
        return null;
      end $$`)
    await relayDb.query(`
      create constraint trigger relay_test_refuse_declared after insert on incident_event
        deferrable initially deferred for each row execute function relay_test_refuse_declared()`)
    try {
      await expect(
        declare(crew.engineer, start, 'SEV-1', 'Rolled back at commit', { on: relayDb }),
      ).rejects.toThrow('declaration refused by the test')
      // A declaration that commits, for comparison: the same path does send its e-mail.
      await declare(crew.engineer, start, 'SEV-1', 'Committed', { on: relayDb })
    } finally {
      await relayDb.query(`drop trigger relay_test_refuse_declared on incident_event`)
      await relayDb.query(`drop function relay_test_refuse_declared()`)
    }

    expect(
      await relayDb.query(`select 1 from incident where organization_id = $1 and title = $2`, [
        crew.organizationId,
        'Rolled back at commit',
      ]),
    ).toEqual([])
    const outbox = await relayDb.query<{ n: number }>(
      `select count(*)::int as n from event_outbox where tenant_id = $1`,
      [crew.organizationId],
    )
    expect(outbox[0]!.n).toBe(1)
    expect(await drain()).toBeGreaterThan(0)

    const emails = await emailsOf(crew.organizationId)
    // The committed incident is INC-1: the rolled-back declaration left no number used either.
    expect(emails.map((e) => e.subject)).toEqual([
      `[INC-1] SEV-1 declared by ${crew.engineer.user.displayName}: Committed`,
    ])
    expect(emails.filter((e) => e.subject.includes('Rolled back'))).toEqual([])
  })
})
