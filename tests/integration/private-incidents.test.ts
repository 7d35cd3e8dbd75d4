import { beforeAll, describe, expect, it } from 'vitest'
import { inScope, RequestUnit, type Scope } from '../../db/tenant'
import { verifyOrganization } from '~/domain/incident/audit.server'
import { IncidentConflictError, IncidentError } from '~/domain/incident/incident-errors'
import { declareIncident, transitionIncident } from '~/domain/incident/incident-service.server'
import {
  addIncidentViewer,
  removeIncidentViewer,
  setIncidentVisibility,
} from '~/domain/incident/visibility.server'
import { setUpTestDatabase } from '../support/database'
import { addSignedInMember, eventCount, type SignedInMember } from '../support/incidents'

/**
 * Private incidents (decision 037): who sees one — in the database under row-level security, on
 * every incident URL, in the list, search, exports and the API — and who may make an incident
 * private, public again, and name its viewers. Refusals change nothing.
 */

const db = setUpTestDatabase('private-incidents')

let admin: SignedInMember
let manager: SignedInMember
/** Declares the private incident and commands it. */
let commander: SignedInMember
let assignee: SignedInMember
/** An engineer with no part in the private incident. */
let outsider: SignedInMember
let otherOrgAdmin: SignedInMember
let otherOrganizationId: string

const marker = () => Math.random().toString(36).slice(2, 8)

async function declare(who: SignedInMember, options: { private?: boolean; title?: string } = {}) {
  const title = options.title ?? `Payroll export leak ${marker()}`
  const { number } = await declareIncident(db.orm, who.member, {
    title,
    summary: 'Salary file found on a shared drive.',
    severity: 'SEV-2',
    private: options.private ?? false,
  })
  return { number, title }
}

async function incidentRow(number: number, organizationId = db.organizationId) {
  const [row] = await db.query<{ id: string; private: boolean; version: number }>(
    'select id, private, version from incident where organization_id = $1 and number = $2',
    [organizationId, number],
  )
  return row!
}

async function eventTypes(number: number) {
  const rows = await db.query<{ type: string; payload: Record<string, unknown> }>(
    `select e.type, e.payload from incident_event e join incident i on i.id = e.incident_id
      where i.organization_id = $1 and i.number = $2 order by e.seq`,
    [db.organizationId, number],
  )
  return rows
}

async function viewers(number: number) {
  const rows = await db.query<{ user_id: string }>(
    `select v.user_id from incident_viewer v join incident i on i.id = v.incident_id
      where i.organization_id = $1 and i.number = $2 order by v.added_at`,
    [db.organizationId, number],
  )
  return rows.map((r) => r.user_id)
}

/** How many rows of each table that carries the incident's content the scope can read. */
async function visibleRows(scope: Scope, incidentId: string) {
  return inScope(db.orm, scope, async (em) => {
    const count = async (sql: string) =>
      Number((await em.execute<Array<{ n: string }>>(sql, [incidentId]))[0]!.n)
    return {
      incident: await count('select count(*) as n from incident where id = ?'),
      events: await count('select count(*) as n from incident_event where incident_id = ?'),
      timeline: await count(
        'select count(*) as n from incident_timeline_entry where incident_id = ?',
      ),
    }
  })
}

beforeAll(async () => {
  admin = await addSignedInMember(db, db.organizationId, 'admin')
  manager = await addSignedInMember(db, db.organizationId, 'manager')
  commander = await addSignedInMember(db, db.organizationId, 'engineer')
  assignee = await addSignedInMember(db, db.organizationId, 'engineer')
  outsider = await addSignedInMember(db, db.organizationId, 'engineer')
  otherOrganizationId = await db.createOrganization('Elsewhere')
  otherOrgAdmin = await addSignedInMember(db, otherOrganizationId, 'admin')
})

