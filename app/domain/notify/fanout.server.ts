import { LockMode, type EntityManager, type MikroORM } from '@mikro-orm/postgresql'
import { IncidentEventSchema, IncidentSchema } from '../../../db/entities/incident'
import { OrganizationSchema } from '../../../db/entities/organization'
import { enterOrganization, inScope } from '../../../db/tenant'
import { refreshBreachFact } from '~/domain/analytics/breach-facts.server'
import { queueChatDeliveries } from '~/domain/chat/chat-deliveries.server'
import { fireEscalationRules } from '~/domain/escalation/fire.server'
import { toStoredEvent } from '~/domain/incident/event-store.server'
import { incidentRoleHolders } from '~/domain/incident/incident-roles.server'
import { usersWhoSee } from '~/domain/incident/visibility.server'
import type { PgBoss } from '~/queue/send.server'
import type { Logger } from '~/utils/logger.server'
import { withRequestId } from '~/utils/request-id.server'
import { emailEvent } from './event-email.server'
import { deliverEventToWebhooks } from './event-webhooks.server'
import { defaultRecipients, Recipients } from './recipients.server'
import { now as clockNow } from '~/utils/clock'

export interface FanoutDeps {
  orm: MikroORM
  boss: PgBoss
  logger: Logger
  appUrl: string
  /** Expiry for the delivery jobs this creates (from the worker's delivery timeout). */
  webhookJobExpireSeconds?: number
  now?: () => Date
}

interface OutboxRow {
  id: string
  tenant_id: string
  incident_id: string
  event_seq: number
  request_id: string | null
}

/**
 * Fans out waiting events, one transaction per event: claim the `event_outbox` row (skipping rows
 * another worker holds), evaluate escalation rules, queue e-mails and webhook deliveries, and
 * delete the row — all or nothing, so an event is fanned out exactly once. Returns how many
 * events were handled; stops early when none are waiting.
 */
export async function relayEvents(deps: FanoutDeps, limit = 100): Promise<number> {
  let handled = 0
  while (handled < limit) {
    const outcome = await relayOne(deps)
    if (outcome === 'empty') break
    handled += 1
  }
  return handled
}

async function relayOne(deps: FanoutDeps): Promise<'done' | 'failed' | 'empty'> {
  let claimed: OutboxRow | null = null
  try {
    return await inScope(deps.orm, {}, async (em) => {
      const rows = await em.execute<OutboxRow[]>(
        `select id::text as id, tenant_id, incident_id, event_seq, request_id from event_outbox
          where next_attempt_at <= now() order by id limit 1 for update skip locked`,
      )
      claimed = rows[0] ?? null
      if (!claimed) return 'empty' as const
      const event = claimed
      await enterOrganization(em, event.tenant_id)
      // Under the id of the request that wrote the event: the e-mails and webhooks queued here
      // carry it, and so does every line logged meanwhile.
      await withRequestId(event.request_id, () => fanOutEvent(em, deps, event))
      await em.flush()
      await em.execute(`delete from event_outbox where id = ?`, [claimed.id])
      return 'done' as const
    })
  } catch (error) {
    const row = claimed as OutboxRow | null
    if (!row) throw error
    const message = error instanceof Error ? error.message : String(error)
    deps.logger.error(
      {
        err: error,
        incidentId: row.incident_id,
        seq: row.event_seq,
        reqId: row.request_id ?? undefined,
      },
      'event fan-out failed; retrying later',
    )
    await inScope(deps.orm, {}, (em) =>
      em.execute(
        `update event_outbox
            set attempts = attempts + 1, last_error = ?,
                next_attempt_at = now() + least(interval '1 hour', interval '5 seconds' * power(2, attempts))
          where id = ?`,
        [message.slice(0, 2000), row.id],
      ),
    )
    return 'failed'
  }
}

/**
 * One event: the people it concerns, the rules it fires, a breach's analytics fact, then its
 * e-mails, webhooks and chats.
 */
async function fanOutEvent(em: EntityManager, deps: FanoutDeps, row: OutboxRow) {
  const now = deps.now?.() ?? clockNow()
  const incident = await em.findOne(
    IncidentSchema,
    { id: row.incident_id },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  )
  if (!incident) return
  const eventRow = await em.findOne(IncidentEventSchema, {
    incidentId: incident.id,
    seq: row.event_seq,
  })
  if (!eventRow) return
  const event = toStoredEvent(eventRow)
  const organization = await em.findOneOrFail(OrganizationSchema, { id: incident.organizationId })

  const recipients = new Recipients()
  const roleHolders = await incidentRoleHolders(em, incident.id)
  const kind = defaultRecipients(event, incident, recipients, roleHolders)
  const webhookTargets = new Map<string, string>()
  await fireEscalationRules(em, incident, event, { recipients, webhookTargets }, now)
  await refreshBreachFact(em, event)

  if (incident.private) {
    // A private incident (decision 037), as it is now: e-mails only to those who may see it, and
    // nothing to webhook endpoints or chat channels, whose readers are not known to be among them.
    const seeing = await usersWhoSee(em, incident, recipients.reasons.keys())
    for (const userId of [...recipients.reasons.keys()])
      if (!seeing.has(userId)) recipients.reasons.delete(userId)
    if (kind)
      await emailEvent(em, deps, { incident, organization, event, kind, recipients, roleHolders })
    return
  }
  if (kind)
    await emailEvent(em, deps, { incident, organization, event, kind, recipients, roleHolders })
  await deliverEventToWebhooks(em, deps, { incident, organization, event, webhookTargets })
  await queueChatDeliveries(em, deps.boss, { incident, event })
}
