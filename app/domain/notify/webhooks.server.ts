import { randomUUID } from 'node:crypto'
import { FieldRefusal } from '~/domain/domain-error'
import { LockMode, type EntityManager, type MikroORM } from '@mikro-orm/postgresql'
import { EmailOutboxSchema } from '../../../db/entities/email-outbox'
import {
  WebhookAttemptSchema,
  WebhookDeliverySchema,
  WebhookEndpointSchema,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
  type WebhookEndpoint,
} from '../../../db/entities/sla'
import { inScope } from '../../../db/tenant'
import { transactionExecutor } from '../../../db/transaction'
import { sendJob, type PgBoss } from '~/queue/send.server'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { WEBHOOK_EVENT_TYPES } from './kinds'
import { checkWebhookUrl, WebhookTargetError, type Resolver } from './ssrf.server'
import { newMessageId, newSecret } from './webhook-signing'
import { now as clockNow } from '~/utils/clock'

/** Sent only by "Send test event"; endpoints cannot subscribe to it. */
export const TEST_EVENT_TYPE = 'webhook.test'

export const DELIVERIES_PER_PAGE = 20
const FAILED_LIST_LIMIT = 100

/** A refused request, with words for the admin who made it. */
export class WebhookError extends FieldRefusal<'url' | 'description' | 'eventTypes' | 'confirm'> {}

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function requireSettings(member: Actorish) {
  if (!can(member.role, 'settings.manage'))
    throw new WebhookError(null, 'Only admins can manage webhooks.', 403)
}

const endpointNotFound = () => new WebhookError(null, 'Webhook endpoint not found.', 404)
const deliveryNotFound = () => new WebhookError(null, 'Delivery not found.', 404)

/** Runs `work` as the member's organization, after the permission check every service makes. */
function asAdmin<T>(orm: MikroORM, member: Actorish, work: (em: EntityManager) => Promise<T>) {
  requireSettings(member)
  return inScope(orm, { organizationId: member.organization.id }, work)
}

async function findEndpoint(em: EntityManager, organizationId: string, id: string) {
  if (!UUID.test(id)) return null
  return em.findOne(WebhookEndpointSchema, { id, organizationId })
}

/** The organization's endpoint, or the not-found error (also for another organization's id). */
async function requireEndpoint(em: EntityManager, organizationId: string, id: string) {
  const endpoint = await findEndpoint(em, organizationId, id)
  if (!endpoint) throw endpointNotFound()
  return endpoint
}

/** `change` on this organization's endpoint, as an admin, in one transaction; 404 for any other id. */
function onEndpoint<T>(
  orm: MikroORM,
  member: Actorish,
  id: string,
  change: (endpoint: WebhookEndpoint, em: EntityManager) => Promise<T>,
) {
  return asAdmin(orm, member, async (em) =>
    change(await requireEndpoint(em, member.organization.id, id), em),
  )
}

// ---------------------------------------------------------------------------------------------
// Enqueueing (called inside other transactions: the event fan-out, the admin actions below)
// ---------------------------------------------------------------------------------------------

export interface WebhookDeliveryInput {
  organizationId: string
  endpointId: string
  eventType: string
  data: unknown
  /** Same key, same delivery: a fan-out that runs twice queues each message once. */
  idempotencyKey: string
  occurredAt: Date
  /** The delivery job's expiry; the worker's attempt timeout plus a margin. */
  expireInSeconds?: number
}

/**
 * Writes a delivery and its `webhook-deliver` job inside the caller's transaction, so both exist
 * only if it commits. Returns the existing delivery when the idempotency key was used before, and
 * null (queueing nothing) when the endpoint is not an enabled endpoint of the organization.
 */
export async function enqueueWebhookDelivery(
  em: EntityManager,
  boss: PgBoss,
  input: WebhookDeliveryInput,
): Promise<WebhookDelivery | null> {
  if (!em.isInTransaction()) throw new Error('enqueueWebhookDelivery must run inside a transaction')
  const existing = await em.findOne(WebhookDeliverySchema, {
    idempotencyKey: input.idempotencyKey,
  })
  if (existing) return existing
  const endpoint = await findEndpoint(em, input.organizationId, input.endpointId)
  if (!endpoint?.enabled) return null
  const now = clockNow()
  const delivery = em.create(WebhookDeliverySchema, {
    organizationId: input.organizationId,
    endpointId: endpoint.id,
    messageId: newMessageId(),
    idempotencyKey: input.idempotencyKey,
    eventType: input.eventType,
    payload: {
      type: input.eventType,
      timestamp: input.occurredAt.toISOString(),
      data: input.data,
    },
    status: 'pending',
    attempts: 0,
    nextAttemptAt: now,
  })
  await em.flush()
  await sendJob(
    boss,
    'webhook-deliver',
    { deliveryId: delivery.id, organizationId: input.organizationId },
    { db: await transactionExecutor(em), expireInSeconds: input.expireInSeconds },
  )
  return delivery
}

