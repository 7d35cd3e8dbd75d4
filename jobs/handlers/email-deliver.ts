import { LockMode, type MikroORM } from '@mikro-orm/postgresql'
import { EmailOutboxSchema } from '../../db/entities/email-outbox'
import { inScope } from '../../db/tenant'
import type { Mailer } from '../../app/utils/mailer.server'
import type { Logger } from '../../app/utils/logger.server'
import type { JobPayload } from '../queues'

export interface EmailDeliverDeps {
  orm: MikroORM
  mailer: Mailer
  from: string
  logger: Logger
}

export type DeliveryOutcome = 'sent' | 'held' | 'skipped' | 'failed'

/**
 * Delivers one outbox e-mail, under its organization's tenant scope. At-least-once safe: the row
 * is locked while it is handled, an e-mail already sent or held is skipped, and the provider gets
 * the row's idempotency key so a send repeated after a crash is not delivered twice.
 */
export async function deliverEmail(
  deps: EmailDeliverDeps,
  payload: JobPayload<'email-deliver'>,
): Promise<DeliveryOutcome> {
  const outcome = await inScope(
    deps.orm,
    { organizationId: payload.organizationId },
    async (em): Promise<DeliveryOutcome | { retry: string }> => {
      const row = await em.findOne(
        EmailOutboxSchema,
        { id: payload.outboxId, organizationId: payload.organizationId },
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
      row.attempts += 1
      const result = await deps.mailer.send({
        id: row.id,
        from: deps.from,
        to: row.toAddress,
        subject: row.subject,
        text: row.bodyText,
        ...(row.bodyHtml ? { html: row.bodyHtml } : {}),
        idempotencyKey: row.idempotencyKey,
      })
      if (result.ok) {
        row.status = deps.mailer.kind === 'local' ? 'held' : 'sent'
        row.providerMessageId = result.providerId
        row.deliveredAt = new Date()
        row.lastError = null
        deps.logger.info(
          { outboxId: row.id, kind: row.kind, mailer: deps.mailer.kind },
          'email delivered',
        )
        return row.status
      }
      row.lastError = result.error.slice(0, 2000)
      if (!result.retryable) {
        row.status = 'failed'
        deps.logger.error({ outboxId: row.id, error: result.error }, 'email refused by provider')
        return 'failed'
      }
      return { retry: result.error }
    },
  )
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
