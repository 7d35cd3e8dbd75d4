import { LockMode, type EntityManager } from '@mikro-orm/postgresql'
import { EmailOutboxSchema } from '../../db/entities/email-outbox'
import type { Mailer } from '../../app/utils/mailer.server'
import type { Logger } from '../../app/utils/logger.server'
import type { JobPayload } from '../queues'

export interface EmailDeliverDeps {
  em: EntityManager
  mailer: Mailer
  from: string
  logger: Logger
}

export type DeliveryOutcome = 'sent' | 'held' | 'skipped' | 'failed'

/**
 * Delivers one outbox e-mail. At-least-once safe: the row is locked while it is handled, an
 * e-mail already sent or held is skipped, and the provider gets the row's idempotency key so a
 * send repeated after a crash is not delivered twice.
 */
export async function deliverEmail(
  deps: EmailDeliverDeps,
  payload: JobPayload<'email-deliver'>,
): Promise<DeliveryOutcome> {
  const outcome = await deps.em
    .fork()
    .transactional(async (em): Promise<DeliveryOutcome | { retry: string }> => {
      const row = await em.findOne(
        EmailOutboxSchema,
        { id: payload.outboxId },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      )
      if (!row) {
        deps.logger.warn(
          { outboxId: payload.outboxId },
          'email job for a missing outbox row; nothing to do',
        )
        return 'skipped'
      }
      if (row.status !== 'pending') return 'skipped'
      if (!deps.mailer.delivers) {
        row.status = 'held'
        return 'held'
      }
      row.attempts += 1
      const result = await deps.mailer.send({
        from: deps.from,
        to: row.toAddress,
        subject: row.subject,
        text: row.bodyText,
        ...(row.bodyHtml ? { html: row.bodyHtml } : {}),
        idempotencyKey: row.idempotencyKey,
      })
      if (result.ok) {
        row.status = 'sent'
        row.providerMessageId = result.providerId
        row.deliveredAt = new Date()
        row.lastError = null
        deps.logger.info({ outboxId: row.id, kind: row.kind }, 'email sent')
        return 'sent'
      }
      row.lastError = result.error.slice(0, 2000)
      if (!result.retryable) {
        row.status = 'failed'
        deps.logger.error({ outboxId: row.id, error: result.error }, 'email refused by provider')
        return 'failed'
      }
      return { retry: result.error }
    })
  // The attempt is committed first; throwing then makes pg-boss retry with backoff.
  if (typeof outcome === 'object') throw new RetryableDeliveryError(outcome.retry)
  return outcome
}

export class RetryableDeliveryError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RetryableDeliveryError'
  }
}