describe('row-level security', () => {
  let incidentId: string

  beforeAll(async () => {
    const { number } = await declare(commander, { private: true })
    incidentId = (await incidentRow(number)).id
  })

  const everything = { incident: 1, events: expect.any(Number), timeline: expect.any(Number) }
  const nothing = { incident: 0, events: 0, timeline: 0 }

  it('shows the incident, its events and its timeline to its commander and to an admin', async () => {
    for (const who of [commander, admin]) {
      const rows = await visibleRows(
        { organizationId: db.organizationId, actingUserId: who.member.user.id },
        incidentId,
      )
      expect(rows).toEqual(everything)
      expect(rows.events).toBeGreaterThan(0)
      expect(rows.timeline).toBe(rows.events)
    }
  })

  it('hides all of it from a manager and an engineer with no part in it', async () => {
    for (const who of [manager, outsider]) {
      expect(
        await visibleRows(
          { organizationId: db.organizationId, actingUserId: who.member.user.id },
          incidentId,
        ),
      ).toEqual(nothing)
    }
  })

  it('hides it from work that names nobody without being system work', async () => {
    expect(
      await visibleRows({ organizationId: db.organizationId, allIncidents: false }, incidentId),
    ).toEqual(nothing)
  })

  it('hides it from a web request whose person is not known, whatever scope it asks for', async () => {
    const unit = new RequestUnit(db.orm)
    const rows = await RequestUnit.enter(unit, () =>
      visibleRows({ organizationId: db.organizationId, allIncidents: true }, incidentId),
    )
    await unit.finish()
    expect(rows).toEqual(nothing)
  })

  it('shows it to system work (worker, sweeps), which says so with app.all_incidents', async () => {
    const rows = await visibleRows({ organizationId: db.organizationId }, incidentId)
    expect(rows.incident).toBe(1)
    expect(rows.events).toBeGreaterThan(0)
  })

  it('shows nothing of it to another organization, even to its admin', async () => {
    expect(
      await visibleRows(
        { organizationId: otherOrganizationId, actingUserId: otherOrgAdmin.member.user.id },
        incidentId,
      ),
    ).toEqual(nothing)
  })

  it('lets nobody read it through a connection that only set the organization', async () => {
    // The settings a raw session would set by hand: organization only, no person, no system flag.
    const rows = await inScope(db.orm, { organizationId: db.organizationId }, async (em) => {
      await em.execute(`select set_config('app.all_incidents', '', true)`)
      return em.execute<Array<{ n: string }>>('select count(*) as n from incident where id = ?', [
        incidentId,
      ])
    })
    expect(Number(rows[0]!.n)).toBe(0)
  })
})

