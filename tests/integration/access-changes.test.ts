import { describe, expect, it } from 'vitest'
import { logOut, switchOrganization } from '~/domain/access/accounts.server'
import { getViewer, requireMember } from '~/domain/access/guard.server'
import { changeRole, setActive } from '~/domain/access/members.server'
import { listSessions, revokeSession } from '~/domain/access/session.server'
import { parseEnv, webEnvSchema } from '~/utils/env.server'
import {
  actorOf,
  addMembership,
  createMember,
  expectThrownResponse,
  loadContext,
  pageRequest,
  signIn,
  thrownBy,
} from '../support/access'
import { setUpTestDatabase } from '../support/database'

const db = setUpTestDatabase('access_changes')

/**
 * Nothing about who someone is or what they may do is kept in the cookie or in memory: every
 * request reads the session, the membership and the role afresh. Each "request" below gets a new
 * load context, as the express app gives one per request.
 */
function nextRequest(cookie: string, path = '/analytics') {
  return { request: pageRequest(path, cookie), context: loadContext(db) }
}

async function organizationWithAdmin() {
  const organizationId = await db.createOrganization('Changing Org')
  const admin = await createMember(db, { organizationId, role: 'admin' })
  return { organizationId, admin }
}

describe('a change made by an admin counts on the member’s very next request', () => {
  it('a manager demoted to engineer loses analytics.view on the next request', async () => {
    const { organizationId, admin } = await organizationWithAdmin()
    const manager = await createMember(db, { organizationId, role: 'manager' })
    const session = await signIn(db, manager)

    const before = nextRequest(session.cookie)
    const viewer = await requireMember(before.request, before.context, 'analytics.view')
    expect(viewer.role).toBe('manager')

    await changeRole(db.orm, actorOf(admin), manager.membershipId, 'engineer')

    const after = nextRequest(session.cookie)
    expect(
      await expectThrownResponse(
        requireMember(after.request, after.context, 'analytics.view'),
        403,
      ),
    ).toBe('Your role does not allow this.')
    // Still signed in, as an engineer.
    const again = nextRequest(session.cookie)
    expect(await requireMember(again.request, again.context, 'incident.declare')).toMatchObject({
      role: 'engineer',
    })
  })

  it('a deactivated member has no organization on the next request', async () => {
    const { organizationId, admin } = await organizationWithAdmin()
    const engineer = await createMember(db, { organizationId, role: 'engineer' })
    const session = await signIn(db, engineer)
    const before = nextRequest(session.cookie)
    await requireMember(before.request, before.context, 'incident.view')

    await setActive(db.orm, actorOf(admin), engineer.membershipId, false)

    const after = nextRequest(session.cookie)
    expect(await expectThrownResponse(requireMember(after.request, after.context), 403)).toMatch(
      /not an active member/,
    )
    const viewer = await getViewer(pageRequest('/', session.cookie), loadContext(db))
    expect(viewer).toMatchObject({ organization: null, role: null, memberships: [] })
    // The session's active organization was cleared, so reactivation is a deliberate step.
    const [row] = await db.query('select active_organization_id from user_session where id = $1', [
      session.sessionId,
    ])
    expect(row).toEqual({ active_organization_id: null })
  })

  it('a member deactivated in the active organization falls back to another one they belong to', async () => {
    const { organizationId, admin } = await organizationWithAdmin()
    const second = await organizationWithAdmin()
    const person = await createMember(db, { organizationId, role: 'manager' })
    await addMembership(db, {
      userId: person.userId,
      organizationId: second.organizationId,
      role: 'engineer',
    })
    const session = await signIn(db, person)

    await setActive(db.orm, actorOf(admin), person.membershipId, false)

    const viewer = await getViewer(pageRequest('/', session.cookie), loadContext(db))
    expect(viewer?.organization?.id).toBe(second.organizationId)
    expect(viewer?.role).toBe('engineer')
  })

  it('a revoked session signs no one in on the next request', async () => {
    const engineer = await createMember(db, { role: 'engineer' })
    const kept = await signIn(db, engineer)
    const revoked = await signIn(db, engineer)
    expect(await getViewer(pageRequest('/', revoked.cookie), loadContext(db))).not.toBeNull()

    expect(await revokeSession(db.orm, engineer.userId, revoked.sessionId)).toBe(true)

    expect(await getViewer(pageRequest('/', revoked.cookie), loadContext(db))).toBeNull()
    const { request, context } = nextRequest(revoked.cookie, '/admin/members')
    const thrown = (await thrownBy(requireMember(request, context))) as Response
    expect(thrown.status).toBe(302)
    expect(thrown.headers.get('Location')).toBe('/login?redirectTo=%2Fadmin%2Fmembers')
    // The dead cookie is cleared on the way.
    expect(thrown.headers.get('Set-Cookie')).toMatch(/^session=; Max-Age=0/)
    // The user's other session is untouched.
    expect(await getViewer(pageRequest('/', kept.cookie), loadContext(db))).not.toBeNull()
    expect((await listSessions(db.orm, engineer.userId)).map((s) => s.id)).toEqual([kept.sessionId])
  })

  it('a session can only be revoked by its own user', async () => {
    const owner = await createMember(db, { role: 'engineer' })
    const other = await createMember(db, { role: 'admin' })
    const session = await signIn(db, owner)
    expect(await revokeSession(db.orm, other.userId, session.sessionId)).toBe(false)
    expect(await getViewer(pageRequest('/', session.cookie), loadContext(db))).not.toBeNull()
  })

  it('logging out deletes the session row', async () => {
    const engineer = await createMember(db, { role: 'engineer' })
    const session = await signIn(db, engineer)
    await logOut(db.orm, session.sessionId)
    expect(await db.query('select 1 from user_session where id = $1', [session.sessionId])).toEqual(
      [],
    )
    expect(await getViewer(pageRequest('/', session.cookie), loadContext(db))).toBeNull()
  })

  it('switching organization is refused where the user is not an active member', async () => {
    const { organizationId } = await organizationWithAdmin()
    const person = await createMember(db, { role: 'engineer' })
    const session = await signIn(db, person)
    expect(await switchOrganization(db.orm, session.sessionId, person.userId, organizationId)).toBe(
      false,
    )
    const viewer = await getViewer(pageRequest('/', session.cookie), loadContext(db))
    expect(viewer?.organization?.id).toBe(db.organizationId)

    await addMembership(db, { userId: person.userId, organizationId, role: 'manager' })
    expect(await switchOrganization(db.orm, session.sessionId, person.userId, organizationId)).toBe(
      true,
    )
    const switched = await getViewer(pageRequest('/', session.cookie), loadContext(db))
    expect(switched).toMatchObject({ organization: { id: organizationId }, role: 'manager' })
  })
})

