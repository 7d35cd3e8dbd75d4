import type { MikroORM } from '@mikro-orm/postgresql'
import type { Member } from './guard.server'
import { listMembers, listPendingInvitations } from './members.server'

/**
 * What the members page shows: every member (active first) and the pending invitations, times as
 * ISO strings, with the viewer's own user id so the page can leave out acting on themselves.
 */
export async function membersPage(orm: MikroORM, viewer: Pick<Member, 'user' | 'organization'>) {
  const organizationId = viewer.organization.id
  const [members, invitations] = await Promise.all([
    listMembers(orm, organizationId),
    listPendingInvitations(orm, organizationId),
  ])
  return {
    organizationName: viewer.organization.name,
    viewerUserId: viewer.user.id,
    members: members.map((m) => ({
      ...m,
      lastSeenAt: m.lastSeenAt?.toISOString() ?? null,
      joinedAt: m.joinedAt.toISOString(),
    })),
    invitations: invitations.map((i) => ({
      id: i.id,
      email: i.email,
      role: i.role,
      createdAt: i.createdAt.toISOString(),
      expiresAt: i.expiresAt.toISOString(),
    })),
  }
}

export type MembersPage = Awaited<ReturnType<typeof membersPage>>
