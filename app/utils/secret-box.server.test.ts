import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  openSecret,
  parseSecretsKey,
  SealedSecretError,
  sealSecret,
  secretsKeyOf,
} from './secret-box.server'

const key = randomBytes(32)

describe('sealSecret / openSecret', () => {
  it('opens what it sealed, and seals the same text differently each time', () => {
    const token = 'xoxb-1234-5678-abcdefghijklmnop'
    const first = sealSecret(token, key)
    const second = sealSecret(token, key)
    expect(first).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(first).not.toContain(token)
    expect(first).not.toBe(second)
    expect(openSecret(first, key)).toBe(token)
    expect(openSecret(second, key)).toBe(token)
    expect(openSecret(sealSecret('', key), key)).toBe('')
    expect(openSecret(sealSecret('ünïcødé ✓', key), key)).toBe('ünïcødé ✓')
  })

  it('refuses a changed ciphertext, tag or IV', () => {
    const sealed = sealSecret('signing-secret-value', key)
    const parts = sealed.split('.')
    for (const index of [1, 2, 3]) {
      const bytes = Buffer.from(parts[index]!, 'base64url')
      bytes[0] = bytes[0]! ^ 1
      const changed = parts.with(index, bytes.toString('base64url')).join('.')
      expect(() => openSecret(changed, key)).toThrow(SealedSecretError)
    }
  })

  it('refuses a wrong key', () => {
    const sealed = sealSecret('xoxb-secret', key)
    expect(() => openSecret(sealed, randomBytes(32))).toThrow(SealedSecretError)
  })

  it('refuses text that is not a sealed secret', () => {
    for (const text of ['', 'xoxb-plain', 'v2.a.b.c', 'v1.a.b', 'v1.AAAA.AAAA.AAAA'])
      expect(() => openSecret(text, key)).toThrow(SealedSecretError)
  })
})

describe('secretsKeyOf', () => {
  it('reads 64 hex characters or base64 of 32 bytes', () => {
    const raw = randomBytes(32)
    expect(parseSecretsKey(raw.toString('hex'))).toEqual(raw)
    expect(parseSecretsKey(raw.toString('base64'))).toEqual(raw)
    expect(parseSecretsKey(raw.toString('base64url'))).toEqual(raw)
    expect(parseSecretsKey(randomBytes(16).toString('base64'))).toBeNull()
    expect(parseSecretsKey('not a key at all')).toBeNull()
    expect(
      secretsKeyOf({ SECRETS_ENCRYPTION_KEY: raw.toString('hex'), SESSION_SECRET: 's' }),
    ).toEqual({
      key: raw,
      derived: false,
    })
  })

  it('derives a stable key from SESSION_SECRET when none is set', () => {
    const a = secretsKeyOf({ SESSION_SECRET: 'one-session-secret-of-enough-length' })
    const b = secretsKeyOf({ SESSION_SECRET: 'one-session-secret-of-enough-length' })
    const c = secretsKeyOf({ SESSION_SECRET: 'another-session-secret-of-enough-length' })
    expect(a.derived).toBe(true)
    expect(a.key).toHaveLength(32)
    expect(a.key).toEqual(b.key)
    expect(a.key).not.toEqual(c.key)
    expect(() => openSecret(sealSecret('x', a.key), c.key)).toThrow(SealedSecretError)
  })

  it('refuses a malformed SECRETS_ENCRYPTION_KEY instead of falling back', () => {
    expect(() => secretsKeyOf({ SECRETS_ENCRYPTION_KEY: 'short', SESSION_SECRET: 's' })).toThrow(
      /SECRETS_ENCRYPTION_KEY/,
    )
  })
})
