import { createHash } from 'node:crypto'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { inScope } from '../../../db/tenant'
import { queueEmail } from '~/domain/email/outbox.server'
import type { PgBoss } from '~/queue/send.server'
import { signLink, verifyLink } from './subscriber-links.server'
import type { StatusOrganization } from './status-page.server'

/**
 * E-mail subscribers of a status page, with double opt-in: "Subscribe" stores the address
 * unconfirmed and e-mails a signed confirmation link; only confirmed subscribers get the page's
 * notices, each with a signed one-click unsubscribe link (and `List-Unsubscribe` headers).
 * E-mails go through the outbox in the transaction that causes them, so each is delivered once.
 *
 * The answer to "Subscribe" is the same whatever the address's state (new, pending, confirmed,
 * unsubscribed), so the form tells no one who is subscribed. Attempts are limited per address
 * and per client address (both stored only as hashes).
 */

/** Attempts allowed within the window, per address and per client address. */
export const SUBSCRIBE_LIMITS = { perAddress: 3, perClient: 10, windowMs: 3_600_000 }

export interface LinkSettings {
  /** The absolute base the page's links start with (`APP_URL`, or the custom host). */
  pageUrl: string
  secret: string
}

export type SubscribeOutcome = 'sent' | 'limited'

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export function normalizeEmail(value: string): string | null {
  const email = value.trim().toLowerCase()
  return email.length <= 254 && EMAIL.test(email) ? email : null
}

const attemptKey = (kind: string, value: string) =>
  createHash('sha256').update(`${kind}:${value}`).digest('hex')

/**
 * Records a subscription attempt and, unless the address or client is over its limit, e-mails a
 * confirmation link. The caller answers the same either way except for `limited` (429).
 */
export async function subscribe(
  orm: MikroORM,
  boss: PgBoss,
  organization: StatusOrganization,
  input: { email: string; clientIp: string; now: Date; links: LinkSettings },
): Promise<SubscribeOutcome> {
  const { email, clientIp, now, links } = input
  const organizationId = organization.id
  const keys = [attemptKey('email', email), attemptKey('ip', clientIp)]
  return inScope(orm, { organizationId }, async (em) => {
    const since = new Date(now.getTime() - SUBSCRIBE_LIMITS.windowMs)
    await em.execute(
      `delete from status_subscribe_attempt where organization_id = ? and attempted_at < ?`,
      [organizationId, since],
    )
    const counts = await em.execute<Array<{ key_hash: string; n: string }>>(
      `select key_hash, count(*) as n from status_subscribe_attempt
        where organization_id = ? and key_hash in (?, ?) and attempted_at >= ?
        group by key_hash`,
      [organizationId, keys[0], keys[1], since],
    )
    const count = (key: string) => Number(counts.find((c) => c.key_hash === key)?.n ?? 0)
    if (
      count(keys[0]!) >= SUBSCRIBE_LIMITS.perAddress ||
      count(keys[1]!) >= SUBSCRIBE_LIMITS.perClient
    )
      return 'limited'
    await em.execute(
      `insert into status_subscribe_attempt (organization_id, key_hash, attempted_at)
       values (?, ?, ?), (?, ?, ?)`,
      [organizationId, keys[0], now, organizationId, keys[1], now],
    )
    // An unsubscribed address starts over unconfirmed; a confirmed one stays confirmed.
    const [row] = await em.execute<Array<{ id: string; confirmations_sent: number }>>(
      `insert into status_subscriber (organization_id, email, created_at, confirmations_sent)
       values (?, ?, ?, 1)
       on conflict (organization_id, email) do update
         set confirmations_sent = status_subscriber.confirmations_sent + 1,
             confirmed_at = case when status_subscriber.unsubscribed_at is null
                                 then status_subscriber.confirmed_at end,
             unsubscribed_at = null
       returning id, confirmations_sent`,
      [organizationId, email, now],
    )
    const confirm = `${links.pageUrl}/subscribe/confirm?token=${signLink(
      links.secret,
      { organizationId, subscriberId: row!.id, purpose: 'confirm' },
      now,
    )}`
    await queueEmail(em, boss, {
      organizationId,
      kind: 'status.subscription_confirm',
      to: email,
      subject: `Confirm your subscription to ${organization.name} status`,
      text: [
        `Someone (we hope you) asked to receive ${organization.name}'s status updates at this address.`,
        '',
        `Confirm within two days: ${confirm}`,
        '',
        'If it was not you, ignore this e-mail: nothing is sent until the link is opened.',
      ].join('\n'),
      idempotencyKey: `status-confirm:${row!.id}:${row!.confirmations_sent}`,
    })
    return 'sent'
  })
}

/** Confirms the subscriber a valid confirmation link names; false for any bad or old link. */
export async function confirmSubscription(
  orm: MikroORM,
  organization: StatusOrganization,
  token: string,
  secret: string,
  now: Date,
): Promise<boolean> {
  const claims = verifyLink(secret, token, 'confirm', now)
  if (!claims || claims.organizationId !== organization.id) return false
  return inScope(orm, { organizationId: organization.id }, async (em) => {
    const rows = await em.execute<Array<{ id: string }>>(
      `update status_subscriber set confirmed_at = coalesce(confirmed_at, ?)
        where organization_id = ? and id = ? and unsubscribed_at is null
        returning id`,
      [now, organization.id, claims.subscriberId],
    )
    return rows.length > 0
  })
}

/** Ends the subscription a valid unsubscribe link names; false for any bad or expired link. */
export async function unsubscribe(
  orm: MikroORM,
  organization: StatusOrganization,
  token: string,
  secret: string,
  now: Date,
): Promise<boolean> {
  const claims = verifyLink(secret, token, 'unsubscribe', now)
  if (!claims || claims.organizationId !== organization.id) return false
  return inScope(orm, { organizationId: organization.id }, async (em) => {
    await em.execute(
      `update status_subscriber set unsubscribed_at = coalesce(unsubscribed_at, ?)
        where organization_id = ? and id = ?`,
      [now, organization.id, claims.subscriberId],
    )
    return true
  })
}

export interface SubscriberNotice {
  /** Unique per cause (an update's or a maintenance's id): a retried cause e-mails once. */
  key: string
  kind: string
  subject: string
  text: string
}

/**
 * Queues the notice to every confirmed subscriber, inside the caller's transaction (the one that
 * wrote the update or maintenance), each e-mail with its own unsubscribe link.
 */
export async function notifySubscribers(
  em: EntityManager,
  boss: PgBoss,
  organizationId: string,
  notice: SubscriberNotice,
  links: LinkSettings,
  now: Date,
): Promise<number> {
  const subscribers = await em.execute<Array<{ id: string; email: string }>>(
    `select id, email from status_subscriber
      where organization_id = ? and confirmed_at is not null and unsubscribed_at is null
      order by id`,
    [organizationId],
  )
  for (const subscriber of subscribers) {
    const url = `${links.pageUrl}/unsubscribe?token=${signLink(
      links.secret,
      { organizationId, subscriberId: subscriber.id, purpose: 'unsubscribe' },
      now,
    )}`
    await queueEmail(em, boss, {
      organizationId,
      kind: notice.kind,
      to: subscriber.email,
      subject: notice.subject,
      text: `${notice.text}\n\n--\nUnsubscribe with one click: ${url}`,
      headers: {
        'List-Unsubscribe': `<${url}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
      idempotencyKey: `status-notice:${notice.key}:${subscriber.id}`,
    })
  }
  return subscribers.length
}
