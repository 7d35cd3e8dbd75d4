import { createCookie } from '@remix-run/node'
import { describe, expect, it } from 'vitest'
import { clearSessionCookie, readSessionToken, sessionProblem } from './session.server'

const env = {
  APP_URL: 'http://localhost:3000',
  NODE_ENV: 'test',
  SESSION_SECRET: 'a-test-secret-that-is-long-enough-0123',
  SESSION_IDLE_MINUTES: 60,
  SESSION_MAX_DAYS: 30,
}

function attributes(setCookie: string) {
  const [pair, ...rest] = setCookie.split(';').map((part) => part.trim())
  return { pair, attributes: rest.map((a) => a.toLowerCase()) }
}

describe('the session cookie', () => {
  it('is HttpOnly, SameSite=Lax, Path=/ and not Secure on http://localhost', async () => {
    const { pair, attributes: attrs } = attributes(await clearSessionCookie(env))
    expect(pair).toMatch(/^session=/)
    expect(attrs).toEqual(expect.arrayContaining(['httponly', 'samesite=lax', 'path=/']))
    expect(attrs).not.toContain('secure')
  })

  it('is __Host- prefixed and Secure when APP_URL is https', async () => {
    const secure = { ...env, APP_URL: 'https://incidents.example.com' }
    const { pair, attributes: attrs } = attributes(await clearSessionCookie(secure))
    expect(pair).toMatch(/^__Host-session=/)
    expect(attrs).toEqual(expect.arrayContaining(['httponly', 'samesite=lax', 'path=/', 'secure']))
    // __Host- cookies must not name a Domain.
    expect(attrs.some((a) => a.startsWith('domain='))).toBe(false)
  })

  it('expires the cookie when clearing it', async () => {
    const { attributes: attrs } = attributes(await clearSessionCookie(env))
    expect(attrs).toContain('max-age=0')
  })
})

describe('readSessionToken', () => {
  const token = 'A'.repeat(43)

  it('reads a token from a cookie signed with the secret', async () => {
    const signed = await createCookie('session', { secrets: [env.SESSION_SECRET] }).serialize(token)
    const request = new Request('http://localhost:3000/', {
      headers: { Cookie: signed.split(';')[0]! },
    })
    expect(await readSessionToken(request, env)).toBe(token)
  })

  it('ignores a cookie signed with another secret, an unsigned one, and a malformed token', async () => {
    const forged = await createCookie('session', { secrets: ['another-secret'] }).serialize(token)
    const unsigned = await createCookie('session').serialize(token)
    const malformed = await createCookie('session', { secrets: [env.SESSION_SECRET] }).serialize(
      'short',
    )
    for (const setCookie of [forged, unsigned, malformed]) {
      const request = new Request('http://localhost:3000/', {
        headers: { Cookie: setCookie.split(';')[0]! },
      })
      expect(await readSessionToken(request, env)).toBeNull()
    }
    expect(await readSessionToken(new Request('http://localhost:3000/'), env)).toBeNull()
  })

  it('reads the same header again only under the secret that signed it', async () => {
    const signed = await createCookie('session', { secrets: [env.SESSION_SECRET] }).serialize(token)
    const request = () =>
      new Request('http://localhost:3000/', { headers: { Cookie: signed.split(';')[0]! } })
    expect(await readSessionToken(request(), env)).toBe(token)
    expect(await readSessionToken(request(), env)).toBe(token)
    // A header verified under one secret is checked again, and refused, under another.
    const rotated = { ...env, SESSION_SECRET: 'another-secret-that-is-long-enough-0123' }
    expect(await readSessionToken(request(), rotated)).toBeNull()
    expect(await readSessionToken(request(), env)).toBe(token)
  })

  it('still refuses a forged header after reading a good one for the same token', async () => {
    const signed = await createCookie('session', { secrets: [env.SESSION_SECRET] }).serialize(token)
    const forged = await createCookie('session', { secrets: ['another-secret'] }).serialize(token)
    const read = (setCookie: string) =>
      readSessionToken(
        new Request('http://localhost:3000/', { headers: { Cookie: setCookie.split(';')[0]! } }),
        env,
      )
    expect(await read(signed)).toBe(token)
    expect(await read(forged)).toBeNull()
    expect(await read(forged)).toBeNull()
  })
})

describe('sessionProblem', () => {
  const now = new Date('2025-06-01T12:00:00Z')
  const minutes = (n: number) => new Date(now.getTime() + n * 60_000)
  const good = { revokedAt: null, expiresAt: minutes(60 * 24), lastSeenAt: minutes(-5) }

  it('accepts a session seen recently and not yet expired', () => {
    expect(sessionProblem(good, env, now)).toBeNull()
  })

  it('refuses a revoked session', () => {
    expect(sessionProblem({ ...good, revokedAt: minutes(-1) }, env, now)).toBe('revoked')
  })

  it('refuses a session at or past its absolute expiry', () => {
    expect(sessionProblem({ ...good, expiresAt: now }, env, now)).toBe('expired')
    expect(sessionProblem({ ...good, expiresAt: minutes(-1) }, env, now)).toBe('expired')
  })

  it('refuses a session idle for longer than SESSION_IDLE_MINUTES, and only then', () => {
    expect(sessionProblem({ ...good, lastSeenAt: minutes(-60) }, env, now)).toBeNull()
    expect(sessionProblem({ ...good, lastSeenAt: minutes(-61) }, env, now)).toBe('idle')
  })
})
