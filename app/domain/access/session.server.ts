import { createCookie } from '@remix-run/node'
import type { MikroORM } from '@mikro-orm/postgresql'
import { SessionSchema, type UserSession } from '../../../db/entities/access'
import { inScope } from '../../../db/tenant'
import { cookieName, cookiesAreSecure } from '~/utils/cookies.server'
import { newToken, tokenHash } from './tokens.server'
import { now as clockNow } from '~/utils/clock'

export interface SessionEnv {
  APP_URL: string
  NODE_ENV: string
  SESSION_SECRET: string
  SESSION_IDLE_MINUTES: number
  SESSION_MAX_DAYS: number
}

/** Only the session token travels in the cookie; everything else stays in the database. */
function sessionCookie(env: SessionEnv) {
  const secure = cookiesAreSecure(env)
  return createCookie(cookieName('session', secure), {
    httpOnly: true,
    secure,
    sameSite: 'lax',
    path: '/',
    maxAge: env.SESSION_MAX_DAYS * 24 * 60 * 60,
    secrets: [env.SESSION_SECRET],
  })
}

export async function readSessionToken(request: Request, env: SessionEnv): Promise<string | null> {
  const value: unknown = await sessionCookie(env).parse(request.headers.get('Cookie'))
  return typeof value === 'string' && /^[\w-]{43}$/.test(value) ? value : null
}

export interface NewSession {
  userId: string
  organizationId: string | null
  ip?: string | null
  userAgent?: string | null
}

/** Starts a session with a fresh id (never reusing one from before sign-in). */
export async function createSession(
  orm: MikroORM,
  env: SessionEnv,
  input: NewSession,
  now = clockNow(),
) {
  const token = newToken()
  await inScope(orm, { userId: input.userId }, async (em) => {
    em.create(SessionSchema, {
      id: tokenHash(token),
      userId: input.userId,
      activeOrganizationId: input.organizationId,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + env.SESSION_MAX_DAYS * 86_400_000),
      ip: input.ip?.slice(0, 64) ?? null,
      userAgent: input.userAgent?.slice(0, 400) ?? null,
    })
  })
  return { token, setCookie: await sessionCookie(env).serialize(token) }
}

export async function clearSessionCookie(env: SessionEnv) {
  return sessionCookie(env).serialize('', { maxAge: 0 })
}

/** Why a stored session no longer signs anyone in, or null while it is good. */
export function sessionProblem(
  session: Pick<UserSession, 'revokedAt' | 'expiresAt' | 'lastSeenAt'>,
  env: Pick<SessionEnv, 'SESSION_IDLE_MINUTES'>,
  now: Date,
): 'revoked' | 'expired' | 'idle' | null {
  if (session.revokedAt) return 'revoked'
  if (session.expiresAt.getTime() <= now.getTime()) return 'expired'
  if (now.getTime() - session.lastSeenAt.getTime() > env.SESSION_IDLE_MINUTES * 60_000)
    return 'idle'
  return null
}

export async function revokeSession(
  orm: MikroORM,
  userId: string,
  sessionId: string,
  now = clockNow(),
) {
  return inScope(orm, { userId }, async (em) => {
    const session = await em.findOne(SessionSchema, { id: sessionId, userId, revokedAt: null })
    if (!session) return false
    session.revokedAt = now
    return true
  })
}

export async function listSessions(orm: MikroORM, userId: string) {
  return inScope(orm, { userId }, (em) =>
    em.find(
      SessionSchema,
      { userId, revokedAt: null, expiresAt: { $gt: clockNow() } },
      { orderBy: { lastSeenAt: 'desc' } },
    ),
  )
}
