import { randomFillSync } from 'node:crypto'

/**
 * A version 7 UUID (RFC 9562): 48 bits of Unix time in milliseconds, then random bits. Ids made
 * later sort later, so rows keyed by them land at the right end of their primary-key index rather
 * than on a random leaf page each — what an append-only table with millions of rows wants
 * (decision 041). PostgreSQL's own `uuidv7()` exists from version 18 only; this works on every
 * supported version.
 */
export function timeOrderedUuid(ms: number = Date.now()): string {
  const bytes = randomFillSync(Buffer.alloc(16))
  bytes.writeUIntBE(ms, 0, 6)
  bytes[6] = (bytes[6]! & 0x0f) | 0x70
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
