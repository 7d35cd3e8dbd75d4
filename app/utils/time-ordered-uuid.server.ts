import { randomFillSync } from 'node:crypto'

/** Two lowercase hex digits per byte value. */
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'))

/** The UUID text of 16 bytes of `bytes` from `at`: 8-4-4-4-12 hex digits. */
function uuidText(bytes: Uint8Array, at: number) {
  let text = ''
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text += '-'
    text += HEX[bytes[at + i]!]
  }
  return text
}

/**
 * A version 7 UUID (RFC 9562): 48 bits of Unix time in milliseconds, then random bits. Ids made
 * later sort later, so rows keyed by them land at the right end of their primary-key index rather
 * than on a random leaf page each — what an append-only table with millions of rows wants
 * (decision 041). PostgreSQL's own `uuidv7()` exists from version 18 only; this works on every
 * supported version.
 */
export function timeOrderedUuid(ms: number = Date.now()): string {
  return timeOrderedUuids(1, ms)[0]!
}

/**
 * `count` version 7 UUIDs of the same millisecond, from one draw of random bytes: what a batch of
 * appended events needs, without a call into the random generator per id (decision 043).
 */
export function timeOrderedUuids(count: number, ms: number = Date.now()): string[] {
  const bytes = randomFillSync(Buffer.alloc(16 * count))
  const ids = new Array<string>(count)
  for (let k = 0; k < count; k++) {
    const at = 16 * k
    bytes.writeUIntBE(ms, at, 6)
    bytes[at + 6] = (bytes[at + 6]! & 0x0f) | 0x70
    bytes[at + 8] = (bytes[at + 8]! & 0x3f) | 0x80
    ids[k] = uuidText(bytes, at)
  }
  return ids
}
