import { beforeAll, describe, expect, it } from 'vitest'
import { requireMember } from '~/domain/access/guard.server'
import { PERMISSIONS, type Role } from '~/domain/access/permissions'
import {
  createMember,
  expectThrownResponse,
  loadContext,
  pageRequest,
  signIn,
  thrownBy,
  type SignedIn,
  type TestMember,
} from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { EXPECTED_PERMISSIONS, permissionCases } from '../support/permission-matrix'

const db = setUpTestDatabase('permissions')

/**
 * The role table, enforced for real: one member per role in a real organization, each with a
 * real database session, asking requireMember through a request that carries the session cookie
 * the log-in action would have set.
 */
describe('requireMember enforces the role × permission table', () => {
  const members = {} as Record<Role, { member: TestMember; session: SignedIn }>

  beforeAll(async () => {
    for (const role of ['admin', 'manager', 'engineer'] as const) {
      const member = await createMember(db, { role })
      members[role] = { member, session: await signIn(db, member) }
    }
  })

  it('covers every permission the code defines', () => {
    expect(Object.keys(EXPECTED_PERMISSIONS).sort()).toEqual([...PERMISSIONS].sort())
  })

  it.each(permissionCases())(
    '$role asking for $permission is allowed: $allowed',
    async ({ role, permission, allowed }) => {
      const { member, session } = members[role]
      const request = pageRequest('/some/page', session.cookie)
      const attempt = requireMember(request, loadContext(db), permission)
      if (allowed) {
        const viewer = await attempt
        expect(viewer.user.id).toBe(member.userId)
        expect(viewer.organization.id).toBe(db.organizationId)
        expect(viewer.role).toBe(role)
      } else {
        expect(await expectThrownResponse(attempt, 403)).toBe('Your role does not allow this.')
      }
    },
  )

  it('lets every role through when no permission is asked for', async () => {
    for (const { session } of Object.values(members)) {
      const viewer = await requireMember(pageRequest('/', session.cookie), loadContext(db))
      expect(viewer.organization.id).toBe(db.organizationId)
    }
  })

  it('judges the role in the organization the session acts in, not in another one', async () => {
    // The engineer is an admin elsewhere; acting in the first organization they are an engineer.
    const elsewhere = await db.createOrganization('Elsewhere')
    const { member } = members.engineer
    await db.query(
      `insert into membership (organization_id, user_id, role) values ($1, $2, 'admin')`,
      [elsewhere, member.userId],
    )
    const inFirst = await signIn(db, { userId: member.userId, organizationId: db.organizationId })
    await expectThrownResponse(
      requireMember(pageRequest('/', inFirst.cookie), loadContext(db), 'members.manage'),
      403,
    )
    const inSecond = await signIn(db, { userId: member.userId, organizationId: elsewhere })
    const viewer = await requireMember(
      pageRequest('/', inSecond.cookie),
      loadContext(db),
      'members.manage',
    )
    expect(viewer.organization.id).toBe(elsewhere)
    expect(viewer.role).toBe('admin')
  })

  it('redirects a request without a session to the log-in page, coming back afterwards', async () => {
    const thrown = await thrownBy(
      requireMember(pageRequest('/admin/members'), loadContext(db), 'incident.view'),
    )
    expect(thrown).toBeInstanceOf(Response)
    expect((thrown as Response).status).toBe(302)
    expect((thrown as Response).headers.get('Location')).toBe(
      '/login?redirectTo=%2Fadmin%2Fmembers',
    )
  })

  it('ignores a cookie whose token is not signed with the secret', async () => {
    const { session } = members.admin
    // Right cookie name and a real token, but unsigned: what someone without the secret can make.
    const forged = `session=${encodeURIComponent(btoa(JSON.stringify(session.token)))}`
    const thrown = (await thrownBy(
      requireMember(pageRequest('/x', forged), loadContext(db)),
    )) as Response
    expect(thrown.status).toBe(302)
    expect(thrown.headers.get('Location')).toBe('/login?redirectTo=%2Fx')
  })
})
