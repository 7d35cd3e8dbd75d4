import { describe, expect, it } from 'vitest'
import { loadDashboard } from '~/domain/analytics/analytics.server'
import { parseAnalyticsFilters } from '~/domain/analytics/filters'
import { signUp } from '~/domain/access/accounts.server'
import { verifyOrganization } from '~/domain/incident/audit.server'
import { IncidentConflictError, IncidentError } from '~/domain/incident/incident-errors'
import {
  addComment,
  assignIncident,
  changeSeverity,
  declareIncident,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import {
  addIncidentRole,
  assignIncidentRoles,
  holdsIncidentRole,
  incidentRoleHolders,
  listIncidentRoles,
  renameIncidentRole,
  setIncidentRoleArchived,
} from '~/domain/incident/incident-roles.server'
import {
  addRelatedLink,
  incidentLinks,
  reclassifyIncident,
  removeRelatedLink,
  undoReclassification,
} from '~/domain/incident/reclassification.server'
import { relayEvents } from '~/domain/notify/fanout.server'
import { silentLogger } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { addMember, eventCount, loadIncident, type TestMember } from '../support/incidents'

const db = setUpTestDatabase('reclassification')

async function organization(name = 'Reclass Org') {
  const organizationId = await db.createOrganization(name)
  const admin = await addMember(db, organizationId, 'admin')
  const manager = await addMember(db, organizationId, 'manager')
  const engineer = await addMember(db, organizationId, 'engineer')
  return { organizationId, admin, manager, engineer }
}

const declare = async (member: TestMember, title = 'Checkout returns 500') =>
  (
    await declareIncident(db.orm, member, {
      title,
      summary: 'Card payments fail.',
      severity: 'SEV-2',
    })
  ).number

/** The refusal `work` throws, with the incident's events unchanged. */
async function refused(
  organizationId: string,
  numbers: number[],
  work: () => Promise<unknown>,
): Promise<IncidentError> {
  const before = await Promise.all(numbers.map((n) => eventCount(db, organizationId, n)))
  const error = await work().then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(IncidentError)
  const after = await Promise.all(numbers.map((n) => eventCount(db, organizationId, n)))
  expect(after).toEqual(before)
  return error as IncidentError
}

async function classificationOf(organizationId: string, number: number) {
  const [row] = await db.query<{ classification: string; target: number | null }>(
    `select i.classification, t.number as target
       from incident i left join incident t on t.id = i.classified_as_of_id
      where i.organization_id = $1 and i.number = $2`,
    [organizationId, number],
  )
  return row
}

const linksOf = async (organizationId: string, number: number) => {
  const { incident } = await loadIncident(db.orm, organizationId, number)
  return (
    await db.inOrg((em) => incidentLinks(em, organizationId, incident.id), organizationId)
  ).map((l) => l.text)
}

describe('reclassification', () => {
  it('marks a duplicate: an entry on both chains, links both ways, frozen until undone', async () => {
    const { organizationId, manager } = await organization()
    const original = await declare(manager, 'Checkout down')
    const duplicate = await declare(manager, 'Payments failing')
    await reclassifyIncident(db.orm, manager, duplicate, {
      classification: 'duplicate',
      targetNumber: original,
      reason: 'Same outage, reported twice.',
    })

    expect(await classificationOf(organizationId, duplicate)).toEqual({
      classification: 'duplicate',
      target: original,
    })
    const dup = await loadIncident(db.orm, organizationId, duplicate)
    expect(dup.events.at(-1)).toMatchObject({
      type: 'incident.reclassified',
      actorId: manager.user.id,
      payload: {
        classification: 'duplicate',
        targetNumber: original,
        reason: 'Same outage, reported twice.',
      },
    })
    const target = await loadIncident(db.orm, organizationId, original)
    expect(target.events.at(-1)).toMatchObject({
      type: 'incident.link_added',
      payload: { relatedNumber: duplicate, kind: 'duplicate_of', direction: 'from' },
    })
    expect(await linksOf(organizationId, duplicate)).toEqual([`Duplicate of INC-${original}`])
    expect(await linksOf(organizationId, original)).toEqual([
      `INC-${duplicate} is a duplicate of this incident`,
    ])
    // No SLA deadline is watched for it any more.
    expect(dup.incident.slaNextDeadline ?? null).toBeNull()

    const frozen = await refused(organizationId, [duplicate], () =>
      transitionIncident(db.orm, manager, duplicate, { action: 'start-investigating' }),
    )
    expect(frozen.message).toMatch(
      /duplicate of another incident\. Undo the reclassification first/,
    )
    await refused(organizationId, [duplicate], () =>
      changeSeverity(db.orm, manager, duplicate, { severity: 'SEV-1', reason: 'worse' }),
    )
    await refused(organizationId, [duplicate], () =>
      assignIncident(db.orm, manager, duplicate, { commanderId: null, assigneeIds: [] }),
    )
    // Comments stay open, as on a closed incident.
    await addComment(db.orm, manager, duplicate, { body: 'Watching the original.' })

    await undoReclassification(db.orm, manager, duplicate, { reason: 'Different root cause.' })
    expect(await classificationOf(organizationId, duplicate)).toEqual({
      classification: 'incident',
      target: null,
    })
    expect(await linksOf(organizationId, duplicate)).toEqual([])
    expect((await loadIncident(db.orm, organizationId, original)).events.at(-1)).toMatchObject({
      type: 'incident.link_removed',
      payload: { relatedNumber: duplicate, kind: 'duplicate_of', direction: 'from' },
    })
    await transitionIncident(db.orm, manager, duplicate, { action: 'start-investigating' })
    expect((await verifyOrganization(db.orm, organizationId)).ok).toBe(true)
  })

  it('merges and declines; the target of a merge reads "INC-n was merged into this incident"', async () => {
    const { organizationId, admin } = await organization()
    const survivor = await declare(admin)
    const merged = await declare(admin)
    const noise = await declare(admin)
    await reclassifyIncident(db.orm, admin, merged, {
      classification: 'merged',
      targetNumber: survivor,
      reason: 'One incident.',
    })
    await reclassifyIncident(db.orm, admin, noise, {
      classification: 'declined',
      reason: 'Test alert.',
    })
    expect(await linksOf(organizationId, survivor)).toEqual([
      `INC-${merged} was merged into this incident`,
    ])
    expect(await classificationOf(organizationId, noise)).toEqual({
      classification: 'declined',
      target: null,
    })
    expect((await verifyOrganization(db.orm, organizationId)).ok).toBe(true)
  })

  it('refuses an engineer (403) and writes nothing', async () => {
    const { organizationId, manager, engineer } = await organization()
    const number = await declare(manager)
    const error = await refused(organizationId, [number], () =>
      reclassifyIncident(db.orm, engineer, number, { classification: 'declined', reason: 'No.' }),
    )
    expect(error.status).toBe(403)
    const undo = await refused(organizationId, [number], () =>
      undoReclassification(db.orm, engineer, number, { reason: 'No.' }),
    )
    expect(undo.status).toBe(403)
  })

  it('answers "not found" alike for another organization’s INC-n and a number nobody has', async () => {
    const mine = await organization('Mine')
    const theirs = await organization('Theirs')
    const number = await declare(mine.manager)
    // The other organization has INC-1 … INC-3; this one only INC-1.
    for (let i = 0; i < 3; i++) await declare(theirs.manager)
    const other = await refused(mine.organizationId, [number], () =>
      reclassifyIncident(db.orm, mine.manager, number, {
        classification: 'duplicate',
        targetNumber: 3,
        reason: 'Same',
      }),
    )
    const none = await refused(mine.organizationId, [number], () =>
      reclassifyIncident(db.orm, mine.manager, number, {
        classification: 'duplicate',
        targetNumber: 99,
        reason: 'Same',
      }),
    )
    expect(other.fieldErrors).toEqual({ targetNumber: ['There is no INC-3 in this organization.'] })
    expect(none.fieldErrors).toEqual({ targetNumber: ['There is no INC-99 in this organization.'] })
    const related = await refused(mine.organizationId, [number], () =>
      addRelatedLink(db.orm, mine.manager, number, { relatedNumber: 2 }),
    )
    expect(related.fieldErrors).toEqual({
      relatedNumber: ['There is no INC-2 in this organization.'],
    })
  })

  it('refuses itself, a missing reason or target, a target that is not counted, and an incident others point to', async () => {
    const { organizationId, manager } = await organization()
    const a = await declare(manager)
    const b = await declare(manager)
    const c = await declare(manager)
    const self = await refused(organizationId, [a], () =>
      reclassifyIncident(db.orm, manager, a, {
        classification: 'merged',
        targetNumber: a,
        reason: 'x',
      }),
    )
    expect(self.fieldErrors).toEqual({ targetNumber: ['Choose another incident than this one.'] })
    const noReason = await refused(organizationId, [a], () =>
      reclassifyIncident(db.orm, manager, a, { classification: 'declined', reason: '  ' }),
    )
    expect(noReason.fieldErrors).toEqual({ reason: ['Give a reason.'] })
    const noTarget = await refused(organizationId, [a], () =>
      reclassifyIncident(db.orm, manager, a, { classification: 'duplicate', reason: 'x' }),
    )
    expect(Object.keys(noTarget.fieldErrors ?? {})).toEqual(['targetNumber'])

    // b merged into a: then a merge into b points to a, and a cannot be reclassified (no cycle).
    await reclassifyIncident(db.orm, manager, b, {
      classification: 'merged',
      targetNumber: a,
      reason: 'x',
    })
    const chained = await refused(organizationId, [c, b], () =>
      reclassifyIncident(db.orm, manager, c, {
        classification: 'duplicate',
        targetNumber: b,
        reason: 'x',
      }),
    )
    expect(chained.fieldErrors).toEqual({
      targetNumber: [`INC-${b} is itself merged into INC-${a}: choose INC-${a}.`],
    })
    const cycle = await refused(organizationId, [a, b], () =>
      reclassifyIncident(db.orm, manager, a, {
        classification: 'merged',
        targetNumber: b,
        reason: 'x',
      }),
    )
    expect(cycle.message).toBe(
      `INC-${b} is recorded as merged into this incident. Undo that reclassification first.`,
    )
    const twice = await refused(organizationId, [b], () =>
      reclassifyIncident(db.orm, manager, b, { classification: 'declined', reason: 'x' }),
    )
    expect(twice.message).toMatch(/merged into another incident/)
  })

  it('refuses a stale form with a conflict and writes nothing', async () => {
    const { organizationId, manager } = await organization()
    const number = await declare(manager)
    const { incident } = await loadIncident(db.orm, organizationId, number)
    const version = incident.version
    await addComment(db.orm, manager, number, { body: 'Something changed.' })
    const before = await eventCount(db, organizationId, number)
    await expect(
      reclassifyIncident(db.orm, manager, number, {
        classification: 'declined',
        reason: 'x',
        version,
      }),
    ).rejects.toBeInstanceOf(IncidentConflictError)
    expect(await eventCount(db, organizationId, number)).toEqual(before)
  })
})

describe('related links', () => {
  it('adds and removes a link, shown and recorded on both incidents', async () => {
    const { organizationId, manager, engineer } = await organization()
    const a = await declare(manager)
    const b = await declare(engineer)
    // The engineer commands b (its declarer), so they may link it.
    await addRelatedLink(db.orm, engineer, b, { relatedNumber: a })
    expect(await linksOf(organizationId, a)).toEqual([`Related to INC-${b}`])
    expect(await linksOf(organizationId, b)).toEqual([`Related to INC-${a}`])
    const again = await refused(organizationId, [a, b], () =>
      addRelatedLink(db.orm, manager, a, { relatedNumber: b }),
    )
    expect(again.fieldErrors).toEqual({ relatedNumber: [`Related to INC-${b} already.`] })
    // An engineer on neither incident may not.
    const outsider = await addMember(db, organizationId, 'engineer')
    const forbidden = await refused(organizationId, [a, b], () =>
      removeRelatedLink(db.orm, outsider, a, { relatedNumber: b }),
    )
    expect(forbidden.status).toBe(403)

    await removeRelatedLink(db.orm, manager, a, { relatedNumber: b })
    expect(await linksOf(organizationId, a)).toEqual([])
    for (const number of [a, b])
      expect((await loadIncident(db.orm, organizationId, number)).events.at(-1)?.type).toBe(
        'incident.link_removed',
      )
    expect((await verifyOrganization(db.orm, organizationId)).ok).toBe(true)
  })

  it('a duplicate link replaces a related link between the same two incidents', async () => {
    const { organizationId, manager } = await organization()
    const a = await declare(manager)
    const b = await declare(manager)
    await addRelatedLink(db.orm, manager, a, { relatedNumber: b })
    await reclassifyIncident(db.orm, manager, a, {
      classification: 'duplicate',
      targetNumber: b,
      reason: 'x',
    })
    expect(await linksOf(organizationId, a)).toEqual([`Duplicate of INC-${b}`])
    expect((await verifyOrganization(db.orm, organizationId)).ok).toBe(true)
  })
})

describe('incident roles', () => {
  it('an organization signed up through the application gets the built-in roles', async () => {
    const { organization } = await signUp(db.orm, {
      organizationName: 'Signed Up Org',
      displayName: 'Sam Signup',
      email: `sam-${Date.now()}@example.test`,
      password: 'Tangerine-Lighthouse-Orbit-42',
    })
    expect((await listIncidentRoles(db.orm, organization.id)).map((r) => r.key)).toEqual([
      'communications_lead',
      'scribe',
    ])
  })

  it('every organization has the built-in roles; admins add, rename and archive their own', async () => {
    const { organizationId, admin, manager } = await organization()
    expect((await listIncidentRoles(db.orm, organizationId)).map((r) => [r.key, r.name])).toEqual([
      ['communications_lead', 'Communications lead'],
      ['scribe', 'Scribe'],
    ])
    const { id, key } = await addIncidentRole(db.orm, admin, '  Customer   liaison ')
    expect(key).toBe('customer_liaison')
    const duplicateName = await addIncidentRole(db.orm, admin, 'customer LIAISON').catch((e) => e)
    expect(duplicateName).toBeInstanceOf(IncidentError)
    expect(duplicateName.fieldErrors).toEqual({ name: ['There already is a role with this name.'] })
    const forbidden = await addIncidentRole(db.orm, manager, 'Other').catch((e) => e)
    expect(forbidden.status).toBe(403)
    await renameIncidentRole(db.orm, admin, id, 'Customer contact')
    await setIncidentRoleArchived(db.orm, admin, id, true)
    const roles = await listIncidentRoles(db.orm, organizationId)
    expect(roles.map((r) => [r.name, r.archived])).toEqual([
      ['Communications lead', false],
      ['Scribe', false],
      ['Customer contact', true],
    ])
    const builtin = roles.find((r) => r.key === 'scribe')!
    const keep = await setIncidentRoleArchived(db.orm, admin, builtin.id, true).catch((e) => e)
    expect(keep.message).toMatch(/Built-in roles cannot be archived/)
    // Another organization sees its own roles only.
    const other = await organization('Other roles')
    expect(await listIncidentRoles(db.orm, other.organizationId)).toHaveLength(2)
    const foreign = await renameIncidentRole(db.orm, other.admin, id, 'Mine now').catch((e) => e)
    expect(foreign.status).toBe(404)
  })

  it('the commander assigns a Communications lead: on the chain, in the holders, holdsIncidentRole', async () => {
    const { organizationId, manager, engineer } = await organization()
    const number = await declare(engineer)
    const roles = await listIncidentRoles(db.orm, organizationId)
    const lead = roles.find((r) => r.key === 'communications_lead')!
    const scribe = roles.find((r) => r.key === 'scribe')!
    await assignIncidentRoles(db.orm, engineer, number, {
      holders: { [lead.id]: manager.user.id, [scribe.id]: null },
    })
    const { incident, events } = await loadIncident(db.orm, organizationId, number)
    expect(events.at(-1)).toMatchObject({
      type: 'incident.role_assigned',
      actorId: engineer.user.id,
      payload: {
        roleId: lead.id,
        roleKey: 'communications_lead',
        roleName: 'Communications lead',
        userId: manager.user.id,
        previousUserId: null,
      },
    })
    const check = (userId: string, key: string) =>
      db.inOrg((em) => holdsIncidentRole(em, incident.id, userId, key), organizationId)
    expect(await check(manager.user.id, 'communications_lead')).toBe(true)
    expect(await check(manager.user.id, 'scribe')).toBe(false)
    expect(await check(engineer.user.id, 'communications_lead')).toBe(false)
    expect(
      (await db.inOrg((em) => incidentRoleHolders(em, incident.id), organizationId)).map((h) => [
        h.roleName,
        h.userId,
      ]),
    ).toEqual([['Communications lead', manager.user.id]])

    // An engineer who is not the commander may not; nor may a holder be someone from elsewhere.
    const other = await addMember(db, organizationId, 'engineer')
    const forbidden = await refused(organizationId, [number], () =>
      assignIncidentRoles(db.orm, other, number, { holders: { [scribe.id]: other.user.id } }),
    )
    expect(forbidden.status).toBe(403)
    const elsewhere = await organization('Elsewhere')
    const stranger = await refused(organizationId, [number], () =>
      assignIncidentRoles(db.orm, manager, number, {
        holders: { [scribe.id]: elsewhere.engineer.user.id },
      }),
    )
    expect(stranger.fieldErrors).toEqual({
      [`role-${scribe.id}`]: ['Choose active members of this organization.'],
    })
    const foreignRole = (await listIncidentRoles(db.orm, elsewhere.organizationId))[0]!
    const wrongRole = await refused(organizationId, [number], () =>
      assignIncidentRoles(db.orm, manager, number, {
        holders: { [foreignRole.id]: manager.user.id },
      }),
    )
    expect(wrongRole.message).toBe('Choose a role from the list.')

    await assignIncidentRoles(db.orm, manager, number, { holders: { [lead.id]: null } })
    expect(await check(manager.user.id, 'communications_lead')).toBe(false)
    expect(
      (await loadIncident(db.orm, organizationId, number)).events.at(-1)?.payload,
    ).toMatchObject({
      userId: null,
      previousUserId: manager.user.id,
    })
    expect((await verifyOrganization(db.orm, organizationId)).ok).toBe(true)
  })

  it('audit verification notices a role holder written around the chain', async () => {
    const { organizationId, manager } = await organization()
    const number = await declare(manager)
    const [scribe] = (await listIncidentRoles(db.orm, organizationId)).filter(
      (r) => r.key === 'scribe',
    )
    const { incident } = await loadIncident(db.orm, organizationId, number)
    await db.inOrg(
      (em) =>
        em.execute(
          `insert into incident_role_holder (organization_id, incident_id, role_id, user_id, assigned_at)
           values (?, ?, ?, ?, now())`,
          [organizationId, incident.id, scribe!.id, manager.user.id],
        ),
      organizationId,
    )
    const result = await verifyOrganization(db.orm, organizationId)
    expect(result.ok).toBe(false)
    expect(result.problem).toMatchObject({ kind: 'state', number })
    expect(result.problem?.detail).toMatch(/roles/)
  })
})

describe('the metric counting rule', () => {
  /** Monday 4 May 2026, 08:00 UTC: every time below is a whole number of minutes after it. */
  const BASE = Date.UTC(2026, 4, 4, 8, 0)
  const at = (minutes: number) => new Date(BASE + minutes * 60_000)
  const MAY = new URLSearchParams('period=custom&from=2026-05-01&to=2026-05-31')

  async function resolvedIncident(
    member: TestMember,
    title: string,
    start: number,
    resolveAfter: number,
  ) {
    const { number } = await declareIncident(
      db.orm,
      member,
      { title, summary: '', severity: 'SEV-3', impactStartedAt: at(start) },
      at(start),
    )
    await transitionIncident(
      db.orm,
      member,
      number,
      { action: 'start-investigating' },
      at(start + 1),
    )
    await transitionIncident(db.orm, member, number, { action: 'mark-mitigated' }, at(start + 2))
    await transitionIncident(
      db.orm,
      member,
      number,
      { action: 'mark-resolved' },
      at(start + resolveAfter),
    )
    return number
  }

  it('leaves out declined incidents and duplicates, counts a merged incident once, and counts again after an undo', async () => {
    const { organizationId, manager } = await organization('Metrics Org')
    const now = at(24 * 60)
    const figures = async () => {
      const d = await loadDashboard(
        db.orm,
        organizationId,
        parseAnalyticsFilters(MAY, 'UTC', now),
        now,
      )
      return { incidents: d.totals.incidents, open: d.totals.open, mttr: d.responseTimes.mttr }
    }
    // Counted: resolved after 60 and 120 minutes. Duplicate: 300 minutes. Merged: 600 minutes.
    const first = await resolvedIncident(manager, 'Checkout down', 0, 60)
    await resolvedIncident(manager, 'Search slow', 10, 120)
    const duplicate = await resolvedIncident(manager, 'Checkout down again', 20, 300)
    const merged = await resolvedIncident(manager, 'Payments failing', 30, 600)
    // Declined while still open (Detected).
    const declined = (
      await declareIncident(
        db.orm,
        manager,
        { title: 'Test alert', summary: '', severity: 'SEV-4', impactStartedAt: at(40) },
        at(40),
      )
    ).number
    const before = await figures()
    expect(before).toMatchObject({ incidents: 5, open: 1 })
    expect(before.mttr.count).toBe(4)

    await reclassifyIncident(db.orm, manager, duplicate, {
      classification: 'duplicate',
      targetNumber: first,
      reason: 'Same outage',
    })
    await reclassifyIncident(db.orm, manager, merged, {
      classification: 'merged',
      targetNumber: first,
      reason: 'One incident',
    })
    await reclassifyIncident(db.orm, manager, declined, {
      classification: 'declined',
      reason: 'Not an incident',
    })
    const after = await figures()
    // The two counted incidents remain; the merged one counts as its survivor (already counted).
    expect(after).toMatchObject({ incidents: 2, open: 0 })
    expect(after.mttr).toMatchObject({ count: 2, mean: 90 * 60, median: 90 * 60 })

    await undoReclassification(db.orm, manager, declined, { reason: 'It was real' })
    expect(await figures()).toMatchObject({ incidents: 3, open: 1 })
  })
})

describe('incident roles in notifications', () => {
  const relay = () =>
    relayEvents({ orm: db.orm, boss: db.boss, logger: silentLogger, appUrl: 'https://if.example' })
  const mailTo = (organizationId: string, email: string) =>
    db.query<{ subject: string; body_text: string }>(
      `select subject, body_text from email_outbox
        where organization_id = $1 and to_address = $2 order by created_at`,
      [organizationId, email],
    )

  it('tells a member they took a role, sends holders what assignees get, and names the holders', async () => {
    const { organizationId, manager, engineer } = await organization('Mail Org')
    const number = await declare(manager)
    const [lead] = (await listIncidentRoles(db.orm, organizationId)).filter(
      (r) => r.key === 'communications_lead',
    )
    await assignIncidentRoles(db.orm, manager, number, {
      holders: { [lead!.id]: engineer.user.id },
    })
    await relay()
    const told = await mailTo(organizationId, engineer.user.email)
    expect(told).toHaveLength(1)
    expect(told[0]!.subject).toContain(`is now Communications lead`)
    expect(told[0]!.body_text).toContain(
      'You get this e-mail because: you were made Communications lead of this incident',
    )

    // A reopening goes to the commander, the assignees and the role holders, naming the holders.
    await transitionIncident(db.orm, manager, number, { action: 'start-investigating' })
    await transitionIncident(db.orm, manager, number, { action: 'mark-mitigated' })
    await transitionIncident(db.orm, manager, number, { action: 'mark-resolved' })
    await transitionIncident(db.orm, manager, number, { action: 'reopen', reason: 'Back again' })
    await relay()
    const reopened = (await mailTo(organizationId, engineer.user.email)).at(-1)!
    expect(reopened.subject).toContain('reopened')
    expect(reopened.body_text).toContain(
      'You get this e-mail because: you are Communications lead of this incident',
    )
    expect(reopened.body_text).toContain(
      `Roles: Communications lead: ${engineer.user.displayName}.`,
    )

    // Once they leave the role, they hear no more than anyone else.
    await assignIncidentRoles(db.orm, manager, number, { holders: { [lead!.id]: null } })
    await transitionIncident(db.orm, manager, number, { action: 'mark-mitigated' })
    await transitionIncident(db.orm, manager, number, { action: 'mark-resolved' })
    await transitionIncident(db.orm, manager, number, { action: 'reopen', reason: 'And again' })
    await relay()
    expect(await mailTo(organizationId, engineer.user.email)).toHaveLength(2)
  })
})

describe('webhook payloads', () => {
  it('carry the incident’s classification, classifiedAsOf, related incidents and roles', async () => {
    const { organizationId, manager, engineer } = await organization('Hook Org')
    await db.query(
      `insert into webhook_endpoint (organization_id, url, secret, event_types)
       values ($1, 'https://hooks.example.test/reclass', 'x',
               array['incident.reclassified', 'incident.role_assigned'])`,
      [organizationId],
    )
    const survivor = await declare(manager, 'Checkout down')
    const duplicate = await declare(manager, 'Checkout down again')
    const [scribe] = (await listIncidentRoles(db.orm, organizationId)).filter(
      (r) => r.key === 'scribe',
    )
    await assignIncidentRoles(db.orm, manager, duplicate, {
      holders: { [scribe!.id]: engineer.user.id },
    })
    await reclassifyIncident(db.orm, manager, duplicate, {
      classification: 'duplicate',
      targetNumber: survivor,
      reason: 'Same outage',
    })
    while (
      (await relayEvents({
        orm: db.orm,
        boss: db.boss,
        logger: silentLogger,
        appUrl: 'https://if.example',
      })) > 0
    );
    const deliveries = await db.query<{
      event_type: string
      payload: { data: { incident: Record<string, unknown> } }
    }>(
      `select event_type, payload from webhook_delivery where organization_id = $1
        order by created_at, event_type`,
      [organizationId],
    )
    expect(deliveries.map((d) => d.event_type)).toEqual([
      'incident.role_assigned',
      'incident.reclassified',
    ])
    expect(deliveries[1]!.payload.data.incident).toMatchObject({
      reference: `INC-${duplicate}`,
      classification: 'duplicate',
      classifiedAsOf: `INC-${survivor}`,
      relatedIncidents: [
        {
          id: `INC-${survivor}`,
          kind: 'duplicate_of',
          direction: 'to',
          text: `Duplicate of INC-${survivor}`,
        },
      ],
      roles: [
        {
          roleId: scribe!.id,
          key: 'scribe',
          name: 'Scribe',
          holder: { id: engineer.user.id, name: engineer.user.displayName },
        },
      ],
    })
  })
})
