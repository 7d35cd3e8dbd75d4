import { LockMode, type EntityManager, type MikroORM } from '@mikro-orm/postgresql'
import { FieldRefusal } from '~/domain/domain-error'
import {
  InvitationSchema,
  MembershipSchema,
  UserSchema,
  type Invitation,
} from '../../../db/entities/access'
import { OrganizationSchema } from '../../../db/entities/organization'
import { inScope } from '../../../db/tenant'
import { referenceWritten } from '~/utils/reference-cache.server'
import type { PgBoss } from '~/queue/send.server'
import { queueEmail } from '~/domain/email/outbox.server'
import { memberDirectory, type MemberRow } from '~/domain/reference/reference-data.server'
import { AccountError, normalizeEmail } from './accounts.server'
import { hashPassword, passwordProblem } from './password.server'
import { can, ROLE_LABELS, type Role } from './permissions'
import { newToken, tokenHash } from './tokens.server'
import type { Member } from './guard.server'
import { now as clockNow } from '~/utils/clock'

export const INVITATION_DAYS = 7

/** A refused membership change, with words for the person who asked. */
export class MemberError extends FieldRefusal {}

/** Who changes the organization's members and invitations: the organization comes from them. */
export type MemberManager = Pick<Member, 'role'> & {
  user: Pick<Member['user'], 'id' | 'displayName'>
  organization: Pick<Member['organization'], 'id'>
}

/** The members page checks the permission too; the service does not rely on it. */
function assertManagesMembers(member: MemberManager) {
  if (!can(member.role, 'members.manage'))
    throw new MemberError(null, 'Only admins can manage members.', 403)
}

export type { MemberRow }

/**
 * Every member of the organization, active first, then by name. Read through the process's
 * reference cache: `lastSeenAt` may be up to a minute older than the database's.
 */
export function listMembers(orm: MikroORM, organizationId: string): Promise<readonly MemberRow[]> {
  return memberDirectory(orm, organizationId)
}

export async function listPendingInvitations(
  orm: MikroORM,
  organizationId: string,
  now = clockNow(),
) {
  return inScope(orm, { organizationId }, (em) =>
    em.find(
      InvitationSchema,
      { organizationId, acceptedAt: null, revokedAt: null, expiresAt: { $gt: now } },
      { orderBy: { createdAt: 'desc' } },
    ),
  )
}

/** Refuses a change that would leave the organization without an active admin. */
async function assertAdminRemains(
  em: EntityManager,
  organizationId: string,
  changingMembershipId: string,
) {
  // Lock the organization's admin memberships so two concurrent demotions cannot both pass.
  const admins = await em
    .getConnection()
    .execute<{ id: string }[]>(
      `select id from membership where organization_id = ? and role = 'admin' and active for update`,
      [organizationId],
      'all',
      em.getTransactionContext(),
    )
  if (admins.every((a) => a.id === changingMembershipId)) {
    throw new MemberError(
      null,
      'The organization needs at least one active admin. Make someone else an admin first.',
    )
  }
}

export async function changeRole(
  orm: MikroORM,
  member: MemberManager,
  membershipId: string,
  role: Role,
) {
  assertManagesMembers(member)
  const organizationId = member.organization.id
  const changed = await inScope(orm, { organizationId }, async (em) => {
    const membership = await em.findOne(MembershipSchema, { id: membershipId, organizationId })
    if (!membership) return null
    if (membership.role === 'admin' && role !== 'admin' && membership.active) {
      await assertAdminRemains(em, organizationId, membership.id)
    }
    membership.role = role
    return membership
  })
  if (changed) referenceWritten(orm, organizationId)
  return changed
}

/**
 * Ends or restores a membership. Nobody deactivates themselves: they would lock themselves out
 * mid-change.
 */
export async function setActive(
  orm: MikroORM,
  member: MemberManager,
  membershipId: string,
  active: boolean,
) {
  assertManagesMembers(member)
  const organizationId = member.organization.id
  const changed = await inScope(orm, { organizationId }, async (em) => {
    const membership = await em.findOne(MembershipSchema, { id: membershipId, organizationId })
    if (!membership) return null
    if (!active && membership.userId === member.user.id) {
      throw new MemberError(null, 'You cannot deactivate yourself. Ask another admin.')
    }
    if (!active && membership.role === 'admin' && membership.active) {
      await assertAdminRemains(em, organizationId, membership.id)
    }
    membership.active = active
    return membership
  })
  if (changed) referenceWritten(orm, organizationId)
  return changed
}

export interface InviteInput {
  email: string
  role: Role
  appUrl: string
}

/**
 * Records an invitation and queues its e-mail in one transaction. The link carries a random
 * token; the database keeps only its hash. Inviting the same address again replaces the pending
 * invitation (the old link stops working).
 */
