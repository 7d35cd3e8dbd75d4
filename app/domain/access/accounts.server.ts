import { randomBytes, randomUUID } from 'node:crypto'
import { FieldRefusal } from '~/domain/domain-error'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { UniqueConstraintViolationException } from '@mikro-orm/core'
import {
  LoginAttemptSchema,
  MembershipSchema,
  SessionSchema,
  UserSchema,
  type User,
} from '../../../db/entities/access'
import { OrganizationSchema } from '../../../db/entities/organization'
import { inScope } from '../../../db/tenant'
import { hashPassword, passwordProblem, verifyPassword } from './password.server'
import { now as clockNow } from '~/utils/clock'

/** A refused sign-up, sign-in or invitation, with words for the person who asked. */
export class AccountError extends FieldRefusal {}

export function normalizeEmail(email: string) {
  return email.trim().toLowerCase()
}

/** `Acme Corp` → `acme-corp-k3x9`: readable, and unique without asking other tenants. */
export function organizationSlug(name: string) {
  const base =
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48)
      .replace(/-+$/g, '') || 'org'
  return `${base}-${randomBytes(3).toString('hex').slice(0, 5)}`
}

export interface SignUpInput {
  organizationName: string
  displayName: string
  email: string
  password: string
  timezone?: string
}

/**
 * Creates an organization and its first admin in one transaction. The new organization's id is
 * chosen first so its rows pass the row-level security check as they are inserted.
 */
export async function signUp(orm: MikroORM, input: SignUpInput) {
  const email = normalizeEmail(input.email)
  const problem = passwordProblem(input.password, { email, name: input.displayName })
  if (problem) throw new AccountError('password', problem)
  const passwordHash = await hashPassword(input.password)
  const organizationId = randomUUID()
  try {
    return await inScope(orm, { organizationId }, async (em) => {
      if (await em.count(UserSchema, { email })) {
        throw new AccountError(
          'email',
          'An account with this e-mail already exists. Log in instead.',
        )
      }
      const user = em.create(UserSchema, {
        email,
        displayName: input.displayName.trim(),
        passwordHash,
      })
      const organization = em.create(OrganizationSchema, {
        id: organizationId,
        name: input.organizationName.trim(),
        slug: organizationSlug(input.organizationName),
        timezone: input.timezone ?? 'UTC',
      })
      await em.flush()
      em.create(MembershipSchema, { organizationId, userId: user.id, role: 'admin', active: true })
      await em.flush()
      return { user, organization }
    })
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new AccountError('email', 'An account with this e-mail already exists. Log in instead.')
    }
    throw error
  }
}

/**
 * Sign-in throttling. Per account: 5 failures since its last success within 15 minutes lock it
 * until the oldest of them leaves the window. Per client address — which behind a proxy or NAT
 * may be many people — the first 20 failures in the window cost nothing; after each further one
 * the address waits a little before the next try (1 s, 2 s, 4 s, 8 s, then 10 s), and 100 lock it
 * for the rest of the window (reached after some 13 minutes of guessing at full speed). Someone
 * guessing passwords slows down; the others behind the same address can still sign in. The
 * address is the one Express derives through `TRUST_PROXY` (decision 026).
 */
export const THROTTLE = {
  windowMinutes: 15,
  perAccount: 5,
  perAddress: 100,
  addressDelayAfter: 20,
  addressDelayMaxSeconds: 10,
} as const

/** Seconds an address must wait after its latest failure, having failed `failures` times. */
export function addressDelaySeconds(failures: number): number {
  if (failures < THROTTLE.addressDelayAfter) return 0
  return Math.min(2 ** (failures - THROTTLE.addressDelayAfter), THROTTLE.addressDelayMaxSeconds)
}

export type LoginOutcome =
  | { ok: true; user: Pick<User, 'id' | 'email' | 'displayName'>; organizationId: string | null }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number }

/**
 * Seconds until a throttled sign-in may be tried again, or 0. Counts failures in the window
 * since the account's last success, per account; and all failures per address.
 */
