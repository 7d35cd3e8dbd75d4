import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Resend } from 'resend'

export interface MailMessage {
  id: string
  from: string
  to: string
  subject: string
  text: string
  html?: string
  headers?: Record<string, string>
  idempotencyKey: string
}

export type MailResult =
  { ok: true; providerId: string } | { ok: false; error: string; retryable: boolean }

export interface Mailer {
  /** `resend` sends for real; `local` keeps e-mails in a folder, shown at /dev/outbox. */
  readonly kind: 'resend' | 'local'
  send(message: MailMessage): Promise<MailResult>
}

export interface StoredEmail {
  id: string
  to: string
  from: string
  subject: string
  text: string
  headers?: Record<string, string>
  storedAt: string
}

/**
 * Development and test delivery when no provider is configured: one JSON file per e-mail in
 * `dir`. Files, not database rows, so the outbox page can list every organization's e-mails
 * without crossing the tenant wall. Writing the same e-mail twice overwrites one file.
 */
export function localMailer(dir: string): Mailer {
  return {
    kind: 'local',
    async send(message) {
      await mkdir(dir, { recursive: true })
      const stored: StoredEmail = {
        id: message.id,
        to: message.to,
        from: message.from,
        subject: message.subject,
        text: message.text,
        ...(message.headers ? { headers: message.headers } : {}),
        storedAt: new Date().toISOString(),
      }
      await writeFile(path.join(dir, `${message.id}.json`), JSON.stringify(stored, null, 2))
      return { ok: true, providerId: `local:${message.id}` }
    },
  }
}

/** The newest e-mails kept by `localMailer`. */
export async function readLocalOutbox(dir: string, limit = 100): Promise<StoredEmail[]> {
  let files: string[]
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.json'))
  } catch {
    return []
  }
  const emails = await Promise.all(
    files.map(async (f) => JSON.parse(await readFile(path.join(dir, f), 'utf8')) as StoredEmail),
  )
  return emails.sort((a, b) => b.storedAt.localeCompare(a.storedAt)).slice(0, limit)
}

export function resendMailer(apiKey: string, baseUrl?: string, timeoutMs = 10_000): Mailer {
  const client = new Resend(apiKey, baseUrl ? { baseUrl } : undefined)
  return {
    kind: 'resend',
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
            ...(message.headers ? { headers: message.headers } : {}),
          },
          { idempotencyKey: message.idempotencyKey, signal: AbortSignal.timeout(timeoutMs) },
        )
        if (error) {
          const status = (error as { statusCode?: number | null }).statusCode ?? 0
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

export function localOutboxDir(env: { DATA_DIR: string }) {
  return path.resolve(env.DATA_DIR, 'outbox')
}

export function createMailer(env: {
  RESEND_API_KEY?: string
  RESEND_BASE_URL?: string
  DATA_DIR: string
}): Mailer {
  return env.RESEND_API_KEY
    ? resendMailer(env.RESEND_API_KEY, env.RESEND_BASE_URL)
    : localMailer(localOutboxDir(env))
}
