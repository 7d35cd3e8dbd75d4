import type { ServerBuild } from '@remix-run/node'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { actAs, actingAs, inScope, RequestUnit, type Scope } from '../../db/tenant'
import { loadDashboard } from '~/domain/analytics/analytics.server'
import { parseAnalyticsFilters } from '~/domain/analytics/filters'
import { createApiToken } from '~/domain/api/tokens.server'
import { verifyOrganization } from '~/domain/incident/audit.server'
import { listIncidentRoles } from '~/domain/incident/incident-roles.server'
import { IncidentConflictError, IncidentError } from '~/domain/incident/incident-errors'
import { declareIncident, transitionIncident } from '~/domain/incident/incident-service.server'
import {
  addIncidentViewer,
  removeIncidentViewer,
  setIncidentVisibility,
  usersWhoSee,
} from '~/domain/incident/visibility.server'
import { relayEvents } from '~/domain/notify/fanout.server'
import { getReport, listReports } from '~/domain/report/report.server'
import { createLogger } from '~/utils/logger.server'
import { cookiePair } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { decodePage } from '../support/html'
import { addSignedInMember, eventCount, type SignedInMember } from '../support/incidents'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'

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
      evidence: await count('select count(*) as n from attachment where incident_id = ?'),
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
    await db.inOrg((em) =>
      em.execute(
        `insert into attachment (organization_id, incident_id, object_key, display_name, content_type, size_bytes, sha256)
         values (?, ?, ?, 'salaries.csv', 'text/csv', 10, ?)`,
        [db.organizationId, incidentId, `test/${incidentId}`, '0'.repeat(64)],
      ),
    )
  })

  const everything = {
    incident: 1,
    events: expect.any(Number),
    timeline: expect.any(Number),
    evidence: 1,
  }
  const nothing = { incident: 0, events: 0, timeline: 0, evidence: 0 }

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

  it('shows it to an incident-role holder (Scribe), and to nobody else for that role', async () => {
    const scribe = (await listIncidentRoles(db.orm, db.organizationId)).find(
      (r) => r.key === 'scribe',
    )!
    const holderScope = { organizationId: db.organizationId, actingUserId: assignee.member.user.id }
    expect(await visibleRows(holderScope, incidentId)).toEqual(nothing)
    await db.inOrg((em) =>
      em.execute(
        `insert into incident_role_holder (organization_id, incident_id, role_id, user_id, assigned_at)
         values (?, ?, ?, ?, now())`,
        [db.organizationId, incidentId, scribe.id, assignee.member.user.id],
      ),
    )
    expect((await visibleRows(holderScope, incidentId)).incident).toBe(1)
    expect(
      await visibleRows(
        { organizationId: db.organizationId, actingUserId: outsider.member.user.id },
        incidentId,
      ),
    ).toEqual(nothing)
    await db.inOrg((em) =>
      em.execute(`delete from incident_role_holder where incident_id = ?`, [incidentId]),
    )
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

  it('decides a public incident without calling incidentflow_can_see_incident, and a private one with it', async () => {
    const { number } = await declare(commander)
    const publicId = (await incidentRow(number)).id
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      // A person with no part in the private incident, as a web request sets it; counting
      // function calls needs the owner's `track_functions`, set before the role changes.
      await client.query('begin')
      await client.query(`set local track_functions = 'all'`)
      await client.query(
        `select set_config('role', 'incidentflow_app', true),
                set_config('app.organization_id', $1, true),
                set_config('app.acting_user_id', $2, true)`,
        [db.organizationId, outsider.member.user.id],
      )
      const seen = async (id: string) => {
        const { rows } = await client.query<{ n: number }>(
          'select count(*)::int as n from incident where id = $1',
          [id],
        )
        const { rows: calls } = await client.query<{ calls: number }>(
          `select coalesce(sum(calls), 0)::int as calls from pg_stat_xact_user_functions
            where funcname = 'incidentflow_can_see_incident'`,
        )
        return { rows: rows[0]!.n, calls: calls[0]!.calls }
      }
      expect(await seen(publicId)).toEqual({ rows: 1, calls: 0 })
      expect(await seen(incidentId)).toEqual({ rows: 0, calls: 1 })
    } finally {
      await client.query('rollback').catch(() => {})
      await client.end()
    }
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
    expect((await eventCount(db, db.organizationId, number))!.events).toBe(before!.events + 1)
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

describe('notifications', () => {
  const logger = createLogger({ name: 'test', level: 'silent', pretty: false })
  const drain = async () => {
    while (
      (await relayEvents({ orm: db.orm, boss: db.boss, logger, appUrl: 'https://x.test' })) > 0
    );
  }

  it('counts as seeing: commander, assignees, viewers and admins; not a manager or engineer with no part', async () => {
    const { number } = await declare(commander, { private: true })
    await addIncidentViewer(db.orm, commander.member, number, { userId: assignee.member.user.id })
    const seeing = await inScope(db.orm, { organizationId: db.organizationId }, async (em) => {
      const [incident] = await em.execute<
        Array<{ id: string; private: boolean; commander_id: string; assignee_ids: string[] }>
      >('select id, private, commander_id, assignee_ids from incident where number = ?', [number])
      return usersWhoSee(
        em,
        {
          id: incident!.id,
          organizationId: db.organizationId,
          private: incident!.private,
          commanderId: incident!.commander_id,
          assigneeIds: incident!.assignee_ids,
        },
        [commander, assignee, admin, manager, outsider, otherOrgAdmin].map((m) => m.member.user.id),
      )
    })
    expect([...seeing].sort()).toEqual(
      [commander, assignee, admin].map((m) => m.member.user.id).sort(),
    )
  })

  it('delivers nothing of a private incident to webhook endpoints, and a public one as before', async () => {
    await drain()
    await db.query(
      `insert into webhook_endpoint (organization_id, url, secret, event_types)
       values ($1, 'https://hooks.example.test/in', 'whsec_test', '{incident.declared,comment.added}')`,
      [db.organizationId],
    )
    const hidden = await declare(commander, { private: true })
    const shown = await declare(commander)
    await drain()
    const deliveries = async (number: number) => {
      const { id } = await incidentRow(number)
      const rows = await db.query<{ n: number }>(
        `select count(*)::int as n from webhook_delivery where idempotency_key like $1`,
        [`event:${id}:%`],
      )
      return rows[0]!.n
    }
    expect(await deliveries(shown.number)).toBe(1)
    expect(await deliveries(hidden.number)).toBe(0)
    const [outbox] = await db.query<{ n: number }>(`select count(*)::int as n from event_outbox`)
    expect(outbox!.n).toBe(0)
  })
})

describe('aggregated analytics', () => {
  it('count a private incident for someone who cannot see it', async () => {
    const filters = parseAnalyticsFilters(new URLSearchParams('period=7d'), 'UTC', new Date())
    const asManager = async () => {
      const unit = new RequestUnit(db.orm)
      const totals = await RequestUnit.enter(unit, async () => {
        actAs(manager.member.user.id)
        return (await loadDashboard(db.orm, db.organizationId, filters, new Date())).totals
      })
      await unit.finish()
      return totals.incidents
    }
    const before = await asManager()
    await declare(commander, { private: true })
    expect(await asManager()).toBe(before + 1)
  })
})

describe('over HTTP', () => {
  let build: ServerBuild
  let app: RunningApp
  let hidden: { number: number; title: string }
  let missing: number
  const tokens = new Map<SignedInMember, string>()

  const get = (path: string, who: SignedInMember) => app.get(path, { cookie: who.cookie })
  const api = async (
    method: string,
    path: string,
    who: SignedInMember,
    body?: unknown,
  ): Promise<Response> => {
    let token = tokens.get(who)
    if (!token) {
      token = (await createApiToken(db.orm, who.member, { name: 'test', expiresIn: 'never' })).token
      tokens.set(who, token)
    }
    return fetch(`${app.baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    })
  }

  beforeAll(async () => {
    build = await loadRemixBuild()
    app = await startInProcessApp(db, build)
    hidden = await declare(commander, { private: true })
    missing = hidden.number + 1000
  }, 300_000)
  afterAll(() => app?.close())

  const INCIDENT_PAGES = [
    '/incidents/{n}',
    '/incidents/{n}/timeline.csv',
    '/incidents/{n}/timeline.json',
    '/incidents/{n}/visibility',
    '/incidents/{n}/postmortem',
    '/incidents/{n}/postmortem/action-items',
    '/incidents/{n}/postmortem/revisions',
    '/incidents/{n}/postmortem/drafts',
    '/incidents/{n}/postmortem/print',
    '/incidents/{n}/public-updates',
  ]
  const API_READS = ['/api/v1/incidents/{n}', '/api/v1/incidents/{n}/timeline']

  it.each(INCIDENT_PAGES)(
    '%s answers a non-participant engineer and a manager as for a number that does not exist',
    async (template) => {
      const path = (n: number) => template.replace('{n}', String(n))
      const answer = async (n: number, who: SignedInMember) => {
        const response = await get(path(n), who)
        return `${response.status} ${response.headers.get('location')?.replace(String(n), 'n') ?? ''}`
      }
      const absent = await answer(missing, outsider)
      // The drafts page sends a missing postmortem's visitor on to the postmortem page (404).
      expect(absent).toMatch(
        template.endsWith('/drafts') ? /^303 \/incidents\/n\/postmortem$/ : /^404 $/,
      )
      expect(await answer(hidden.number, outsider)).toBe(absent)
      expect(await answer(hidden.number, manager)).toBe(absent)
      // Another organization's admin, for the same number.
      expect(await answer(hidden.number, otherOrgAdmin)).toBe(absent)
    },
  )

  it.each(INCIDENT_PAGES.slice(0, 4))('%s answers its commander and an admin', async (template) => {
    const path = template.replace('{n}', String(hidden.number))
    expect((await get(path, commander)).status).toBe(200)
    expect((await get(path, admin)).status).toBe(200)
  })

  it.each(API_READS)(
    'API %s: 404 to a non-participant, 200 to a participant and an admin',
    async (template) => {
      const path = template.replace('{n}', String(hidden.number))
      expect((await api('GET', path, outsider)).status).toBe(404)
      expect((await api('GET', path, manager)).status).toBe(404)
      expect((await api('GET', path, commander)).status).toBe(200)
      expect((await api('GET', path, admin)).status).toBe(200)
    },
  )

  it('API writes: 404 to a non-participant, and nothing is written', async () => {
    const before = await eventCount(db, db.organizationId, hidden.number)
    const comment = await api('POST', `/api/v1/incidents/${hidden.number}/comments`, outsider, {
      body: 'I should not be here',
    })
    expect(comment.status).toBe(404)
    const transition = await api(
      'POST',
      `/api/v1/incidents/${hidden.number}/transitions`,
      manager,
      { action: 'start-investigating' },
    )
    expect(transition.status).toBe(404)
    expect(await eventCount(db, db.organizationId, hidden.number)).toEqual(before)
  })

  it('API: private in the incident and the list, a private filter, and nothing for a non-participant', async () => {
    const one = (await (
      await api('GET', `/api/v1/incidents/${hidden.number}`, commander)
    ).json()) as { private: boolean }
    expect(one.private).toBe(true)
    type List = { data: Array<{ number: number; private: boolean }> }
    const list = async (who: SignedInMember, query: string) =>
      (
        (await (
          await api('GET', `/api/v1/incidents?status=all&limit=100${query}`, who)
        ).json()) as List
      ).data
    expect((await list(commander, '')).find((r) => r.number === hidden.number)?.private).toBe(true)
    expect((await list(commander, '&private=true')).every((r) => r.private)).toBe(true)
    expect((await list(commander, '&private=false')).some((r) => r.private)).toBe(false)
    expect((await list(outsider, '')).some((r) => r.number === hidden.number)).toBe(false)
    expect((await list(outsider, '&private=true')).length).toBe(0)
    const declared = await api('POST', '/api/v1/incidents', outsider, {
      title: 'Declared private over the API',
      severity: 'SEV-4',
      private: true,
    })
    expect(declared.status).toBe(201)
    expect(((await declared.json()) as { private: boolean }).private).toBe(true)
  })

  it('lists and finds it only for those who see it, with a Private badge', async () => {
    const word = hidden.title.split(' ').at(-1)!
    for (const query of ['/incidents?status=all', `/incidents?status=all&q=${word}`]) {
      const mine = decodePage(await (await get(query, commander)).text())
      expect(mine).toContain(hidden.title)
      expect(mine).toMatch(/Private<\/span>/)
      const theirs = decodePage(await (await get(query, outsider)).text())
      expect(theirs).not.toContain(hidden.title)
    }
  })

  it('leaves it out of the analytics export of a manager with no part in it, not of an admin', async () => {
    const csv = async (who: SignedInMember) =>
      decodePage(await (await get('/analytics/incidents.csv?period=7d', who)).text())
    expect(await csv(admin)).toContain(hidden.title)
    expect(await csv(manager)).not.toContain(hidden.title)
    const json = await (await get('/analytics/incidents.json?period=7d', manager)).text()
    expect(json).not.toContain(hidden.title)
  })

  it('declares a private incident from the form', async () => {
    const title = `Harassment report ${marker()}`
    const response = await app.post(
      '/incidents/new',
      { title, severity: 'SEV-3', summary: '', private: 'on' },
      { cookie: commander.cookie },
    )
    expect(response.status).toBe(302)
    const number = Number(response.headers.get('location')!.split('/').at(-1))
    expect((await incidentRow(number)).private).toBe(true)
    expect((await get(`/incidents/${number}`, outsider)).status).toBe(404)
    const page = decodePage(await (await get(`/incidents/${number}`, commander)).text())
    expect(page).toContain(title)
    expect(page).toContain('Make public')
  })

  it('refuses the visibility forms: 404 to whom it is hidden, 403 to an engineer who sees it, 409 to a stale form', async () => {
    const { number } = await declare(commander, { private: true })
    await addIncidentViewer(db.orm, commander.member, number, { userId: assignee.member.user.id })
    const before = await eventCount(db, db.organizationId, number)
    const post = (who: SignedInMember, fields: Record<string, string>) =>
      app.post(`/incidents/${number}/visibility`, fields, { cookie: who.cookie })
    const version = String((await incidentRow(number)).version)
    const makePublic = { intent: 'visibility', private: 'false', reason: 'Done', version }
    expect((await post(outsider, makePublic)).status).toBe(404)
    expect(
      (await post(outsider, { intent: 'add-viewer', userId: outsider.member.user.id, version }))
        .status,
    ).toBe(404)
    expect((await post(assignee, makePublic)).status).toBe(403)
    const stale = await post(admin, { ...makePublic, version: String(Number(version) - 1) })
    expect(stale.status).toBe(409)
    expect(decodePage(await stale.text())).toContain('This incident changed since you opened it')
    const blank = await post(admin, { ...makePublic, reason: '' })
    expect(blank.status).toBe(400)
    expect(decodePage(await blank.text())).toContain('Give a reason')
    expect(await eventCount(db, db.organizationId, number)).toEqual(before)
    expect((await incidentRow(number)).private).toBe(true)
  })

  it('adds a viewer from the page, who then sees it', async () => {
    const { number, title } = await declare(commander, { private: true })
    expect((await get(`/incidents/${number}`, outsider)).status).toBe(404)
    const added = await app.post(
      `/incidents/${number}/visibility`,
      {
        intent: 'add-viewer',
        userId: outsider.member.user.id,
        version: String((await incidentRow(number)).version),
      },
      { cookie: commander.cookie },
    )
    expect(added.status).toBe(302)
    const setCookie = added.headers.get('set-cookie')
    const page = await app.get(added.headers.get('location')!, {
      cookie: setCookie ? `${commander.cookie}; ${cookiePair(setCookie)}` : commander.cookie,
    })
    expect(decodePage(await page.text())).toContain('Viewer added.')
    const theirs = await get(`/incidents/${number}`, outsider)
    expect(theirs.status).toBe(200)
    expect(decodePage(await theirs.text())).toContain(title)
  })
})

describe('reports', () => {
  it('hide a private incident’s postmortem report (and the title it names) from a manager with no part in it', async () => {
    const { number, title } = await declare(commander, { private: true })
    const { id: incidentId } = await incidentRow(number)
    const reportId = await inScope(db.orm, { organizationId: db.organizationId }, async (em) => {
      const [postmortem] = await em.execute<Array<{ id: string }>>(
        'insert into postmortem (organization_id, incident_id) values (?, ?) returning id',
        [db.organizationId, incidentId],
      )
      const [report] = await em.execute<Array<{ id: string }>>(
        `insert into report (organization_id, requested_by, kind, subject_id, parameters, parameters_hash)
         values (?, ?, 'postmortem', ?, ?::jsonb, ?) returning id`,
        [
          db.organizationId,
          commander.member.user.id,
          postmortem!.id,
          JSON.stringify({ incidentNumber: number, incidentTitle: title, revision: 1 }),
          marker().padEnd(64, '0'),
        ],
      )
      return report!.id
    })
    const listed = (who: SignedInMember) =>
      actingAs(who.member.user.id, async () =>
        (await listReports(db.orm, who.member)).map((r) => r.id),
      )
    expect(await listed(admin)).toContain(reportId)
    expect(await listed(manager)).not.toContain(reportId)
    expect(
      await actingAs(manager.member.user.id, () => getReport(db.orm, manager.member, reportId)),
    ).toBeNull()
    expect(
      await actingAs(admin.member.user.id, () => getReport(db.orm, admin.member, reportId)),
    ).not.toBeNull()
  })
})
