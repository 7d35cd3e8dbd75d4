import { createHash, randomBytes } from 'node:crypto'
import { FieldRefusal } from '~/domain/domain-error'
import type { MikroORM } from '@mikro-orm/postgresql'
import { MembershipSchema, UserSchema } from '../../../db/entities/access'
import { ApiTokenSchema } from '../../../db/entities/integration'
import { OrganizationSchema } from '../../../db/entities/organization'
import { enterOrganization, inScope } from '../../../db/tenant'
import { now as clockNow } from '~/utils/clock'
import type { Member } from '~/domain/access/guard.server'
import type { Role } from '~/domain/access/permissions'
import { TOKEN_EXPIRY_CHOICES, TOKEN_NAME_MAX, type TokenExpiry } from './token-vocabulary'

/** Every API token starts with this, so a leaked one is recognisable (and secret scanners can match it). */
export const API_TOKEN_PREFIX = 'ifk_'
/** `ifk_` + 32 random bytes in base64url (43 characters). */
const TOKEN_PATTERN = /^ifk_[A-Za-z0-9_-]{43}$/

/** Unrevoked, unexpired tokens one person may hold in one organization. */
export const ACTIVE_TOKENS_MAX = 20

/** `last_used_at` is written at most this often, so reads stay reads. */
const TOUCH_INTERVAL_MS = 60_000

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

/** A refused token request, with words for the person who made it. */
export class ApiTokenError extends FieldRefusal<'name' | 'expiresIn'> {}

export function apiTokenHash(token: string) {
  return createHash('sha256').update(token).digest('hex')
}

/** What the list shows to tell tokens apart: the prefix and the last four characters. */
function hintFor(token: string) {
  return `${API_TOKEN_PREFIX}…${token.slice(-4)}`
}

export interface CreatedApiToken {
  id: string
  name: string
  /** The secret itself: shown once, never stored. */
  token: string
  hint: string
  expiresAt: Date | null
}

