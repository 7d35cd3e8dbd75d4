import { beforeAll, describe, expect, it } from 'vitest'
import { AccountError } from '~/domain/access/accounts.server'
import {
  acceptInvitation,
  changeRole,
  INVITATION_DAYS,
  invite,
  listMembers,
  lookupInvitation,
  MemberError,
  revokeInvitation,
  setActive,
} from '~/domain/access/members.server'
import type { Role } from '~/domain/access/permissions'
import {
  actorOf,
  createMember,
  createUser,
  standInAdmin,
  thrownBy,
  uniqueEmail,
  type TestMember,
} from '../support/access'
import { setUpTestDatabase } from '../support/database'

const db = setUpTestDatabase('members')

const APP_URL = 'https://incidents.example.com'
const PASSWORD = 'correct horse battery staple 42'

async function membershipRow(id: string) {
  const [row] = await db.query<{ role: Role; active: boolean; organization_id: string }>(
    'select role, active, organization_id from membership where id = $1',
    [id],
  )
  return row
}

/** A new organization with one admin, so tests about admins do not share state. */
async function organizationWithAdmin(name = 'Org') {
  const organizationId = await db.createOrganization(name)
  const admin = await createMember(db, { organizationId, role: 'admin' })
  return { organizationId, admin }
}

async function sendInvitation(
  admin: TestMember,
  options: { email?: string; role?: Role; now?: Date } = {},
) {
  const email = options.email ?? uniqueEmail('invitee')
  const invitation = await invite(
    db.orm,
    db.boss,
    actorOf(admin),
    { email, role: options.role ?? 'engineer', appUrl: APP_URL },
    options.now,
  )
  const [outbox] = await db.query<{
    id: string
    body_text: string
    kind: string
    to_address: string
  }>('select id, body_text, kind, to_address from email_outbox where idempotency_key = $1', [
    `invitation:${invitation.id}`,
  ])
  const token = /\/invitations\/([\w-]{43})\b/.exec(outbox?.body_text ?? '')?.[1]
  if (!token) throw new Error('the invitation e-mail carries no link')
  return { invitation, outbox: outbox!, token, email }
}

describe('the last active admin', () => {
  it('cannot be demoted or deactivated while alone, and nothing changes', async () => {
    const { organizationId, admin } = await organizationWithAdmin()
    // Demoting oneself is allowed in general; deactivating is asked of someone else.
    for (const attempt of [
      changeRole(db.orm, actorOf(admin), admin.membershipId, 'manager'),
      setActive(db.orm, standInAdmin(organizationId), admin.membershipId, false),
    ]) {
      const error = await thrownBy(attempt)
      expect(error).toBeInstanceOf(MemberError)
      expect((error as Error).message).toMatch(/at least one active admin/)
    }
    expect(await membershipRow(admin.membershipId)).toMatchObject({ role: 'admin', active: true })
  })

  it('can be demoted once a second active admin exists, who then becomes the last one', async () => {
    const { organizationId, admin } = await organizationWithAdmin()
    const second = await createMember(db, { organizationId, role: 'admin' })
    expect(await changeRole(db.orm, actorOf(second), admin.membershipId, 'manager')).toMatchObject({
      role: 'manager',
    })
    expect(await membershipRow(admin.membershipId)).toMatchObject({ role: 'manager' })
    const refused = await thrownBy(
      setActive(db.orm, standInAdmin(organizationId), second.membershipId, false),
    )
    expect(refused).toBeInstanceOf(MemberError)
    expect((refused as Error).message).toMatch(/at least one active admin/)
    expect(await membershipRow(second.membershipId)).toMatchObject({ role: 'admin', active: true })
  })

  it('can be deactivated once a second active admin exists', async () => {
    const { organizationId, admin } = await organizationWithAdmin()
    const second = await createMember(db, { organizationId, role: 'admin' })
    expect(await setActive(db.orm, actorOf(second), admin.membershipId, false)).toMatchObject({
      active: false,
    })
    expect(await membershipRow(admin.membershipId)).toMatchObject({ role: 'admin', active: false })
  })

  it('cannot deactivate themselves even when another admin exists', async () => {
    const { organizationId, admin } = await organizationWithAdmin()
    const other = await createMember(db, { organizationId, role: 'admin' })
    const error = await thrownBy(setActive(db.orm, actorOf(admin), admin.membershipId, false))
    expect(error).toBeInstanceOf(MemberError)
    expect((error as MemberError).message).toBe(
      'You cannot deactivate yourself. Ask another admin.',
    )
    expect(await membershipRow(admin.membershipId)).toMatchObject({ active: true })
    // Another admin may.
    expect(await setActive(db.orm, actorOf(other), admin.membershipId, false)).toMatchObject({
      active: false,
    })
  })

  it('is not rescued by a deactivated admin', async () => {
    const { organizationId, admin } = await organizationWithAdmin()
    await createMember(db, { organizationId, role: 'admin', active: false })
    await expect(
      changeRole(db.orm, actorOf(admin), admin.membershipId, 'engineer'),
    ).rejects.toThrow(MemberError)
  })

  it('survives two admins demoting each other at the same moment: exactly one change wins', async () => {
    const { organizationId, admin } = await organizationWithAdmin()
    const second = await createMember(db, { organizationId, role: 'admin' })
    const results = await Promise.allSettled([
      changeRole(db.orm, actorOf(second), admin.membershipId, 'engineer'),
      changeRole(db.orm, actorOf(admin), second.membershipId, 'engineer'),
    ])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const rejected = results.find((r) => r.status === 'rejected')
    expect(rejected?.reason).toBeInstanceOf(MemberError)
    const admins = await db.query(
      `select id from membership where organization_id = $1 and role = 'admin' and active`,
      [organizationId],
    )
    expect(admins).toHaveLength(1)
  })

  it('may change other members freely, and an admin may keep the admin role', async () => {
    const { organizationId, admin } = await organizationWithAdmin()
    const engineer = await createMember(db, { organizationId, role: 'engineer' })
    const acting = actorOf(admin)
    expect(await changeRole(db.orm, acting, admin.membershipId, 'admin')).toMatchObject({
      role: 'admin',
    })
    await changeRole(db.orm, acting, engineer.membershipId, 'manager')
    await setActive(db.orm, acting, engineer.membershipId, false)
    expect(await membershipRow(engineer.membershipId)).toMatchObject({
      role: 'manager',
      active: false,
    })
    await setActive(db.orm, acting, engineer.membershipId, true)
    expect(await membershipRow(engineer.membershipId)).toMatchObject({ active: true })
  })
})

