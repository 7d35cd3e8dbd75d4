import { defineEntity, type InferEntity } from '@mikro-orm/core'

export const EMAIL_STATUSES = ['pending', 'sent', 'held', 'failed', 'dead'] as const
export type EmailStatus = (typeof EMAIL_STATUSES)[number]

/**
 * An e-mail is a row written in the same transaction as whatever caused it; the worker delivers
 * it. `idempotencyKey` makes a cause that runs twice produce one e-mail.
 */
export const EmailOutboxSchema = defineEntity({
  name: 'EmailOutbox',
  tableName: 'email_outbox',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    kind: p.string().length(64),
    toAddress: p.string().length(320).fieldName('to_address'),
    subject: p.string().length(300),
    bodyText: p.text().fieldName('body_text'),
    bodyHtml: p.text().nullable().fieldName('body_html'),
    /** Extra headers for the provider (`List-Unsubscribe`), since migration 0023. */
    headers: p.json<Record<string, string>>().nullable(),
    idempotencyKey: p.string().length(200).unique().fieldName('idempotency_key'),
    status: p.enum([...EMAIL_STATUSES]).default('pending'),
    attempts: p.integer().default(0),
    lastError: p.text().nullable().fieldName('last_error'),
    providerMessageId: p.string().length(200).nullable().fieldName('provider_message_id'),
    createdAt: p
      .datetime()
      .defaultRaw('now()')
      .onCreate(() => new Date())
      .fieldName('created_at'),
    deliveredAt: p.datetime().nullable().fieldName('delivered_at'),
  }),
})

export type EmailOutbox = InferEntity<typeof EmailOutboxSchema>