async function throttledFor(
  em: EntityManager,
  email: string,
  ip: string,
  now: Date,
): Promise<number> {
  const since = new Date(now.getTime() - THROTTLE.windowMinutes * 60_000)
  const rows = await em
    .getConnection()
    .execute<{ scope: string; failures: string; oldest: Date | null; newest: Date | null }[]>(
      `select 'account' as scope, count(*) as failures, min(created_at) as oldest,
              max(created_at) as newest from (
       select created_at from login_attempt
        where email = ? and not succeeded and created_at > greatest(?::timestamptz,
          coalesce((select max(created_at) from login_attempt where email = ? and succeeded), '-infinity'))
        order by created_at desc limit ?) a
     union all
     select 'address', count(*), min(created_at), max(created_at) from (
       select created_at from login_attempt
        where ip = ? and not succeeded and created_at > ?
        order by created_at desc limit ?) b`,
      [email, since, email, THROTTLE.perAccount, ip, since, THROTTLE.perAddress],
      'all',
      em.getTransactionContext(),
    )
  let wait = 0
  const secondsUntil = (at: number) => Math.ceil((at - now.getTime()) / 1000)
  for (const row of rows) {
    const failures = Number(row.failures)
    const limit = row.scope === 'account' ? THROTTLE.perAccount : THROTTLE.perAddress
    if (failures >= limit && row.oldest) {
      const until = new Date(row.oldest).getTime() + THROTTLE.windowMinutes * 60_000
      wait = Math.max(wait, secondsUntil(until))
    }
    if (row.scope === 'address' && row.newest) {
      const until = new Date(row.newest).getTime() + addressDelaySeconds(failures) * 1000
      wait = Math.max(wait, secondsUntil(until))
    }
  }
  return wait
}

/**
 * Checks e-mail and password. Unknown e-mail and wrong password are indistinguishable: same
 * answer, same work (a dummy hash is verified), both counted against the throttle.
 */
export async function logIn(
  orm: MikroORM,
  input: { email: string; password: string; ip: string },
  now = clockNow(),
): Promise<LoginOutcome> {
  const email = normalizeEmail(input.email)
  const ip = input.ip.slice(0, 64)
  const retryAfter = await inScope(orm, {}, (em) => throttledFor(em, email, ip, now))
  if (retryAfter > 0) return { ok: false, reason: 'throttled', retryAfterSeconds: retryAfter }

  const user = await inScope(orm, {}, (em) => em.findOne(UserSchema, { email }))
  const valid = await verifyPassword(user?.passwordHash, input.password)
  return inScope(orm, { userId: user?.id ?? null }, async (em) => {
    em.create(LoginAttemptSchema, { email, ip, succeeded: Boolean(user && valid), createdAt: now })
    if (!user || !valid) return { ok: false, reason: 'invalid' } as const
    await em.nativeUpdate(UserSchema, { id: user.id }, { lastLoginAt: now })
    const first = await em.findOne(
      MembershipSchema,
      { userId: user.id, active: true },
      { orderBy: { lastSeenAt: 'desc nulls last' } },
    )
    return {
      ok: true,
      user: { id: user.id, email: user.email, displayName: user.displayName },
      organizationId: first?.organizationId ?? null,
    } as const
  })
}

/** Makes another of the user's organizations the active one; refused unless a member there. */
export async function switchOrganization(
  orm: MikroORM,
  sessionId: string,
  userId: string,
  organizationId: string,
) {
  return inScope(orm, { userId }, async (em) => {
    const membership = await em.findOne(MembershipSchema, { userId, organizationId, active: true })
    if (!membership) return false
    await em.nativeUpdate(
      SessionSchema,
      { id: sessionId, userId },
      { activeOrganizationId: organizationId },
    )
    return true
  })
}

export async function logOut(orm: MikroORM, sessionId: string) {
  await inScope(orm, {}, (em) => em.nativeDelete(SessionSchema, { id: sessionId }))
}