describe('a member who may not manage members (engineer, manager)', () => {
  let organizationId: string
  let admin: TestMember
  let refused: TestMember[]

  beforeAll(async () => {
    ;({ organizationId, admin } = await organizationWithAdmin('Guarded Org'))
    refused = [
      await createMember(db, { organizationId, role: 'engineer' }),
      await createMember(db, { organizationId, role: 'manager' }),
    ]
  })

  async function expectForbidden(attempt: Promise<unknown>) {
    const error = await thrownBy(attempt)
    expect(error).toBeInstanceOf(MemberError)
    expect(error).toMatchObject({ status: 403, message: 'Only admins can manage members.' })
  }

  it('cannot change a role, not even their own, and nothing changes', async () => {
    const target = await createMember(db, { organizationId, role: 'engineer' })
    for (const person of refused) {
      await expectForbidden(changeRole(db.orm, actorOf(person), target.membershipId, 'admin'))
      await expectForbidden(changeRole(db.orm, actorOf(person), person.membershipId, 'admin'))
      expect(await membershipRow(person.membershipId)).toMatchObject({ role: person.role })
    }
    expect(await membershipRow(target.membershipId)).toMatchObject({
      role: 'engineer',
      active: true,
    })
  })

  it('cannot deactivate or reactivate anyone, and nothing changes', async () => {
    const active = await createMember(db, { organizationId, role: 'engineer' })
    const inactive = await createMember(db, { organizationId, role: 'engineer', active: false })
    for (const person of refused) {
      await expectForbidden(setActive(db.orm, actorOf(person), active.membershipId, false))
      await expectForbidden(setActive(db.orm, actorOf(person), inactive.membershipId, true))
      await expectForbidden(setActive(db.orm, actorOf(person), admin.membershipId, false))
    }
    expect(await membershipRow(active.membershipId)).toMatchObject({ active: true })
    expect(await membershipRow(inactive.membershipId)).toMatchObject({ active: false })
    expect(await membershipRow(admin.membershipId)).toMatchObject({ active: true })
  })

  it('cannot revoke an invitation, which keeps working', async () => {
    const { invitation, token } = await sendInvitation(admin)
    for (const person of refused) {
      await expectForbidden(revokeInvitation(db.orm, actorOf(person), invitation.id))
    }
    expect(await lookupInvitation(db.orm, token)).toMatchObject({ status: 'valid' })
    expect(
      await db.query('select revoked_at from invitation where id = $1', [invitation.id]),
    ).toEqual([{ revoked_at: null }])
  })

  it('cannot invite: no invitation, no e-mail', async () => {
    const email = uniqueEmail('uninvited')
    for (const person of refused) {
      await expectForbidden(
        invite(db.orm, db.boss, actorOf(person), { email, role: 'engineer', appUrl: APP_URL }),
      )
    }
    expect(await db.query('select 1 from invitation where email = $1', [email])).toEqual([])
    expect(await db.query('select 1 from email_outbox where to_address = $1', [email])).toEqual([])
  })
})