/** Enabled endpoints of the organization subscribed to `eventType`. */
export async function subscribedEndpoints(
  em: EntityManager,
  organizationId: string,
  eventType: string,
): Promise<WebhookEndpoint[]> {
  return em.find(
    WebhookEndpointSchema,
    { organizationId, enabled: true, eventTypes: { $contains: [eventType] } },
    { orderBy: { createdAt: 'asc' } },
  )
}

/** The sequence number the next attempt of a delivery gets (attempts are numbered for good). */
export async function nextAttemptNumber(em: EntityManager, deliveryId: string) {
  const last = await em.findOne(
    WebhookAttemptSchema,
    { deliveryId },
    { orderBy: { attempt: 'desc' }, fields: ['attempt'] },
  )
  return (last?.attempt ?? 0) + 1
}

/**
 * Puts a delivery back to pending as a new attempt series (the retry schedule starts over, the
 * message id stays) and queues its job in the same transaction.
 */
async function restartDelivery(
  em: EntityManager,
  boss: PgBoss,
  delivery: WebhookDelivery,
  expireInSeconds?: number,
) {
  delivery.status = 'pending'
  delivery.attempts = 0
  delivery.nextAttemptAt = clockNow()
  delivery.deliveredAt = null
  await em.flush()
  await sendJob(
    boss,
    'webhook-deliver',
    { deliveryId: delivery.id, organizationId: delivery.organizationId },
    {
      db: await transactionExecutor(em),
      singletonKey: `${delivery.id}:${await nextAttemptNumber(em, delivery.id)}`,
      expireInSeconds,
    },
  )
}

// ---------------------------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------------------------

export interface EndpointInput {
  url: string
  description: string
  eventTypes: readonly string[]
}

export interface UrlCheckOptions {
  /** WEBHOOK_ALLOWED_HOSTS. */
  allowedHosts: string | undefined
  /** DNS for the URL check; the system resolver unless a test passes one. */
  resolve?: Resolver
}

async function checkedInput(input: EndpointInput, options: UrlCheckOptions) {
  const chosen = new Set(input.eventTypes)
  if (chosen.size === 0) throw new WebhookError('eventTypes', 'Choose at least one event type.')
  const unknown = [...chosen].filter((t) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(t))
  if (unknown.length)
    throw new WebhookError('eventTypes', `Unknown event type: ${unknown.join(', ')}.`)
  // Stored in the order the form lists them.
  const eventTypes = WEBHOOK_EVENT_TYPES.filter((t) => chosen.has(t))
  const description = input.description.trim()
  if (description.length > 300) throw new WebhookError('description', 'Use at most 300 characters.')
  // PostgreSQL text cannot hold U+0000, which a form post can carry.
  if (description.includes('\u0000'))
    throw new WebhookError('description', 'This text contains a NUL character. Remove it.')
  if (input.url.trim().length > 2000) throw new WebhookError('url', 'Use at most 2000 characters.')
  try {
    const url = await checkWebhookUrl(input.url, options.allowedHosts, options.resolve)
    if (url.href.length > 2000) throw new WebhookError('url', 'Use at most 2000 characters.')
    return { url: url.href, description, eventTypes }
  } catch (error) {
    if (error instanceof WebhookTargetError) throw new WebhookError('url', error.message)
    throw error
  }
}

export async function createEndpoint(
  orm: MikroORM,
  member: Actorish,
  input: EndpointInput,
  options: UrlCheckOptions,
): Promise<{ id: string }> {
  requireSettings(member)
  const checked = await checkedInput(input, options)
  return asAdmin(orm, member, async (em) => {
    const endpoint = em.create(WebhookEndpointSchema, {
      organizationId: member.organization.id,
      ...checked,
      secret: newSecret(),
      enabled: true,
      disabledReason: null,
      createdBy: member.user.id,
    })
    await em.flush()
    return { id: endpoint.id }
  })
}

