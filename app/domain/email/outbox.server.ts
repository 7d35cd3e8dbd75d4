import type { EntityManager } from '@mikro-orm/postgresql'
import { EmailOutboxSchema, type EmailOutbox } from '../../../db/entities/email-outbox'
import { transactionExecutor } from '../../../db/transaction'
import { sendJob, type PgBoss } from '~/queue/send.server'

export interface OutgoingEmail {
  organizationId: string
  kind: string
  to: string
  subject: string
  text: string
  html?: string
  /** Extra headers for the provider, e.g. `List-Unsubscribe`. */
  headers?: Record<string, string>
  /** Same key, same e-mail: a cause that runs twice queues it once. */
  idempotencyKey: string
}

/**
 * Writes the e-mail and its delivery job inside the caller's transaction. Returns the existing
 * row when the idempotency key was already used.
 */
export async function queueEmail(
  em: EntityManager,
  boss: PgBoss,
  email: OutgoingEmail,
): Promise<EmailOutbox> {
  if (!em.isInTransaction()) throw new Error('queueEmail must run inside a transaction')
  const existing = await em.findOne(EmailOutboxSchema, { idempotencyKey: email.idempotencyKey })
  if (existing) return existing
  const row = em.create(EmailOutboxSchema, {
    organizationId: email.organizationId,
    kind: email.kind,
    toAddress: email.to,
    subject: email.subject,
    bodyText: email.text,
    bodyHtml: email.html ?? null,
    headers: email.headers ?? null,
    idempotencyKey: email.idempotencyKey,
    status: 'pending',
    attempts: 0,
  })
  await em.flush()
  await sendJob(
    boss,
    'email-deliver',
    { outboxId: row.id, organizationId: email.organizationId },
    { db: await transactionExecutor(em) },
  )
  return row
}