describe('another organization’s ids', () => {
  let mine: { organizationId: string; admin: TestMember }
  let theirs: { organizationId: string; admin: TestMember }

  beforeAll(async () => {
    mine = await organizationWithAdmin('Mine')
    theirs = await organizationWithAdmin('Theirs')
  })

  it('changeRole and setActive answer null (404) and change nothing', async () => {
    const victim = await createMember(db, {
      organizationId: theirs.organizationId,
      role: 'engineer',
    })
    const acting = actorOf(mine.admin)
    expect(await changeRole(db.orm, acting, victim.membershipId, 'admin')).toBeNull()
    expect(await setActive(db.orm, acting, victim.membershipId, false)).toBeNull()
    // Not even their last admin can be touched (no "last admin" error leaks either).
    expect(await changeRole(db.orm, acting, theirs.admin.membershipId, 'engineer')).toBeNull()
    expect(await membershipRow(victim.membershipId)).toMatchObject({
      role: 'engineer',
      active: true,
      organization_id: theirs.organizationId,
    })
    expect(await membershipRow(theirs.admin.membershipId)).toMatchObject({ role: 'admin' })
  })

  it('revokeInvitation answers false and the invitation still works', async () => {
    const { invitation, token } = await sendInvitation(theirs.admin)
    expect(await revokeInvitation(db.orm, actorOf(mine.admin), invitation.id)).toBe(false)
    expect(await lookupInvitation(db.orm, token)).toMatchObject({ status: 'valid' })
  })

  it('listMembers shows only the organization’s own members', async () => {
    const members = await listMembers(db.orm, mine.organizationId)
    expect(members.map((m) => m.userId)).toEqual([mine.admin.userId])
  })
})

