import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { verifyAllOrganizations, verifyOrganization } from '~/domain/incident/audit.server'
import { addCatalogEntry } from '~/domain/incident/catalog.server'
import { eventHash, verifyChain } from '~/domain/incident/events'
import { IncidentConflictError, IncidentError } from '~/domain/incident/incident-errors'
import { getIncidentDetail } from '~/domain/incident/incident-queries.server'
import {
  addComment,
  changeSeverity,
  correctComment,
  declareIncident,
  editIncident,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import { listIncidents, parseIncidentFilters } from '~/domain/incident/incident-list.server'
import { standInAdmin } from '../support/access'
import { setUpTestDatabase, type TestDatabase } from '../support/database'
import { addMember, eventCount, loadIncident, tamper, type TestMember } from '../support/incidents'

const db = setUpTestDatabase('incident_audit')

const declare = (member: TestMember, title = 'Checkout returns 500') =>
  declareIncident(db.orm, member, { title, summary: 'All card payments fail.', severity: 'SEV-2' })

/** A new organization with an admin and one incident of four events (seq 1–4). */
async function organizationWithIncident(target: TestDatabase = db) {
  const organizationId = await target.createOrganization('Tamper Org')
  const admin = await addMember(target, organizationId, 'admin')
  const { number, id } = await declareIncident(target.orm, admin, {
    title: 'Search is slow',
    summary: 'p95 is 4 s.',
    severity: 'SEV-3',
  })
  await transitionIncident(target.orm, admin, number, { action: 'start-investigating' })
  await addComment(target.orm, admin, number, { body: 'Reindexing the catalog.' })
  await transitionIncident(target.orm, admin, number, { action: 'mark-mitigated' })
  return { organizationId, admin, number, incidentId: id }
}

/** An organization whose first incident is left clean and whose second is the target. */
async function organizationWithSecondIncident() {
  const first = await organizationWithIncident()
  const { number, id } = await declareIncident(db.orm, first.admin, {
    title: 'Sign-in loops',
    summary: 'Users are sent back to the login page.',
    severity: 'SEV-2',
  })
  await transitionIncident(db.orm, first.admin, number, { action: 'start-investigating' })
  await addComment(db.orm, first.admin, number, { body: 'Cookie domain changed in the deploy.' })
  await transitionIncident(db.orm, first.admin, number, { action: 'mark-mitigated' })
  expect((await verifyOrganization(db.orm, first.organizationId)).ok).toBe(true)
  return { organizationId: first.organizationId, number, incidentId: id }
}

describe('incident_event is append-only', () => {
  it('refuses UPDATE, DELETE and TRUNCATE from the application role, and keeps every event', async () => {
    const { organizationId, number, incidentId } = await organizationWithIncident()
    const before = await eventCount(db, organizationId, number)

    const asApp = (sql: string) => db.inOrg((em) => em.execute(sql, [incidentId]), organizationId)
    await expect(
      asApp(`update incident_event set payload = '{}' where incident_id = ?`),
    ).rejects.toThrow(/permission denied for table incident_event/)
    await expect(asApp(`delete from incident_event where incident_id = ?`)).rejects.toThrow(
      /permission denied for table incident_event/,
    )
    await expect(
      db.inOrg((em) => em.execute('truncate incident_event'), organizationId),
    ).rejects.toThrow(/permission denied for table incident_event/)

    expect(await eventCount(db, organizationId, number)).toEqual(before)
    expect((await verifyOrganization(db.orm, organizationId)).ok).toBe(true)
  })

  it('refuses UPDATE, DELETE and TRUNCATE from the table owner through its triggers', async () => {
    const { organizationId, number, incidentId } = await organizationWithIncident()
    const before = await eventCount(db, organizationId, number)

    await expect(
      db.query(`update incident_event set payload = '{}' where incident_id = $1`, [incidentId]),
    ).rejects.toThrow('incident_event is append-only: UPDATE refused')
    await expect(
      db.query(`delete from incident_event where incident_id = $1 and seq = 4`, [incidentId]),
    ).rejects.toThrow('incident_event is append-only: DELETE refused')
    await expect(db.query('truncate incident_event cascade')).rejects.toThrow(
      'incident_event is append-only: TRUNCATE refused',
    )

    expect(await eventCount(db, organizationId, number)).toEqual(before)
    expect((await verifyOrganization(db.orm, organizationId)).ok).toBe(true)
  })

  it('leaves the triggers switched on after a tampering helper ran', async () => {
    const { incidentId } = await organizationWithIncident()
    await tamper(db.url, [{ sql: 'select 1' }])
    await expect(
      db.query(`delete from incident_event where incident_id = $1`, [incidentId]),
    ).rejects.toThrow('append-only')
  })
})

describe('verifyOrganization on a tampered timeline', () => {
  it('passes an untouched organization', async () => {
    const { organizationId } = await organizationWithIncident()
    expect(await verifyOrganization(db.orm, organizationId)).toEqual({
      ok: true,
      incidents: 1,
      events: 4,
      problem: null,
    })
  })

  it('reports an edited payload as a hash problem at that seq', async () => {
    const { organizationId, number, incidentId } = await organizationWithSecondIncident()
    await tamper(db.url, [
      {
        sql: `update incident_event set payload = jsonb_set(payload, '{body}', '"All fine."')
               where incident_id = $1 and seq = 3`,
        values: [incidentId],
      },
    ])
    const result = await verifyOrganization(db.orm, organizationId)
    expect(result.ok).toBe(false)
    expect(result.problem).toMatchObject({ number, incidentId, seq: 3, kind: 'hash' })
  })

  it('reports a deleted middle event as a seq gap at the event after it', async () => {
    const { organizationId, number, incidentId } = await organizationWithSecondIncident()
    await tamper(db.url, [
      {
        sql: 'delete from incident_event where incident_id = $1 and seq = 2',
        values: [incidentId],
      },
    ])
    const result = await verifyOrganization(db.orm, organizationId)
    expect(result.problem).toMatchObject({ number, seq: 3, kind: 'seq-gap' })
  })

  it('reports two events whose contents were swapped at the first of them', async () => {
    const { organizationId, number, incidentId } = await organizationWithSecondIncident()
    await tamper(db.url, [
      {
        sql: `update incident_event e set payload = o.payload, type = o.type
                from incident_event o
               where e.incident_id = $1 and o.incident_id = $1
                 and ((e.seq = 2 and o.seq = 3) or (e.seq = 3 and o.seq = 2))`,
        values: [incidentId],
      },
    ])
    const [swapped] = await db.query<{ type: string }>(
      'select type from incident_event where incident_id = $1 and seq = 2',
      [incidentId],
    )
    expect(swapped?.type).toBe('comment.added')
    const result = await verifyOrganization(db.orm, organizationId)
    expect(result.problem).toMatchObject({ number, seq: 2, kind: 'hash' })
  })

  it('reports a deleted last event as a cut tail', async () => {
    const { organizationId, number, incidentId } = await organizationWithSecondIncident()
    await tamper(db.url, [
      {
        sql: 'delete from incident_event where incident_id = $1 and seq = 4',
        values: [incidentId],
      },
    ])
    const result = await verifyOrganization(db.orm, organizationId)
    expect(result.problem).toMatchObject({ number, seq: 4, kind: 'tail' })
    expect(result.problem?.detail).toBe('the incident records 4 events but 3 remain')
  })

  it('reports an incident row changed without an event as a state problem naming the field', async () => {
    const { organizationId, number, incidentId } = await organizationWithSecondIncident()
    await db.query(`update incident set severity = 'SEV-1' where id = $1`, [incidentId])
    const result = await verifyOrganization(db.orm, organizationId)
    expect(result.problem).toMatchObject({ number, seq: 4, kind: 'state' })
    expect(result.problem?.detail).toBe('stored incident differs from its replay in: severity')
  })

  it('reports an edited event whose own hash was recomputed at the next event’s link', async () => {
    const { organizationId, number, incidentId } = await organizationWithSecondIncident()
    const { events } = await loadIncident(db.orm, organizationId, number)
    const forged = { ...events[2]!, payload: { body: 'Nothing happened.' } }
    const hash = eventHash(forged)
    await tamper(db.url, [
      {
        sql: 'update incident_event set payload = $2, hash = $3 where incident_id = $1 and seq = 3',
        values: [incidentId, JSON.stringify(forged.payload), hash],
      },
    ])
    const result = await verifyOrganization(db.orm, organizationId)
    expect(result.problem).toMatchObject({ number, seq: 4, kind: 'prev-hash' })
  })

  it('lets verifyAllOrganizations stop at a broken organization and name it', async () => {
    const { organizationId, number, incidentId } = await organizationWithSecondIncident()
    await db.query(`update incident set title = 'Renamed quietly' where id = $1`, [incidentId])
    const result = await verifyAllOrganizations(db.orm)
    expect(result.ok).toBe(false)
    // Several organizations in this database are broken by the tests above; whichever comes
    // first is reported, with its own incident and seq.
    expect(result.problem).not.toBeNull()
    const own = await verifyOrganization(db.orm, organizationId)
    expect(own.problem).toMatchObject({ number, kind: 'state' })
  })
})

describe('npm run audit:verify', () => {
  const cli = setUpTestDatabase('audit_cli')

  const runCli = () =>
    spawnSync('npx', ['tsx', 'db/cli/audit-verify.ts'], {
      env: { ...process.env, DATABASE_URL: cli.url },
      encoding: 'utf8',
      timeout: 60_000,
    })

  it('prints OK and exits 0 on intact chains, then BROKEN with the incident and seq and exit 1 after tampering', async () => {
    await organizationWithIncident(cli)
    const { number, incidentId } = await organizationWithIncident(cli)

    const clean = runCli()
    expect(clean.stderr).toBe('')
    expect(clean.stdout).toMatch(/^OK \(3 organizations, 2 incidents, 8 events, [\d.]+s\)\n$/)
    expect(clean.status).toBe(0)

    await tamper(cli.url, [
      {
        sql: `update incident_event set occurred_at = occurred_at - interval '1 hour'
               where incident_id = $1 and seq = 2`,
        values: [incidentId],
      },
    ])
    const broken = runCli()
    expect(broken.stdout).toMatch(/^BROKEN: /)
    expect(broken.stdout).toContain(`INC-${number}, seq 2: hash`)
    expect(broken.status).toBe(1)
  })
})

describe('a refused or failed change leaves no trace', () => {
  it('keeps events and version when a transition is refused by the lifecycle', async () => {
    const { organizationId, admin, number } = await organizationWithIncident()
    const before = await eventCount(db, organizationId, number)
    await expect(
      transitionIncident(db.orm, admin, number, { action: 'close' }),
    ).rejects.toMatchObject({
      name: 'IncidentError',
      message: 'That step is not possible from the current status.',
    })
    expect(await eventCount(db, organizationId, number)).toEqual(before)
  })

  it('keeps events and version when an engineer who is not involved tries a transition', async () => {
    const { organizationId, number } = await organizationWithIncident()
    const outsider = await addMember(db, organizationId, 'engineer')
    const before = await eventCount(db, organizationId, number)
    const refused = transitionIncident(db.orm, outsider, number, { action: 'mark-resolved' })
    await expect(refused).rejects.toBeInstanceOf(IncidentError)
    await expect(refused).rejects.toMatchObject({ status: 403 })
    expect(await eventCount(db, organizationId, number)).toEqual(before)
  })

  it('writes nothing and takes no number when the service belongs to another organization', async () => {
    const organizationId = await db.createOrganization('Numbering Org')
    const admin = await addMember(db, organizationId, 'admin')
    const other = await db.createOrganization('Catalog Owner')
    const foreignService = await addCatalogEntry(
      db.orm,
      standInAdmin(other),
      'service',
      'Billing',
      '',
    )
    await declare(admin)

    await expect(
      declareIncident(db.orm, admin, {
        title: 'Billing is down',
        summary: '',
        severity: 'SEV-1',
        serviceId: foreignService,
      }),
    ).rejects.toMatchObject({ name: 'IncidentError', field: 'serviceId' })

    expect(
      await db.query('select number from incident where organization_id = $1', [organizationId]),
    ).toEqual([{ number: 1 }])
    expect(
      await db.query('select count(*)::int as n from incident_event where organization_id = $1', [
        organizationId,
      ]),
    ).toEqual([{ n: 1 }])
    expect((await declare(admin)).number).toBe(2)
  })

  it('rolls the number back when the database refuses the incident after the number was taken', async () => {
    const organizationId = await db.createOrganization('Rollback Org')
    const admin = await addMember(db, organizationId, 'admin')
    await declare(admin)

    // A blank title passes the service and is refused by the table's check constraint, after
    // the counter row was already incremented in the same transaction.
    await expect(
      declareIncident(db.orm, admin, { title: '   ', summary: '', severity: 'SEV-4' }),
    ).rejects.toThrow(/incident_title_check/)

    expect(
      await db.query('select last_number from incident_counter where organization_id = $1', [
        organizationId,
      ]),
    ).toEqual([{ last_number: 1 }])
    expect(
      await db.query(
        `select (select count(*)::int from incident where organization_id = $1) as incidents,
                (select count(*)::int from incident_event where organization_id = $1) as events`,
        [organizationId],
      ),
    ).toEqual([{ incidents: 1, events: 1 }])
    expect((await declare(admin)).number).toBe(2)
  })

  it('refuses text with a NUL character as a field error, writing nothing', async () => {
    const { organizationId, admin, number } = await organizationWithIncident()
    const before = await eventCount(db, organizationId, number)
    const attempts: Array<[string, Promise<unknown>]> = [
      ['title', declareIncident(db.orm, admin, { title: 'a\0b', summary: '', severity: 'SEV-4' })],
      [
        'summary',
        declareIncident(db.orm, admin, { title: 'ok', summary: '\0', severity: 'SEV-4' }),
      ],
      ['body', addComment(db.orm, admin, number, { body: 'see %00 \0 here' })],
      ['reason', transitionIncident(db.orm, admin, number, { action: 'reopen', reason: 'x\0' })],
      ['title', editIncident(db.orm, admin, number, { title: 'new\0' })],
      ['reason', changeSeverity(db.orm, admin, number, { severity: 'SEV-1', reason: '\0!' })],
      ['body', correctComment(db.orm, admin, number, { seq: 3, body: 'fixed\0' })],
    ]
    for (const [field, attempt] of attempts) {
      await expect(attempt).rejects.toMatchObject({ name: 'IncidentError', field, status: 400 })
    }
    expect(await eventCount(db, organizationId, number)).toEqual(before)
    expect(
      await db.query('select count(*)::int as n from incident where organization_id = $1', [
        organizationId,
      ]),
    ).toEqual([{ n: 1 }])
  })

  it('refuses a comment written against an older version and appends nothing', async () => {
    const { organizationId, admin, number } = await organizationWithIncident()
    const before = await eventCount(db, organizationId, number)
    expect(before?.version).toBe(4)

    const stale = addComment(db.orm, admin, number, { body: 'Still slow?', version: 3 })
    await expect(stale).rejects.toBeInstanceOf(IncidentConflictError)
    await expect(stale).rejects.toMatchObject({ currentVersion: 4 })
    expect(await eventCount(db, organizationId, number)).toEqual(before)

    await addComment(db.orm, admin, number, { body: 'Still slow?', version: 4 })
    expect(await eventCount(db, organizationId, number)).toEqual({
      events: 5,
      version: 5,
      last_event_seq: 5,
    })
  })
})

describe('concurrent changes', () => {
  it('lets exactly one of two transitions from the same version through; the other conflicts', async () => {
    const organizationId = await db.createOrganization('Race Org')
    const admin = await addMember(db, organizationId, 'admin')
    const engineer = await addMember(db, organizationId, 'engineer')
    const { number } = await declareIncident(db.orm, admin, {
      title: 'Queue backlog',
      summary: '',
      severity: 'SEV-3',
      commanderId: engineer.user.id,
    })

    const outcomes = await Promise.allSettled([
      transitionIncident(db.orm, admin, number, { action: 'start-investigating', version: 1 }),
      transitionIncident(db.orm, engineer, number, { action: 'start-investigating', version: 1 }),
    ])

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1)
    const rejected = outcomes.filter((o) => o.status === 'rejected')
    expect(rejected).toHaveLength(1)
    expect(rejected[0]!.reason).toBeInstanceOf(IncidentConflictError)
    const { incident, events } = await loadIncident(db.orm, organizationId, number)
    expect(events.map((e) => e.type)).toEqual(['incident.declared', 'incident.status_changed'])
    expect(incident.status).toBe('investigating')
    expect(verifyChain(events)).toBeNull()
    expect((await verifyOrganization(db.orm, organizationId)).ok).toBe(true)
  })

  it('refuses the second of two version-less transitions from the status the first one left', async () => {
    const { organizationId, admin, number } = await organizationWithIncident()
    const outcomes = await Promise.allSettled([
      transitionIncident(db.orm, admin, number, { action: 'mark-resolved' }),
      transitionIncident(db.orm, admin, number, { action: 'mark-resolved' }),
    ])
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected'])
    const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult
    expect(rejected.reason).toBeInstanceOf(IncidentError)
    expect((await eventCount(db, organizationId, number))?.events).toBe(5)
    expect((await verifyOrganization(db.orm, organizationId)).ok).toBe(true)
  })

  it('appends concurrent comments one after another in a gap-free, valid chain', async () => {
    const { organizationId, admin, number } = await organizationWithIncident()
    const seqs = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        addComment(db.orm, admin, number, { body: `Update ${i}` }),
      ),
    )
    expect(seqs.map((s) => s.seq).sort((a, b) => a - b)).toEqual([
      5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    ])
    const { events } = await loadIncident(db.orm, organizationId, number)
    expect(verifyChain(events)).toBeNull()
    expect((await verifyOrganization(db.orm, organizationId)).ok).toBe(true)
  })

  it('numbers 20 simultaneous declarations 1…20 with no gap or duplicate, per organization', async () => {
    const first = await db.createOrganization('Busy Org')
    const second = await db.createOrganization('Quiet Org')
    const [a, b] = await Promise.all([
      addMember(db, first, 'engineer'),
      addMember(db, second, 'engineer'),
    ])

    const [many, one] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, (_, i) => declare(a, `Alert storm ${i}`))),
      declare(b, 'Only one here'),
    ])

    expect(many.map((d) => d.number).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    )
    expect(one.number).toBe(1)
    expect((await declare(b)).number).toBe(2)
    const stored = await db.query<{ number: number }>(
      'select number from incident where organization_id = $1 order by number',
      [first],
    )
    expect(stored.map((r) => r.number)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    expect(await verifyOrganization(db.orm, first)).toMatchObject({
      ok: true,
      incidents: 20,
      events: 20,
    })
  })
})

