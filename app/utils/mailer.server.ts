import { Resend } from 'resend'

export interface MailMessage {
  from: string
  to: string
  subject: string
  text: string
  html?: string
  idempotencyKey: string
}

export type MailResult =
  { ok: true; providerId: string } | { ok: false; error: string; retryable: boolean }

export interface Mailer {
  /** False when e-mails are kept in the outbox instead of sent (no provider configured). */
  readonly delivers: boolean
  send(message: MailMessage): Promise<MailResult>
}

/** Keeps e-mails in the outbox table, readable at /dev/outbox; used when no provider is set. */
export const outboxOnlyMailer: Mailer = {
  delivers: false,
  send: async () => ({ ok: false, error: 'no e-mail provider configured', retryable: false }),
}

export function resendMailer(apiKey: string, baseUrl?: string, timeoutMs = 10_000): Mailer {
  const client = new Resend(apiKey, baseUrl ? { baseUrl } : undefined)
  return {
    delivers: true,
    async send(message) {
      // The SDK never throws for API errors; it answers { data, error }. It has no timeout of its
      // own, so one is imposed here.
      try {
        const { data, error } = await client.emails.send(
          {
            from: message.from,
            to: [message.to],
            subject: message.subject,
            text: message.text,
            ...(message.html ? { html: message.html } : {}),
          },
          { idempotencyKey: message.idempotencyKey, signal: AbortSignal.timeout(timeoutMs) },
        )
        if (error) {
          const status = (error as { statusCode?: number }).statusCode ?? 0
          return {
            ok: false,
            error: `${error.name}: ${error.message}`,
            // 409: the same idempotency key is still being processed by Resend; ask again later.
            retryable: status === 0 || status === 409 || status === 429 || status >= 500,
          }
        }
        return { ok: true, providerId: data?.id ?? '' }
      } catch (error) {
        return { ok: false, error: String(error), retryable: true }
      }
    },
  }
}

export function createMailer(env: { RESEND_API_KEY?: string; RESEND_BASE_URL?: string }): Mailer {
  return env.RESEND_API_KEY
    ? resendMailer(env.RESEND_API_KEY, env.RESEND_BASE_URL)
    : outboxOnlyMailer
}