describe('invitations', () => {
  let organizationId: string
  let admin: TestMember

  beforeAll(async () => {
    ;({ organizationId, admin } = await organizationWithAdmin('Inviting Org'))
  })

  it('writes the invitation, its e-mail and its delivery job in one transaction', async () => {
    const { invitation, outbox, token, email } = await sendInvitation(admin, {
      role: 'manager',
    })
    expect(outbox).toMatchObject({ kind: 'invitation', to_address: email })
    expect(outbox.body_text).toContain(`${APP_URL}/invitations/${token}`)
    expect(outbox.body_text).toContain('as manager')
    // Only the hash of the link's token is stored.
    const [stored] = await db.query<{ token_hash: string; xmin: string }>(
      'select token_hash, xmin::text from invitation where id = $1',
      [invitation.id],
    )
    expect(stored!.token_hash).toMatch(/^[0-9a-f]{64}$/)
    expect(stored!.token_hash).not.toContain(token)
    const jobs = await db.query<{ xmin: string }>(
      `select xmin::text from pgboss.job where name = 'email-deliver' and data->>'outboxId' = $1`,
      [outbox.id],
    )
    expect(jobs).toHaveLength(1)
    // Same inserting transaction id on all three rows: they committed together.
    const [outboxTx] = await db.query<{ xmin: string }>(
      'select xmin::text from email_outbox where id = $1',
      [outbox.id],
    )
    expect(outboxTx!.xmin).toBe(stored!.xmin)
    expect(jobs[0]!.xmin).toBe(stored!.xmin)
  })

  it('accepting creates the account and the membership exactly once', async () => {
    const { token, email } = await sendInvitation(admin, { role: 'manager' })
    const joined = await acceptInvitation(db.orm, {
      token,
      displayName: 'New Person',
      password: PASSWORD,
    })
    expect(joined).toMatchObject({ organizationId, user: { email, displayName: 'New Person' } })
    const memberships = await db.query<{ role: string; active: boolean }>(
      `select m.role, m.active from membership m join app_user u on u.id = m.user_id
        where u.email = $1 and m.organization_id = $2`,
      [email, organizationId],
    )
    expect(memberships).toEqual([{ role: 'manager', active: true }])

    const again = await thrownBy(
      acceptInvitation(db.orm, { token, displayName: 'Someone Else', password: PASSWORD }),
    )
    expect(again).toBeInstanceOf(MemberError)
    expect((again as Error).message).toBe('This invitation link is no longer valid.')
    expect(await lookupInvitation(db.orm, token)).toEqual({ status: 'invalid' })
    expect(await db.query('select 1 from app_user where email = $1', [email])).toHaveLength(1)
  })

  it('accepts one of two simultaneous submissions of the same link, refusing the other cleanly', async () => {
    const { token, email } = await sendInvitation(admin)
    const results = await Promise.allSettled([
      acceptInvitation(db.orm, { token, displayName: 'First', password: PASSWORD }),
      acceptInvitation(db.orm, { token, displayName: 'Second', password: PASSWORD }),
    ])
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    expect(results.find((r) => r.status === 'rejected')?.reason).toBeInstanceOf(MemberError)
    expect(await db.query('select 1 from app_user where email = $1', [email])).toHaveLength(1)
  })

  it('lets an existing account join with its own sign-in, and only that account', async () => {
    const other = await organizationWithAdmin('Other')
    const person = await createMember(db, {
      organizationId: other.organizationId,
      role: 'engineer',
    })
    const stranger = await createUser(db)
    const { token } = await sendInvitation(admin, { email: person.email })
    expect(await lookupInvitation(db.orm, token)).toMatchObject({
      status: 'valid',
      hasAccount: true,
    })

    const wrongAccount = await thrownBy(
      acceptInvitation(db.orm, { token, userId: stranger.userId }),
    )
    expect((wrongAccount as Error).message).toMatch(`This invitation is for ${person.email}`)
    // A new account with that e-mail is refused too: the address already has one.
    await expect(
      acceptInvitation(db.orm, { token, displayName: 'Dup', password: PASSWORD }),
    ).rejects.toThrow('An account with this e-mail already exists')

    expect(await acceptInvitation(db.orm, { token, userId: person.userId })).toMatchObject({
      organizationId,
      user: { id: person.userId },
    })
    const rows = await db.query('select organization_id from membership where user_id = $1', [
      person.userId,
    ])
    expect(rows).toHaveLength(2)
  })

  it('refuses a weak password on acceptance without using up the link', async () => {
    const { token } = await sendInvitation(admin)
    await expect(
      acceptInvitation(db.orm, { token, displayName: 'Weak', password: 'qwerty123456' }),
    ).rejects.toThrow(AccountError)
    expect(await lookupInvitation(db.orm, token)).toMatchObject({ status: 'valid' })
  })

  it('makes a revoked invitation’s link invalid', async () => {
    const { invitation, token } = await sendInvitation(admin)
    expect(await revokeInvitation(db.orm, actorOf(admin), invitation.id)).toBe(true)
    expect(await revokeInvitation(db.orm, actorOf(admin), invitation.id)).toBe(false)
    expect(await lookupInvitation(db.orm, token)).toEqual({ status: 'invalid' })
    await expect(
      acceptInvitation(db.orm, { token, displayName: 'Late', password: PASSWORD }),
    ).rejects.toThrow('This invitation link is no longer valid.')
  })

  it(`makes a link invalid after ${INVITATION_DAYS} days`, async () => {
    const sentAt = new Date(Date.now() - (INVITATION_DAYS * 24 + 1) * 3_600_000)
    const { token, email } = await sendInvitation(admin, { now: sentAt })
    // Still valid just before it expired.
    const justBefore = new Date(sentAt.getTime() + INVITATION_DAYS * 86_400_000 - 1000)
    expect(await lookupInvitation(db.orm, token, justBefore)).toMatchObject({ status: 'valid' })
    expect(await lookupInvitation(db.orm, token)).toEqual({ status: 'invalid' })
    await expect(
      acceptInvitation(db.orm, { token, displayName: 'Late', password: PASSWORD }),
    ).rejects.toThrow(MemberError)
    expect(await db.query('select 1 from app_user where email = $1', [email])).toEqual([])
  })

  it('replaces a pending invitation to the same address: the older link stops working', async () => {
    const email = uniqueEmail('twice')
    const first = await sendInvitation(admin, { email })
    const second = await sendInvitation(admin, { email })
    expect(await lookupInvitation(db.orm, first.token)).toEqual({ status: 'invalid' })
    expect(await lookupInvitation(db.orm, second.token)).toMatchObject({ status: 'valid' })
  })

  it('treats a malformed or unknown token as invalid', async () => {
    expect(await lookupInvitation(db.orm, 'short')).toEqual({ status: 'invalid' })
    expect(await lookupInvitation(db.orm, 'A'.repeat(43))).toEqual({ status: 'invalid' })
  })

  it('refuses to invite an active or a deactivated member, and sends nothing', async () => {
    const active = await createMember(db, { organizationId, role: 'engineer' })
    const inactive = await createMember(db, { organizationId, role: 'engineer', active: false })
    for (const [person, message] of [
      [active, 'This person is already a member.'],
      [inactive, 'This person is a deactivated member: reactivate them instead.'],
    ] as const) {
      const error = await thrownBy(
        invite(db.orm, db.boss, actorOf(admin), {
          email: person.email.toUpperCase(),
          role: 'manager',
          appUrl: APP_URL,
        }),
      )
      expect(error).toBeInstanceOf(MemberError)
      expect(error).toMatchObject({ field: 'email', message })
      expect(await db.query('select 1 from invitation where email = $1', [person.email])).toEqual(
        [],
      )
      expect(
        await db.query('select 1 from email_outbox where to_address = $1', [person.email]),
      ).toEqual([])
    }
  })
})