export async function updateEndpoint(
  orm: MikroORM,
  member: Actorish,
  endpointId: string,
  input: EndpointInput,
  options: UrlCheckOptions,
): Promise<void> {
  requireSettings(member)
  // Not found before the URL check, so another organization's id learns nothing from the answer.
  await asAdmin(orm, member, async (em) => {
    await requireEndpoint(em, member.organization.id, endpointId)
  })
  const checked = await checkedInput(input, options)
  await onEndpoint(orm, member, endpointId, async (endpoint, em) => {
    em.assign(endpoint, checked)
  })
}

export async function setEndpointEnabled(
  orm: MikroORM,
  member: Actorish,
  endpointId: string,
  enabled: boolean,
): Promise<void> {
  await onEndpoint(orm, member, endpointId, async (endpoint) => {
    endpoint.enabled = enabled
    endpoint.disabledReason = enabled ? null : `Disabled by ${member.user.displayName}.`
  })
}

/** A new signing secret; the old one stops working at once. */
export async function rotateSecret(
  orm: MikroORM,
  member: Actorish,
  endpointId: string,
): Promise<void> {
  await onEndpoint(orm, member, endpointId, async (endpoint) => {
    endpoint.secret = newSecret()
  })
}

/** Deletes the endpoint and, with it, its delivery log. */
export async function deleteEndpoint(
  orm: MikroORM,
  member: Actorish,
  endpointId: string,
): Promise<void> {
  await onEndpoint(orm, member, endpointId, async (endpoint, em) => {
    em.remove(endpoint)
  })
}

export interface EndpointSummary {
  id: string
  url: string
  description: string
  eventTypes: string[]
  enabled: boolean
  disabledReason: string | null
  lastDelivery: { status: WebhookDeliveryStatus; at: Date } | null
}

export async function listEndpoints(orm: MikroORM, member: Actorish): Promise<EndpointSummary[]> {
  return asAdmin(orm, member, async (em) => {
    const endpoints = await em.find(
      WebhookEndpointSchema,
      { organizationId: member.organization.id },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    )
    const summaries: EndpointSummary[] = []
    for (const endpoint of endpoints) {
      const last = await em.findOne(
        WebhookDeliverySchema,
        { organizationId: member.organization.id, endpointId: endpoint.id },
        { orderBy: { createdAt: 'desc', id: 'desc' } },
      )
      summaries.push({
        id: endpoint.id,
        url: endpoint.url,
        description: endpoint.description,
        eventTypes: endpoint.eventTypes,
        enabled: endpoint.enabled,
        disabledReason: endpoint.disabledReason ?? null,
        lastDelivery: last ? { status: last.status, at: last.createdAt } : null,
      })
    }
    return summaries
  })
}

export interface EndpointDetail extends Omit<EndpointSummary, 'lastDelivery'> {
  secret: string
  createdAt: Date
}