describe('declaring and changing visibility', () => {
  it('declares a private incident on the chain, and replay gives it back', async () => {
    const { number } = await declare(commander, { private: true })
    expect((await incidentRow(number)).private).toBe(true)
    const events = await eventTypes(number)
    expect(events[0]).toMatchObject({ type: 'incident.declared', payload: { private: true } })
    // The declarer commands it: no viewer row is needed.
    expect(await viewers(number)).toEqual([])
    expect((await verifyOrganization(db.orm, db.organizationId)).problem).toBeNull()
  })

  it('keeps a public declaration’s entry as it was before private incidents', async () => {
    const { number } = await declare(commander)
    const [declared] = await eventTypes(number)
    expect(declared!.payload).not.toHaveProperty('private')
  })

  it('makes the declarer a viewer when someone else commands the private incident', async () => {
    const { number } = await declareIncident(db.orm, manager.member, {
      title: `Badge reader fault ${marker()}`,
      summary: '',
      severity: 'SEV-3',
      commanderId: commander.member.user.id,
      private: true,
    })
    expect(await viewers(number)).toEqual([manager.member.user.id])
    expect((await eventTypes(number)).map((e) => e.type)).toEqual([
      'incident.declared',
      'incident.viewer_added',
    ])
  })

  it('lets a manager make a public incident private; they become a viewer and keep seeing it', async () => {
    const { number } = await declare(commander)
    const done = await setIncidentVisibility(db.orm, manager.member, number, {
      private: true,
      reason: 'Involves a named employee',
      version: (await incidentRow(number)).version,
    })
    expect(done.private).toBe(true)
    expect(await viewers(number)).toEqual([manager.member.user.id])
    const types = (await eventTypes(number)).map((e) => e.type)
    expect(types.slice(-2)).toEqual(['incident.viewer_added', 'incident.visibility_changed'])
    const rows = await visibleRows(
      { organizationId: db.organizationId, actingUserId: manager.member.user.id },
      (await incidentRow(number)).id,
    )
    expect(rows.incident).toBe(1)
    expect((await verifyOrganization(db.orm, db.organizationId)).problem).toBeNull()
  })

  it('lets the commander make it public again with a reason', async () => {
    const { number } = await declare(commander, { private: true })
    await setIncidentVisibility(db.orm, commander.member, number, {
      private: false,
      reason: 'Cleared by legal',
    })
    expect((await incidentRow(number)).private).toBe(false)
    const last = (await eventTypes(number)).at(-1)!
    expect(last).toEqual({
      type: 'incident.visibility_changed',
      payload: { private: false, reason: 'Cleared by legal' },
    })
  })

  it('refuses an engineer who does not command it, and writes nothing', async () => {
    const { number } = await declare(commander)
    const before = await eventCount(db, db.organizationId, number)
    const error = await setIncidentVisibility(db.orm, outsider.member, number, {
      private: true,
      reason: 'Mine now',
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(IncidentError)
    expect((error as IncidentError).status).toBe(403)
    expect(await eventCount(db, db.organizationId, number)).toEqual(before)
    expect((await incidentRow(number)).private).toBe(false)
    expect(await viewers(number)).toEqual([])
  })

  it('refuses a stale form with a conflict, and writes nothing', async () => {
    const { number } = await declare(commander)
    const stale = (await incidentRow(number)).version
    await transitionIncident(db.orm, commander.member, number, { action: 'start-investigating' })
    const before = await eventCount(db, db.organizationId, number)
    const error = await setIncidentVisibility(db.orm, manager.member, number, {
      private: true,
      reason: 'Sensitive',
      version: stale,
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(IncidentConflictError)
    expect(await eventCount(db, db.organizationId, number)).toEqual(before)
    expect((await incidentRow(number)).private).toBe(false)
  })

  it('asks for a reason, and refuses a change to what it already is', async () => {
    const { number } = await declare(commander)
    const blank = await setIncidentVisibility(db.orm, manager.member, number, {
      private: true,
      reason: '  ',
    }).catch((e: unknown) => e)
    expect(blank).toMatchObject({ field: 'reason', message: 'Give a reason.' })
    const same = await setIncidentVisibility(db.orm, manager.member, number, {
      private: false,
      reason: 'Open it',
    }).catch((e: unknown) => e)
    expect(same).toMatchObject({ message: 'This incident is already visible to everyone.' })
    expect((await eventTypes(number)).length).toBe(1)
  })

  it('answers 404 for another organization’s incident number, changing nothing', async () => {
    const { number } = await declare(commander)
    const error = await setIncidentVisibility(db.orm, otherOrgAdmin.member, number, {
      private: true,
      reason: 'Not ours',
    }).catch((e: unknown) => e)
    expect(error).toMatchObject({ status: 404 })
    expect((await incidentRow(number)).private).toBe(false)
  })
})

describe('viewers', () => {
  it('gives a viewer sight of the incident and takes it away again, on the chain', async () => {
    const { number } = await declare(commander, { private: true })
    const id = (await incidentRow(number)).id
    const scope = { organizationId: db.organizationId, actingUserId: outsider.member.user.id }
    expect((await visibleRows(scope, id)).incident).toBe(0)
    await addIncidentViewer(db.orm, commander.member, number, { userId: outsider.member.user.id })
    expect((await visibleRows(scope, id)).incident).toBe(1)
    // A manager with no part in it: to them the incident does not exist.
    await expect(
      removeIncidentViewer(db.orm, manager.member, number, { userId: outsider.member.user.id }),
    ).rejects.toMatchObject({ status: 404 })
    expect((await visibleRows(scope, id)).incident).toBe(1)
    await removeIncidentViewer(db.orm, admin.member, number, { userId: outsider.member.user.id })
    expect((await visibleRows(scope, id)).incident).toBe(0)
    expect((await eventTypes(number)).map((e) => e.type)).toEqual([
      'incident.declared',
      'incident.viewer_added',
      'incident.viewer_removed',
    ])
    expect((await verifyOrganization(db.orm, db.organizationId)).problem).toBeNull()
  })

  it('refuses another organization’s member, a second add and an engineer who does not command it', async () => {
    const { number } = await declare(commander, { private: true })
    const before = await eventCount(db, db.organizationId, number)
    await expect(
      addIncidentViewer(db.orm, commander.member, number, { userId: otherOrgAdmin.member.user.id }),
    ).rejects.toMatchObject({
      field: 'userId',
      message: 'Choose an active member of this organization.',
    })
    await addIncidentViewer(db.orm, commander.member, number, { userId: assignee.member.user.id })
    await expect(
      addIncidentViewer(db.orm, commander.member, number, { userId: assignee.member.user.id }),
    ).rejects.toMatchObject({ field: 'userId', message: 'This person is already a viewer.' })
    // A viewer sees it but may not name others.
    await expect(
      addIncidentViewer(db.orm, assignee.member, number, { userId: outsider.member.user.id }),
    ).rejects.toMatchObject({ status: 403 })
    expect((await eventCount(db, db.organizationId, number)).events).toBe(before!.events + 1)
    expect(await viewers(number)).toEqual([assignee.member.user.id])
  })

  it('refuses viewers on a public incident', async () => {
    const { number } = await declare(commander)
    await expect(
      addIncidentViewer(db.orm, commander.member, number, { userId: outsider.member.user.id }),
    ).rejects.toMatchObject({ field: 'userId' })
    expect(await viewers(number)).toEqual([])
  })
})
