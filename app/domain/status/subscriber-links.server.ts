import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * Signed links in subscriber e-mails: a confirmation link (double opt-in) and a one-click
 * unsubscribe link. A link carries the organization, the subscriber, its purpose and its expiry,
 * signed with HMAC-SHA256 under a key derived from SESSION_SECRET, so nothing about it is stored
 * and a changed byte, another purpose or a passed expiry is refused.
 */

export type LinkPurpose = 'confirm' | 'unsubscribe'

/** A confirmation link works for two days; each later e-mail carries a fresh unsubscribe link. */
export const LINK_LIFETIME_MS: Record<LinkPurpose, number> = {
  confirm: 2 * 86_400_000,
  unsubscribe: 180 * 86_400_000,
}

export interface LinkClaims {
  organizationId: string
  subscriberId: string
  purpose: LinkPurpose
  /** Milliseconds since the epoch. */
  expiresAt: number
}

const keyFor = (secret: string) =>
  createHmac('sha256', secret).update('incidentflow status subscriber links').digest()

const sign = (secret: string, body: string) =>
  createHmac('sha256', keyFor(secret)).update(body).digest('base64url')

export function signLink(secret: string, claims: Omit<LinkClaims, 'expiresAt'>, now: Date): string {
  const payload = [
    claims.organizationId,
    claims.subscriberId,
    claims.purpose,
    String(now.getTime() + LINK_LIFETIME_MS[claims.purpose]),
  ].join('.')
  const body = Buffer.from(payload).toString('base64url')
  return `${body}.${sign(secret, body)}`
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** The link's claims when its signature holds, it is for `purpose` and has not expired. */
export function verifyLink(
  secret: string,
  token: string,
  purpose: LinkPurpose,
  now: Date,
): LinkClaims | null {
  if (token.length > 400) return null
  const [body, signature, extra] = token.split('.')
  if (!body || !signature || extra !== undefined) return null
  const expected = Buffer.from(sign(secret, body))
  const given = Buffer.from(signature)
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null
  const [organizationId, subscriberId, linkPurpose, expires] = Buffer.from(body, 'base64url')
    .toString('utf8')
    .split('.')
  const expiresAt = Number(expires)
  if (
    !organizationId ||
    !subscriberId ||
    !UUID.test(organizationId) ||
    !UUID.test(subscriberId) ||
    linkPurpose !== purpose ||
    !Number.isSafeInteger(expiresAt) ||
    expiresAt <= now.getTime()
  )
    return null
  return { organizationId, subscriberId, purpose, expiresAt }
}
