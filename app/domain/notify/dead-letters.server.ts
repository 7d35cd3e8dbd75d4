import { LockMode, type MikroORM } from '@mikro-orm/postgresql'
import { EmailOutboxSchema } from '../../../db/entities/email-outbox'
import { WebhookDeliverySchema } from '../../../db/entities/sla'
import { inScope } from '../../../db/tenant'
import type { JobPayload } from '~/queue/queues'
import type { Logger } from '~/utils/logger.server'

export interface DeadLetterDeps {
  orm: MikroORM
  logger: Logger
}

export type DeadLetterOutcome = 'marked' | 'unchanged' | 'missing'

/** Used when pg-boss moved the job here after its own retries, which carry no reason. */
const JOB_FAILED = 'The delivery job kept failing (worker error) and was given up.'

/**
 * Records that an e-mail or a webhook delivery will not be attempted any more: it becomes `dead`
 * with the reason, and appears under Failed deliveries. One that was delivered meanwhile, or that
 * already ended otherwise (failed), is left as it is.
 */
export async function recordDeadLetter(
  deps: DeadLetterDeps,
  payload: JobPayload<'dead-letter'>,
): Promise<DeadLetterOutcome> {
  const reason = (payload.reason ?? JOB_FAILED).slice(0, 2000)
  return inScope(deps.orm, { organizationId: payload.organizationId }, async (em) => {
    if ('outboxId' in payload) {
      const email = await em.findOne(
        EmailOutboxSchema,
        { id: payload.outboxId, organizationId: payload.organizationId },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      )
      if (!email) return 'missing'
      if (email.status !== 'pending') return 'unchanged'
      email.status = 'dead'
      email.lastError = email.lastError ? `${reason} Last error: ${email.lastError}` : reason
      deps.logger.warn({ outboxId: email.id, reason }, 'e-mail dead-lettered')
      return 'marked'
    }
    const delivery = await em.findOne(
      WebhookDeliverySchema,
      { id: payload.deliveryId, organizationId: payload.organizationId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    )
    if (!delivery) return 'missing'
    if (payload.reason) {
      // The handler gave up by itself, marked the delivery dead and said why. Should an admin
      // have retried it since, it is pending again and stays so.
      if (delivery.status !== 'dead') return 'unchanged'
      delivery.lastError = reason
      return 'marked'
    }
    if (delivery.status !== 'pending') return 'unchanged'
    delivery.status = 'dead'
    delivery.nextAttemptAt = null
    delivery.lastError = delivery.lastError ? `${reason} Last error: ${delivery.lastError}` : reason
    deps.logger.warn({ deliveryId: delivery.id, reason }, 'webhook delivery dead-lettered')
    return 'marked'
  })
}
