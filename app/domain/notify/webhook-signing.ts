import { createHmac, randomBytes } from 'node:crypto'

/**
 * Outgoing webhooks are signed the Standard Webhooks way (standardwebhooks.com), so receivers can
 * verify them with any of its reference libraries: an HMAC-SHA256 over `id.timestamp.body`, keyed
 * with the endpoint's secret, sent as `webhook-signature: v1,<base64>` next to `webhook-id` and
 * `webhook-timestamp`.
 */

export const SECRET_PREFIX = 'whsec_'
const SECRET_BYTES = 32
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/** A new endpoint secret: `whsec_` and the base64 of 32 random bytes. */
export function newSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`
}

/** A message id, stable across every attempt to deliver one message: `msg_` and 32 hex digits. */
export function newMessageId(): string {
  return `msg_${randomBytes(16).toString('hex')}`
}

/** The HMAC key a secret stands for; throws for anything that is not a usable secret. */
export function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0)
    throw new Error('A webhook secret is "whsec_" followed by base64')
  const key = Buffer.from(encoded, 'base64')
  if (key.length < 24 || key.length > 64)
    throw new Error('A webhook secret must hold between 24 and 64 bytes')
  return key
}

export interface SignInput {
  /** The message id (`webhook-id`). */
  id: string
  /** Unix time in whole seconds (`webhook-timestamp`). */
  timestamp: number
  /** The exact request body that is sent. */
  body: string
  secret: string
}

/** The `webhook-signature` header value: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export function sign({ id, timestamp, body, secret }: SignInput): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    throw new Error('The timestamp is whole seconds since the epoch')
  const mac = createHmac('sha256', secretKey(secret))
    .update(`${id}.${timestamp}.${body}`, 'utf8')
    .digest('base64')
  return `v1,${mac}`
}

/** The three signature headers for one delivery attempt. */
export function signatureHeaders(input: SignInput): Record<string, string> {
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestamp),
    'webhook-signature': sign(input),
  }
}
