import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/**
 * Secrets the application must use again later (a Slack bot token, a signing secret, a Teams
 * webhook URL) are stored sealed: AES-256-GCM with a random 12-byte IV, as the text
 * `v1.<iv>.<tag>.<ciphertext>` (base64url). The GCM tag makes a changed byte, a swapped part or
 * a wrong key fail to open instead of yielding garbage.
 */

const VERSION = 'v1'
const IV_BYTES = 12
const TAG_BYTES = 16

export class SealedSecretError extends Error {
  constructor(reason: string) {
    super(`Sealed secret cannot be opened: ${reason}`)
    this.name = 'SealedSecretError'
  }
}

export function sealSecret(plain: string, key: Buffer): string {
  checkKey(key)
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  const tag = cipher.getAuthTag()
  return [VERSION, iv, tag, ciphertext]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.')
}

export function openSecret(sealed: string, key: Buffer): string {
  checkKey(key)
  const parts = sealed.split('.')
  if (parts.length !== 4 || parts[0] !== VERSION) throw new SealedSecretError('unknown format')
  const [iv, tag, ciphertext] = parts.slice(1).map((part) => Buffer.from(part, 'base64url'))
  if (iv?.length !== IV_BYTES || tag?.length !== TAG_BYTES || !ciphertext)
    throw new SealedSecretError('unknown format')
  const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES })
  decipher.setAuthTag(tag)
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')
  } catch {
    throw new SealedSecretError('wrong key or changed text')
  }
}

function checkKey(key: Buffer) {
  if (key.length !== 32) throw new Error('A secrets key is 32 bytes')
}

/**
 * The key from `SECRETS_ENCRYPTION_KEY` (32 bytes as 64 hex characters or base64), or, when it
 * is unset, one derived from SESSION_SECRET with HKDF-SHA256 (`derived: true`: production logs a
 * warning, since rotating the session secret then makes every sealed secret unreadable).
 */
export function secretsKeyOf(env: {
  SECRETS_ENCRYPTION_KEY?: string | undefined
  SESSION_SECRET?: string | undefined
}): { key: Buffer; derived: boolean } {
  if (env.SECRETS_ENCRYPTION_KEY) {
    const key = parseSecretsKey(env.SECRETS_ENCRYPTION_KEY)
    if (!key)
      throw new Error('SECRETS_ENCRYPTION_KEY must be 32 bytes, as 64 hex characters or base64')
    return { key, derived: false }
  }
  if (!env.SESSION_SECRET)
    throw new Error('Set SECRETS_ENCRYPTION_KEY (or SESSION_SECRET) to use stored chat secrets')
  const key = Buffer.from(
    hkdfSync('sha256', env.SESSION_SECRET, 'incidentflow', 'secrets-encryption-key v1', 32),
  )
  return { key, derived: true }
}

/** 32 bytes from 64 hex characters or from base64 (standard or URL-safe), or null. */
export function parseSecretsKey(text: string): Buffer | null {
  const value = text.trim()
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex')
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return null
  const key = Buffer.from(value, 'base64')
  return key.length === 32 ? key : null
}