describe('session lifetime', () => {
  // The defaults loadContext() runs with (the database URL does not matter for these).
  const env = parseEnv(webEnvSchema, { NODE_ENV: 'test' })

  it(`ends a session idle for longer than SESSION_IDLE_MINUTES (${env.SESSION_IDLE_MINUTES})`, async () => {
    const engineer = await createMember(db, { role: 'engineer' })
    const session = await signIn(db, engineer)
    await db.query(`update user_session set last_seen_at = now() - $2::interval where id = $1`, [
      session.sessionId,
      `${env.SESSION_IDLE_MINUTES - 1} minutes`,
    ])
    // Within the idle limit: still signed in, and the visit renews it.
    expect(await getViewer(pageRequest('/', session.cookie), loadContext(db))).not.toBeNull()
    const [renewed] = await db.query<{ idle: number }>(
      `select extract(epoch from now() - last_seen_at)::int as idle from user_session where id = $1`,
      [session.sessionId],
    )
    expect(renewed!.idle).toBeLessThan(60)

    await db.query(`update user_session set last_seen_at = now() - $2::interval where id = $1`, [
      session.sessionId,
      `${env.SESSION_IDLE_MINUTES + 1} minutes`,
    ])
    expect(await getViewer(pageRequest('/', session.cookie), loadContext(db))).toBeNull()
  })

  it(`ends a session at its absolute lifetime (${env.SESSION_MAX_DAYS} days) however active it was`, async () => {
    const engineer = await createMember(db, { role: 'engineer' })
    const session = await signIn(db, engineer)
    const [row] = await db.query<{ days: number }>(
      `select round(extract(epoch from expires_at - created_at) / 86400)::int as days
         from user_session where id = $1`,
      [session.sessionId],
    )
    expect(row!.days).toBe(env.SESSION_MAX_DAYS)

    await db.query(
      `update user_session set expires_at = now() - interval '1 second', last_seen_at = now()
        where id = $1`,
      [session.sessionId],
    )
    expect(await getViewer(pageRequest('/', session.cookie), loadContext(db))).toBeNull()
  })
})
