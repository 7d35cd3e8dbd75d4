import type { EntityManager } from '@mikro-orm/postgresql'
import type { Incident } from '../../../db/entities/incident'
import type { Organization } from '../../../db/entities/organization'
import { customFieldsIn } from '~/domain/custom-fields/custom-field-definitions.server'
import { customFieldsByKey } from '~/domain/custom-fields/custom-field-values'
import type { StoredEvent } from '~/domain/incident/events'
import { relationsPayload } from '~/domain/incident/incident-relations.server'
import type { PgBoss } from '~/queue/send.server'
import { incidentUrl } from './emails'
import { enqueueWebhookDelivery, subscribedEndpoints } from './webhooks.server'

/**
 * Queues one delivery of the event to every endpoint subscribed to its type and every endpoint a
 * fired rule named, each with an idempotency key of the event and the endpoint, so a retried
 * fan-out never delivers twice.
 */
export async function deliverEventToWebhooks(
  em: EntityManager,
  deps: {
    boss: PgBoss
    appUrl: string
    /** Expiry for the delivery jobs this creates (from the worker's delivery timeout). */
    webhookJobExpireSeconds?: number
  },
  input: {
    incident: Incident
    organization: Organization
    event: StoredEvent
    /** Endpoints named by the rules that fired (endpoint id → rule name). */
    webhookTargets: Map<string, string>
  },
) {
  const { incident, event } = input
  const targets = new Set(input.webhookTargets.keys())
  for (const endpoint of await subscribedEndpoints(em, incident.organizationId, event.type))
    targets.add(endpoint.id)
  if (targets.size === 0) return
  const data = {
    organization: { id: input.organization.id, name: input.organization.name },
    incident: {
      id: incident.id,
      number: incident.number,
      reference: `INC-${incident.number}`,
      title: incident.title,
      severity: incident.severity,
      status: incident.status,
      url: incidentUrl(deps.appUrl, incident.number),
      ...(await relationsPayload(em, incident.organizationId, incident)),
      /** Active custom fields by key, as the API gives them. */
      customFields: customFieldsByKey(
        await customFieldsIn(em, incident.organizationId),
        incident.customFields,
      ),
    },
    event: {
      id: event.id,
      seq: event.seq,
      type: event.type,
      occurredAt: event.occurredAt,
      actorId: event.actorId,
      payload: event.payload,
      hash: event.hash,
    },
  }
  for (const endpointId of targets) {
    await enqueueWebhookDelivery(em, deps.boss, {
      organizationId: incident.organizationId,
      endpointId,
      eventType: event.type,
      data,
      idempotencyKey: `event:${incident.id}:${event.seq}:${endpointId}`,
      occurredAt: new Date(event.occurredAt),
      ...(deps.webhookJobExpireSeconds ? { expireInSeconds: deps.webhookJobExpireSeconds } : {}),
    })
  }
}
