import type { MikroORM } from '@mikro-orm/postgresql'
import type { Member } from '~/domain/access/guard.server'
import {
  getDelivery,
  getEndpoint,
  listDeliveries,
  type AttemptRow,
  type DeliveryRow,
} from './webhooks.server'

const iso = (date: Date | null) => (date ? date.toISOString() : null)

function plainDelivery(d: DeliveryRow) {
  return {
    ...d,
    createdAt: d.createdAt.toISOString(),
    nextAttemptAt: iso(d.nextAttemptAt),
    deliveredAt: iso(d.deliveredAt),
  }
}

function plainAttempt(a: AttemptRow) {
  return { ...a, attemptedAt: a.attemptedAt.toISOString(), retryAt: iso(a.retryAt) }
}

/**
 * What a webhook endpoint's page shows: the endpoint, one page (1-based) of its delivery log, and
 * the delivery in focus with its attempts, times as ISO strings. Throws `WebhookError` 404 for
 * another organization's endpoint or delivery.
 */
export async function webhookEndpointPage(
  orm: MikroORM,
  member: Pick<Member, 'user' | 'role' | 'organization'>,
  endpointId: string,
  shown: { page: number; deliveryId: string | null },
) {
  const endpoint = await getEndpoint(orm, member, endpointId)
  const log = await listDeliveries(orm, member, endpointId, shown.page)
  const focus = shown.deliveryId
    ? await getDelivery(orm, member, endpointId, shown.deliveryId)
    : null
  return {
    endpoint: { ...endpoint, createdAt: endpoint.createdAt.toISOString() },
    log: { ...log, deliveries: log.deliveries.map(plainDelivery) },
    focus: focus
      ? { ...plainDelivery(focus), attemptLog: focus.attemptLog.map(plainAttempt) }
      : null,
  }
}

export type WebhookEndpointPage = Awaited<ReturnType<typeof webhookEndpointPage>>
