import { describe, expect, it } from 'vitest'
import {
  PASSWORD_MAX,
  PASSWORD_MIN,
  hashPassword,
  passwordProblem,
  verifyPassword,
} from './password.server'

describe('passwordProblem', () => {
  it('refuses a password shorter than 12 characters', () => {
    expect(PASSWORD_MIN).toBe(12)
    expect(passwordProblem('Xk9#vB2$qL7')).toBe('Use at least 12 characters.')
  })

  it('accepts exactly 12 and exactly 128 characters of something uncommon', () => {
    expect(passwordProblem('Xk9#vB2$qL7!')).toBeNull()
    expect(passwordProblem('aB3$'.repeat(32))).toBeNull()
  })

  it('refuses a password longer than 128 characters', () => {
    expect(PASSWORD_MAX).toBe(128)
    expect(passwordProblem('aB3$'.repeat(32) + 'x')).toBe('Use at most 128 characters.')
  })

  it.each(['qwerty123456', 'password1234', 'QWERTY123456'])(
    'refuses the commonly used password %s, whatever its case',
    (password) => {
      expect(passwordProblem(password)).toMatch(/commonly used passwords/)
    },
  )

  it('refuses one repeated character', () => {
    expect(passwordProblem('aaaaaaaaaaaaaaaa')).toMatch(/repeated character/)
  })

  it('refuses a password containing the local part of the e-mail address', () => {
    expect(
      passwordProblem('grace.hopper-was-here', { email: 'grace.hopper@example.test' }),
    ).toMatch(/e-mail address/)
    // A local part under four characters is too short to mean anything.
    expect(passwordProblem('jo-correct-horse-battery', { email: 'jo@example.test' })).toBeNull()
  })

  it('accepts a long, uncommon passphrase', () => {
    expect(passwordProblem('correct horse battery staple 42')).toBeNull()
  })
})

describe('hashPassword and verifyPassword', () => {
  it('stores an argon2id hash that verifies only the same password', async () => {
    const stored = await hashPassword('correct horse battery staple 42')
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
    expect(stored).not.toContain('correct horse')
    expect(await verifyPassword(stored, 'correct horse battery staple 42')).toBe(true)
    expect(await verifyPassword(stored, 'correct horse battery staple 43')).toBe(false)
  })

  it('answers false (after a dummy verification) when there is no stored hash or it is garbage', async () => {
    expect(await verifyPassword(null, 'anything at all 123')).toBe(false)
    expect(await verifyPassword(undefined, 'anything at all 123')).toBe(false)
    expect(await verifyPassword('not-a-hash', 'anything at all 123')).toBe(false)
  })
})
