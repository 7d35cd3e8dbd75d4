import { createHash, randomBytes } from 'node:crypto'

/** A random, URL-safe secret (256 bits) for cookies and links. */
export function newToken() {
  return randomBytes(32).toString('base64url')
}

/** What the database keeps instead of the secret itself. */
export function tokenHash(token: string) {
  return createHash('sha256').update(token).digest('hex')
}