/** A new personal token of the member in their current organization; only its hash is kept. */
export async function createApiToken(
  orm: MikroORM,
  member: Actorish,
  input: { name: string; expiresIn: TokenExpiry },
  now = clockNow(),
): Promise<CreatedApiToken> {
  const name = input.name.trim()
  if (!name) throw new ApiTokenError('name', 'Give the token a name.')
  if (name.length > TOKEN_NAME_MAX)
    throw new ApiTokenError('name', `Use at most ${TOKEN_NAME_MAX} characters.`)
  if (name.includes('\u0000'))
    throw new ApiTokenError('name', 'This text contains a NUL character. Remove it.')
  if (!TOKEN_EXPIRY_CHOICES.includes(input.expiresIn))
    throw new ApiTokenError('expiresIn', 'Choose one from the list.')
  const organizationId = member.organization.id
  const expiresAt =
    input.expiresIn === 'never'
      ? null
      : new Date(now.getTime() + Number(input.expiresIn) * 24 * 60 * 60 * 1000)
  const token = `${API_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
  return inScope(orm, { organizationId }, async (em) => {
    const active = await em.count(ApiTokenSchema, {
      organizationId,
      userId: member.user.id,
      revokedAt: null,
      $or: [{ expiresAt: null }, { expiresAt: { $gt: now } }],
    })
    if (active >= ACTIVE_TOKENS_MAX)
      throw new ApiTokenError(
        null,
        `You already have ${ACTIVE_TOKENS_MAX} active tokens. Revoke one you no longer use first.`,
      )
    const row = em.create(ApiTokenSchema, {
      organizationId,
      userId: member.user.id,
      name,
      tokenHash: apiTokenHash(token),
      tokenHint: hintFor(token),
      createdAt: now,
      expiresAt,
      lastUsedAt: null,
      revokedAt: null,
    })
    await em.flush()
    return { id: row.id, name, token, hint: row.tokenHint, expiresAt }
  })
}

export interface ApiTokenSummary {
  id: string
  name: string
  hint: string
  createdAt: Date
  lastUsedAt: Date | null
  expiresAt: Date | null
  revokedAt: Date | null
}

/** The member's own tokens in their current organization, newest first. */
export async function listApiTokens(orm: MikroORM, member: Actorish): Promise<ApiTokenSummary[]> {
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const rows = await em.find(
      ApiTokenSchema,
      { organizationId, userId: member.user.id },
      { orderBy: { createdAt: 'desc', id: 'asc' } },
    )
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      hint: r.tokenHint,
      createdAt: r.createdAt,
      lastUsedAt: r.lastUsedAt ?? null,
      expiresAt: r.expiresAt ?? null,
      revokedAt: r.revokedAt ?? null,
    }))
  })
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Revokes one of the member's own tokens. Anyone else's token id — another member's, another
 * organization's, or none at all — is "not found". Revoking twice keeps the first time.
 */
export async function revokeApiToken(
  orm: MikroORM,
  member: Actorish,
  tokenId: string,
  now = clockNow(),
): Promise<{ name: string }> {
  if (!UUID.test(tokenId)) throw new ApiTokenError(null, 'Token not found', 404)
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const row = await em.findOne(ApiTokenSchema, {
      id: tokenId,
      organizationId,
      userId: member.user.id,
    })
    if (!row) throw new ApiTokenError(null, 'Token not found', 404)
    row.revokedAt ??= now
    return { name: row.name }
  })
}

/** Who an API request acts as: shaped like a `Member`, so every incident service accepts it. */
export interface ApiActor {
  user: { id: string; email: string; displayName: string }
  role: Role
  organization: { id: string; name: string; slug: string; timezone: string }
  tokenId: string
}

export type ApiAuthFailure =
  'missing' | 'malformed' | 'unknown' | 'revoked' | 'expired' | 'not-a-member'

export type ApiAuthResult = { ok: true; actor: ApiActor } | { ok: false; reason: ApiAuthFailure }

/** The token from `Authorization: Bearer <token>`; cookies are never consulted. */
export function bearerToken(request: Request): { token: string } | { reason: ApiAuthFailure } {
  const header = request.headers.get('authorization')
  if (!header) return { reason: 'missing' }
  const match = /^Bearer +(\S+)$/i.exec(header.trim())
  if (!match || !TOKEN_PATTERN.test(match[1]!)) return { reason: 'malformed' }
  return { token: match[1]! }
}

/**
 * Authenticates an API request by its bearer token. The token names a user and an organization;
 * the role is the one that user's membership has now, so a role change or a deactivation counts
 * on the next request. The token row is found through its hash alone (the `api_token_by_token`
 * policy opens exactly that row); everything after runs under the token's organization.
 */
export async function authenticateApiToken(
  orm: MikroORM,
  request: Request,
  now = clockNow(),
): Promise<ApiAuthResult> {
  const presented = bearerToken(request)
  if (!('token' in presented)) return { ok: false, reason: presented.reason }
  const tokenHash = apiTokenHash(presented.token)
  return inScope(orm, { tokenHash }, async (em): Promise<ApiAuthResult> => {
    const token = await em.findOne(ApiTokenSchema, { tokenHash })
    if (!token) return { ok: false, reason: 'unknown' }
    if (token.revokedAt) return { ok: false, reason: 'revoked' }
    if (token.expiresAt && token.expiresAt.getTime() <= now.getTime())
      return { ok: false, reason: 'expired' }

    await enterOrganization(em, token.organizationId)
    const membership = await em.findOne(MembershipSchema, {
      organizationId: token.organizationId,
      userId: token.userId,
      active: true,
    })
    if (!membership) return { ok: false, reason: 'not-a-member' }
    const organization = await em.findOne(OrganizationSchema, { id: token.organizationId })
    const user = await em.findOne(UserSchema, { id: token.userId })
    if (!organization || !user) return { ok: false, reason: 'not-a-member' }
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > TOUCH_INTERVAL_MS)
      token.lastUsedAt = now
    return {
      ok: true,
      actor: {
        user: { id: user.id, email: user.email, displayName: user.displayName },
        role: membership.role,
        organization: {
          id: organization.id,
          name: organization.name,
          slug: organization.slug,
          timezone: organization.timezone,
        },
        tokenId: token.id,
      },
    }
  })
}