export async function getEndpoint(
  orm: MikroORM,
  member: Actorish,
  endpointId: string,
): Promise<EndpointDetail> {
  return onEndpoint(orm, member, endpointId, async (endpoint) => {
    return {
      id: endpoint.id,
      url: endpoint.url,
      description: endpoint.description,
      eventTypes: endpoint.eventTypes,
      enabled: endpoint.enabled,
      disabledReason: endpoint.disabledReason ?? null,
      secret: endpoint.secret,
      createdAt: endpoint.createdAt,
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Deliveries
// ---------------------------------------------------------------------------------------------

export interface DeliveryRow {
  id: string
  createdAt: Date
  eventType: string
  messageId: string
  status: WebhookDeliveryStatus
  /** Every attempt ever made, across redeliveries. */
  attempts: number
  lastStatusCode: number | null
  lastError: string | null
  nextAttemptAt: Date | null
  deliveredAt: Date | null
}

function deliveryRow(delivery: WebhookDelivery, attempts: number): DeliveryRow {
  return {
    id: delivery.id,
    createdAt: delivery.createdAt,
    eventType: delivery.eventType,
    messageId: delivery.messageId,
    status: delivery.status,
    attempts,
    lastStatusCode: delivery.lastStatusCode ?? null,
    lastError: delivery.lastError ?? null,
    nextAttemptAt: delivery.status === 'pending' ? (delivery.nextAttemptAt ?? null) : null,
    deliveredAt: delivery.deliveredAt ?? null,
  }
}

async function attemptCounts(em: EntityManager, deliveryIds: string[]) {
  const counts = new Map<string, number>()
  if (deliveryIds.length === 0) return counts
  const attempts = await em.find(
    WebhookAttemptSchema,
    { deliveryId: { $in: deliveryIds } },
    { fields: ['deliveryId'] },
  )
  for (const { deliveryId } of attempts) counts.set(deliveryId, (counts.get(deliveryId) ?? 0) + 1)
  return counts
}

/** One page (1-based) of an endpoint's delivery log, newest first. */
export async function listDeliveries(
  orm: MikroORM,
  member: Actorish,
  endpointId: string,
  page: number,
): Promise<{ deliveries: DeliveryRow[]; page: number; hasNext: boolean }> {
  const current = Number.isSafeInteger(page) && page > 0 ? page : 1
  return onEndpoint(orm, member, endpointId, async (endpoint, em) => {
    const rows = await em.find(
      WebhookDeliverySchema,
      { organizationId: member.organization.id, endpointId: endpoint.id },
      {
        orderBy: { createdAt: 'desc', id: 'desc' },
        limit: DELIVERIES_PER_PAGE + 1,
        offset: (current - 1) * DELIVERIES_PER_PAGE,
      },
    )
    const shown = rows.slice(0, DELIVERIES_PER_PAGE)
    const counts = await attemptCounts(
      em,
      shown.map((d) => d.id),
    )
    return {
      deliveries: shown.map((d) => deliveryRow(d, counts.get(d.id) ?? 0)),
      page: current,
      hasNext: rows.length > DELIVERIES_PER_PAGE,
    }
  })
}

export interface AttemptRow {
  attempt: number
  attemptedAt: Date
  durationMs: number
  statusCode: number | null
  error: string | null
  retryAt: Date | null
}

/** One delivery of the endpoint with all its attempts (the result view of "Send test event"). */
export async function getDelivery(
  orm: MikroORM,
  member: Actorish,
  endpointId: string,
  deliveryId: string,
): Promise<DeliveryRow & { attemptLog: AttemptRow[] }> {
  return asAdmin(orm, member, async (em) => {
    if (!UUID.test(deliveryId)) throw deliveryNotFound()
    const delivery = await em.findOne(WebhookDeliverySchema, {
      id: deliveryId,
      organizationId: member.organization.id,
      endpointId,
    })
    if (!delivery) throw deliveryNotFound()
    const attempts = await em.find(
      WebhookAttemptSchema,
      { deliveryId: delivery.id },
      { orderBy: { attempt: 'asc' } },
    )
    return {
      ...deliveryRow(delivery, attempts.length),
      attemptLog: attempts.map((a) => ({
        attempt: a.attempt,
        attemptedAt: a.attemptedAt,
        durationMs: a.durationMs,
        statusCode: a.statusCode ?? null,
        error: a.error ?? null,
        retryAt: a.retryAt ?? null,
      })),
    }
  })
}

/**
 * Sends a delivery again with the same message id (receivers deduplicate on it), as a new
 * series of attempts. A delivery still pending has its attempts scheduled already and is refused.
 */
export async function redeliver(
  orm: MikroORM,
  boss: PgBoss,
  member: Actorish,
  deliveryId: string,
  options: { expireInSeconds?: number } = {},
): Promise<{ deliveryId: string; endpointId: string }> {
  return asAdmin(orm, member, async (em) => {
    if (!UUID.test(deliveryId)) throw deliveryNotFound()
    const delivery = await em.findOne(
      WebhookDeliverySchema,
      { id: deliveryId, organizationId: member.organization.id },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    )
    if (!delivery) throw deliveryNotFound()
    if (delivery.status === 'pending')
      throw new WebhookError(
        null,
        'This delivery is still being attempted; redeliver it once it has succeeded or failed.',
        409,
      )
    const endpoint = await findEndpoint(em, member.organization.id, delivery.endpointId)
    if (!endpoint?.enabled)
      throw new WebhookError(null, 'Enable the endpoint before redelivering to it.', 409)
    await restartDelivery(em, boss, delivery, options.expireInSeconds)
    return { deliveryId: delivery.id, endpointId: delivery.endpointId }
  })
}

/** Queues a `webhook.test` delivery to the endpoint; returns its id. */
export async function sendTestEvent(
  orm: MikroORM,
  boss: PgBoss,
  member: Actorish,
  endpointId: string,
  options: { expireInSeconds?: number } = {},
): Promise<{ deliveryId: string }> {
  return onEndpoint(orm, member, endpointId, async (endpoint, em) => {
    if (!endpoint.enabled)
      throw new WebhookError(null, 'Enable the endpoint before sending a test event.', 409)
    const delivery = await enqueueWebhookDelivery(em, boss, {
      organizationId: member.organization.id,
      endpointId: endpoint.id,
      eventType: TEST_EVENT_TYPE,
      data: {
        message: 'A test event from IncidentFlow. Verify its signature as you would any event.',
        organization: { id: member.organization.id, name: member.organization.name },
        endpoint: { id: endpoint.id, url: endpoint.url },
        requestedBy: { id: member.user.id, name: member.user.displayName },
      },
      idempotencyKey: `test:${endpoint.id}:${randomUUID()}`,
      occurredAt: clockNow(),
      expireInSeconds: options.expireInSeconds,
    })
    return { deliveryId: delivery!.id }
  })
}

// ---------------------------------------------------------------------------------------------
// Failed deliveries (webhooks that ran out of attempts, e-mails that could not be sent)
// ---------------------------------------------------------------------------------------------

export type FailedKind = 'webhook' | 'email'

export interface FailedDelivery {
  kind: FailedKind
  id: string
  status: string
  /** The endpoint URL or the recipient. */
  target: string
  /** The event type or the e-mail's subject. */
  what: string
  reason: string | null
  attempts: number
  at: Date
}

export async function listFailedDeliveries(
  orm: MikroORM,
  member: Actorish,
): Promise<FailedDelivery[]> {
  return asAdmin(orm, member, async (em) => {
    const organizationId = member.organization.id
    const deliveries = await em.find(
      WebhookDeliverySchema,
      { organizationId, status: 'dead' },
      { orderBy: { createdAt: 'desc' }, limit: FAILED_LIST_LIMIT },
    )
    const endpoints = await em.find(WebhookEndpointSchema, {
      organizationId,
      id: { $in: [...new Set(deliveries.map((d) => d.endpointId))] },
    })
    const urls = new Map(endpoints.map((e) => [e.id, e.url]))
    const counts = await attemptCounts(
      em,
      deliveries.map((d) => d.id),
    )
    const emails = await em.find(
      EmailOutboxSchema,
      { organizationId, status: { $in: ['dead', 'failed'] } },
      { orderBy: { createdAt: 'desc' }, limit: FAILED_LIST_LIMIT },
    )
    const failed: FailedDelivery[] = [
      ...deliveries.map((d) => ({
        kind: 'webhook' as const,
        id: d.id,
        status: d.status,
        target: urls.get(d.endpointId) ?? '',
        what: d.eventType,
        reason: d.lastError ?? null,
        attempts: counts.get(d.id) ?? 0,
        at: d.lastAttemptAt ?? d.createdAt,
      })),
      ...emails.map((e) => ({
        kind: 'email' as const,
        id: e.id,
        status: e.status,
        target: e.toAddress,
        what: e.subject,
        reason: e.lastError ?? null,
        attempts: e.attempts,
        at: e.createdAt,
      })),
    ]
    return failed.sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, FAILED_LIST_LIMIT)
  })
}

/** Puts a dead webhook delivery, or a dead or failed e-mail, back to pending with a new job. */
export async function retryFailed(
  orm: MikroORM,
  boss: PgBoss,
  member: Actorish,
  kind: FailedKind,
  id: string,
  options: { expireInSeconds?: number } = {},
): Promise<void> {
  await asAdmin(orm, member, async (em) => {
    if (!UUID.test(id)) throw deliveryNotFound()
    const organizationId = member.organization.id
    if (kind === 'webhook') {
      const delivery = await em.findOne(
        WebhookDeliverySchema,
        { id, organizationId },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      )
      if (!delivery) throw deliveryNotFound()
      if (delivery.status !== 'dead')
        throw new WebhookError(null, 'This delivery is not failed any more.', 409)
      const endpoint = await findEndpoint(em, organizationId, delivery.endpointId)
      if (!endpoint?.enabled)
        throw new WebhookError(null, 'Enable the endpoint before retrying this delivery.', 409)
      await restartDelivery(em, boss, delivery, options.expireInSeconds)
      return
    }
    const email = await em.findOne(
      EmailOutboxSchema,
      { id, organizationId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    )
    if (!email) throw deliveryNotFound()
    if (email.status !== 'dead' && email.status !== 'failed')
      throw new WebhookError(null, 'This e-mail is not failed any more.', 409)
    email.status = 'pending'
    email.attempts = 0
    await em.flush()
    await sendJob(
      boss,
      'email-deliver',
      { outboxId: email.id, organizationId },
      { db: await transactionExecutor(em) },
    )
  })
}
