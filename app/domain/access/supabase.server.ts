import { AuthClient } from '@supabase/auth-js'
import { DomainError } from '~/domain/domain-error'
import type { MikroORM } from '@mikro-orm/postgresql'
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose'
import { MembershipSchema, UserSchema } from '../../../db/entities/access'
import { inScope } from '../../../db/tenant'
import { normalizeEmail } from './accounts.server'
import { now } from '~/utils/clock'

/**
 * Supabase Auth as an optional identity provider. Supabase proves who someone is; IncidentFlow
 * decides what they may do: a verified Supabase identity signs in only a person who already has
 * a membership here (through an invitation), matched by e-mail.
 */

export interface SupabaseEnv {
  SUPABASE_URL?: string
  SUPABASE_ANON_KEY?: string
  SUPABASE_JWT_SECRET?: string
  APP_URL: string
}

export function supabaseEnabled(
  env: SupabaseEnv,
): env is SupabaseEnv & { SUPABASE_URL: string; SUPABASE_ANON_KEY: string } {
  return Boolean(env.SUPABASE_URL && env.SUPABASE_ANON_KEY)
}

/** A refused Supabase sign-in, with words for the person signing in. */
export class SupabaseSignInError extends DomainError {}

const GENERIC = 'Supabase sign-in failed. Check your e-mail and password, or use the sign-in link.'

function authUrl(env: { SUPABASE_URL: string }) {
  return `${env.SUPABASE_URL.replace(/\/$/, '')}/auth/v1`
}

function client(env: SupabaseEnv & { SUPABASE_URL: string; SUPABASE_ANON_KEY: string }) {
  // Server-side and per request: no stored session, no background refresh.
  return new AuthClient({
    url: authUrl(env),
    headers: { apikey: env.SUPABASE_ANON_KEY, Authorization: `Bearer ${env.SUPABASE_ANON_KEY}` },
    persistSession: false,
    autoRefreshToken: false,
    detectSessionInUrl: false,
  })
}

const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>()

export interface VerifiedIdentity {
  subject: string
  email: string
}

/**
 * Verifies a Supabase access token strictly: signature (the project's JWKS for ES256/RS256, or
 * the legacy HS256 secret when configured), an algorithm allow-list, issuer, audience
 * `authenticated`, expiry, subject and role — and a verified e-mail address.
 */
export async function verifySupabaseToken(
  token: string,
  env: SupabaseEnv & { SUPABASE_URL: string },
): Promise<VerifiedIdentity> {
  const issuer = authUrl(env)
  const options = {
    issuer,
    audience: 'authenticated',
    requiredClaims: ['sub', 'exp', 'iat', 'role'],
    clockTolerance: 5,
  }
  let payload: JWTPayload
  try {
    if (env.SUPABASE_JWT_SECRET) {
      ;({ payload } = await jwtVerify(token, new TextEncoder().encode(env.SUPABASE_JWT_SECRET), {
        ...options,
        algorithms: ['HS256', 'ES256', 'RS256'].filter((a) => a === 'HS256'),
      }))
    } else {
      let jwks = jwksCache.get(issuer)
      if (!jwks) {
        jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`), {
          timeoutDuration: 5000,
          cooldownDuration: 30_000,
        })
        jwksCache.set(issuer, jwks)
      }
      ;({ payload } = await jwtVerify(token, jwks, { ...options, algorithms: ['ES256', 'RS256'] }))
    }
  } catch {
    throw new SupabaseSignInError(GENERIC)
  }
  if (
    payload.role !== 'authenticated' ||
    typeof payload.sub !== 'string' ||
    typeof payload.email !== 'string'
  ) {
    throw new SupabaseSignInError(GENERIC)
  }
  const metadata = (payload.user_metadata ?? {}) as { email_verified?: unknown }
  const amr = Array.isArray(payload.amr) ? (payload.amr as Array<{ method?: string }>) : []
  const provedByLink = amr.some((entry) => entry.method === 'otp' || entry.method === 'magiclink')
  if (metadata.email_verified !== true && !provedByLink) {
    throw new SupabaseSignInError('Confirm your e-mail address with Supabase first.')
  }
  return { subject: payload.sub, email: normalizeEmail(payload.email) }
}

/**
 * Finds the IncidentFlow user for a verified identity: same e-mail, an active membership, and —
 * once linked — the same Supabase subject. Links the subject on first use.
 */
export async function matchSupabaseIdentity(orm: MikroORM, identity: VerifiedIdentity) {
  const user = await inScope(orm, {}, (em) => em.findOne(UserSchema, { email: identity.email }))
  const refuse = new SupabaseSignInError(
    'There is no IncidentFlow membership for this e-mail address. Ask an admin of your organization for an invitation.',
  )
  if (!user) throw refuse
  if (user.supabaseUserId && user.supabaseUserId !== identity.subject)
    throw new SupabaseSignInError(GENERIC)
  return inScope(orm, { userId: user.id }, async (em) => {
    const membership = await em.findOne(
      MembershipSchema,
      { userId: user.id, active: true },
      { orderBy: { lastSeenAt: 'desc nulls last' } },
    )
    if (!membership) throw refuse
    if (!user.supabaseUserId) {
      await em.nativeUpdate(
        UserSchema,
        { id: user.id },
        { supabaseUserId: identity.subject, lastLoginAt: now() },
      )
    } else {
      await em.nativeUpdate(UserSchema, { id: user.id }, { lastLoginAt: now() })
    }
    return {
      user: { id: user.id, email: user.email, displayName: user.displayName },
      organizationId: membership.organizationId,
    }
  })
}

export async function supabasePasswordSignIn(
  orm: MikroORM,
  env: SupabaseEnv,
  email: string,
  password: string,
) {
  if (!supabaseEnabled(env)) throw new SupabaseSignInError('Supabase sign-in is not configured.')
  const { data, error } = await client(env).signInWithPassword({
    email: normalizeEmail(email),
    password,
  })
  if (error || !data.session) throw new SupabaseSignInError(GENERIC)
  return matchSupabaseIdentity(orm, await verifySupabaseToken(data.session.access_token, env))
}

/** Asks Supabase to e-mail a sign-in link; it never creates Supabase users. */
export async function supabaseSendMagicLink(env: SupabaseEnv, email: string) {
  if (!supabaseEnabled(env)) throw new SupabaseSignInError('Supabase sign-in is not configured.')
  const { error } = await client(env).signInWithOtp({
    email: normalizeEmail(email),
    options: {
      shouldCreateUser: false,
      emailRedirectTo: `${env.APP_URL.replace(/\/$/, '')}/auth/supabase/confirm`,
    },
  })
  // Whether the address is known is not revealed either way.
  return { sent: !error }
}

export const MAGIC_LINK_TYPES = ['magiclink', 'email'] as const

/** Completes a magic link server-side: the link's token hash is exchanged for a session. */
export async function supabaseVerifyMagicLink(
  orm: MikroORM,
  env: SupabaseEnv,
  tokenHash: string,
  type: (typeof MAGIC_LINK_TYPES)[number],
) {
  if (!supabaseEnabled(env)) throw new SupabaseSignInError('Supabase sign-in is not configured.')
  const { data, error } = await client(env).verifyOtp({ token_hash: tokenHash, type })
  if (error || !data.session)
    throw new SupabaseSignInError('This sign-in link is invalid or has expired. Ask for a new one.')
  return matchSupabaseIdentity(orm, await verifySupabaseToken(data.session.access_token, env))
}