describe('tenant isolation of incidents', () => {
  it('keeps one organization’s incidents and events out of another’s reach', async () => {
    const orgA = await db.createOrganization('Alpha')
    const orgB = await db.createOrganization('Bravo')
    const adminA = await addMember(db, orgA, 'admin')
    const adminB = await addMember(db, orgB, 'admin')
    const a1 = await declare(adminA, 'Alpha one')
    const a2 = await declare(adminA, 'Alpha two')
    await addComment(db.orm, adminA, a2.number, { body: 'Alpha-only detail' })
    const b1 = await declare(adminB, 'Bravo one')
    expect([a1.number, a2.number, b1.number]).toEqual([1, 2, 1])

    // The detail page by number: B's own #1, and nothing for a number only A has.
    expect((await getIncidentDetail(db.orm, adminB, 1))?.incident.id).toBe(b1.id)
    expect(await getIncidentDetail(db.orm, adminB, a2.number)).toBeNull()
    await expect(
      transitionIncident(db.orm, adminB, a2.number, { action: 'start-investigating' }),
    ).rejects.toMatchObject({ status: 404 })

    const listed = await listIncidents(
      db.orm,
      orgB,
      adminB.user.id,
      parseIncidentFilters(new URLSearchParams('status=all')),
    )
    expect(listed.rows.map((r) => r.id)).toEqual([b1.id])

    // Straight SQL as the application role: RLS filters what a forgotten WHERE would leak.
    const eventsAsB = await db.inOrg(
      (em) => em.execute<{ organization_id: string }[]>('select * from incident_event'),
      orgB,
    )
    expect(eventsAsB.length).toBeGreaterThan(0)
    expect(eventsAsB.every((e) => e.organization_id === orgB)).toBe(true)
    const eventsAsA = await db.inOrg(
      (em) => em.execute<{ organization_id: string }[]>('select * from incident_event'),
      orgA,
    )
    expect(eventsAsA).toHaveLength(3)
    const unscoped = await db.inOrg(
      (em) => em.execute<unknown[]>('select * from incident_event'),
      '',
    )
    expect(unscoped).toHaveLength(0)

    const touched = await db.inOrg(
      (em) =>
        em.execute(
          `update incident set severity = 'SEV-1' where organization_id = ?`,
          [orgA],
          'run',
        ),
      orgB,
    )
    expect(touched).toMatchObject({ affectedRows: 0 })
    expect(await db.query('select severity from incident where id = $1', [a1.id])).toEqual([
      { severity: 'SEV-2' },
    ])
  })

  it('refuses an event written under one organization’s scope for another’s incident', async () => {
    const orgA = await db.createOrganization('Alpha Write')
    const orgB = await db.createOrganization('Bravo Write')
    const adminA = await addMember(db, orgA, 'admin')
    const { id } = await declare(adminA)
    await expect(
      db.inOrg(
        (em) =>
          em.execute(
            `insert into incident_event (organization_id, incident_id, seq, type, occurred_at, payload, prev_hash, hash)
             values (?, ?, 2, 'comment.added', now(), '{}', repeat('0', 64), repeat('0', 64))`,
            [orgA, id],
          ),
        orgB,
      ),
    ).rejects.toThrow(/row-level security/)
  })
})
