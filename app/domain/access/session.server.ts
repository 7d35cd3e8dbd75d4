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
function makeSessionCookie(env: SessionEnv) {
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

interface SessionCookie {
  cookie: ReturnType<typeof makeSessionCookie>
  /** Cookie headers already verified, and the token each holds (see readSessionToken). */
  verified: Map<string, string>
}

/** One cookie per set of settings (a process has one; tests use several). */
const sessionCookies = new Map<string, SessionCookie>()
const VERIFIED_MAX = 10_000

function sessionCookie(env: SessionEnv): SessionCookie {
  const key = JSON.stringify([env.SESSION_SECRET, env.APP_URL, env.NODE_ENV, env.SESSION_MAX_DAYS])
  let entry = sessionCookies.get(key)
  if (!entry) {
    if (sessionCookies.size >= 100) sessionCookies.clear()
    entry = { cookie: makeSessionCookie(env), verified: new Map() }
    sessionCookies.set(key, entry)
  }
  return entry
}

/**
 * The session token in the request's cookie, if its signature is good. Checking the signature is
 * an HMAC over the value (about a quarter of a millisecond of a page's CPU), and a browser sends
 * the same Cookie header on every request of its session: a header whose signature was good once
 * is good again, so the token it holds is kept under the exact header, per secret. Only
 * verified headers are kept (a stream of forged ones only costs their own checks), and the store
 * is emptied when full. Whether the session is still valid is read from the database every time.
 */
export async function readSessionToken(request: Request, env: SessionEnv): Promise<string | null> {
  const header = request.headers.get('Cookie')
  if (!header) return null
  const { cookie, verified } = sessionCookie(env)
  const known = verified.get(header)
  if (known !== undefined) return known
  const value: unknown = await cookie.parse(header)
  if (typeof value !== 'string' || !/^[\w-]{43}$/.test(value)) return null
  if (verified.size >= VERIFIED_MAX) verified.clear()
  verified.set(header, value)
  return value
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
  return { token, setCookie: await sessionCookie(env).cookie.serialize(token) }
}

export async function clearSessionCookie(env: SessionEnv) {
  return sessionCookie(env).cookie.serialize('', { maxAge: 0 })
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