export async function invite(
  orm: MikroORM,
  boss: PgBoss,
  member: MemberManager,
  input: InviteInput,
  now = clockNow(),
) {
  assertManagesMembers(member)
  const email = normalizeEmail(input.email)
  const token = newToken()
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const organization = await em.findOneOrFail(OrganizationSchema, { id: member.organization.id })
    const existingUser = await em.findOne(UserSchema, { email })
    if (existingUser) {
      const membership = await em.findOne(MembershipSchema, {
        organizationId: organization.id,
        userId: existingUser.id,
      })
      if (membership) {
        throw new MemberError(
          'email',
          membership.active
            ? 'This person is already a member.'
            : 'This person is a deactivated member: reactivate them instead.',
        )
      }
    }
    await em.nativeUpdate(
      InvitationSchema,
      { organizationId: organization.id, email, acceptedAt: null, revokedAt: null },
      { revokedAt: now },
    )
    const invitation = em.create(InvitationSchema, {
      organizationId: organization.id,
      email,
      role: input.role,
      tokenHash: tokenHash(token),
      invitedBy: member.user.id,
      createdAt: now,
      expiresAt: new Date(now.getTime() + INVITATION_DAYS * 86_400_000),
    })
    await em.flush()
    const link = `${input.appUrl.replace(/\/$/, '')}/invitations/${token}`
    await queueEmail(em, boss, {
      organizationId: organization.id,
      kind: 'invitation',
      to: email,
      subject: `${member.user.displayName} invited you to ${organization.name} on IncidentFlow`,
      text: [
        `${member.user.displayName} invited you to join ${organization.name} on IncidentFlow as ${ROLE_LABELS[input.role].toLowerCase()}.`,
        '',
        `Accept the invitation: ${link}`,
        '',
        `The link works once and expires in ${INVITATION_DAYS} days. If you did not expect this e-mail, ignore it.`,
      ].join('\n'),
      idempotencyKey: `invitation:${invitation.id}`,
    })
    return invitation
  })
}

export async function revokeInvitation(
  orm: MikroORM,
  member: MemberManager,
  invitationId: string,
  now = clockNow(),
) {
  assertManagesMembers(member)
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const updated = await em.nativeUpdate(
      InvitationSchema,
      { id: invitationId, organizationId, acceptedAt: null, revokedAt: null },
      { revokedAt: now },
    )
    return updated > 0
  })
}

export type InvitationState =
  | { status: 'valid'; invitation: Invitation; organizationName: string; hasAccount: boolean }
  | { status: 'invalid' }

/** What an invitation link shows, read through the token-holder policy before joining. */
export async function lookupInvitation(
  orm: MikroORM,
  token: string,
  now = clockNow(),
): Promise<InvitationState> {
  if (!/^[\w-]{43}$/.test(token)) return { status: 'invalid' }
  const hash = tokenHash(token)
  const invitation = await inScope(orm, { invitationTokenHash: hash }, (em) =>
    em.findOne(InvitationSchema, { tokenHash: hash }),
  )
  if (!invitation || invitation.acceptedAt || invitation.revokedAt || invitation.expiresAt <= now) {
    return { status: 'invalid' }
  }
  return inScope(orm, { organizationId: invitation.organizationId }, async (em) => {
    const organization = await em.findOneOrFail(OrganizationSchema, {
      id: invitation.organizationId,
    })
    const hasAccount = (await em.count(UserSchema, { email: invitation.email })) > 0
    return { status: 'valid', invitation, organizationName: organization.name, hasAccount }
  })
}

export interface AcceptInput {
  token: string
  /** Signed in already: join with this account (its e-mail must match the invitation's). */
  userId?: string
  /** New account. */
  displayName?: string
  password?: string
}

/**
 * Accepts an invitation exactly once (the row is locked, then marked accepted), creating the
 * account when needed, and returns the user who joined.
 */
export async function acceptInvitation(orm: MikroORM, input: AcceptInput, now = clockNow()) {
  const state = await lookupInvitation(orm, input.token, now)
  if (state.status !== 'valid')
    throw new MemberError(null, 'This invitation link is no longer valid.')
  const { invitation } = state
  const passwordHash =
    input.userId || !input.password
      ? null
      : await (async () => {
          const problem = passwordProblem(input.password!, { email: invitation.email })
          if (problem) throw new AccountError('password', problem)
          return hashPassword(input.password!)
        })()

  const joined = await inScope(orm, { organizationId: invitation.organizationId }, async (em) => {
    const locked = await em.findOne(
      InvitationSchema,
      {
        id: invitation.id,
        organizationId: invitation.organizationId,
        acceptedAt: null,
        revokedAt: null,
      },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    )
    if (!locked || locked.expiresAt <= now)
      throw new MemberError(null, 'This invitation link is no longer valid.')

    let user = await em.findOne(UserSchema, { email: invitation.email })
    if (input.userId) {
      if (!user || user.id !== input.userId) {
        throw new MemberError(
          null,
          `This invitation is for ${invitation.email}. Log in with that account to accept it.`,
        )
      }
    } else {
      if (user)
        throw new MemberError(
          null,
          'An account with this e-mail already exists. Log in to accept the invitation.',
        )
      if (!input.displayName || !passwordHash)
        throw new MemberError(null, 'Your name and a password are required.')
      user = em.create(UserSchema, {
        email: invitation.email,
        displayName: input.displayName.trim(),
        passwordHash,
      })
      await em.flush()
    }
    const existing = await em.findOne(MembershipSchema, {
      organizationId: invitation.organizationId,
      userId: user.id,
    })
    if (existing) {
      existing.active = true
      existing.role = invitation.role
    } else {
      em.create(MembershipSchema, {
        organizationId: invitation.organizationId,
        userId: user.id,
        role: invitation.role,
        active: true,
      })
    }
    locked.acceptedAt = now
    locked.acceptedBy = user.id
    await em.flush()
    return {
      user: { id: user.id, email: user.email, displayName: user.displayName },
      organizationId: invitation.organizationId,
    }
  })
  referenceWritten(orm, joined.organizationId)
  return joined
}
