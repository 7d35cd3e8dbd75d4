import { describe, expect, it } from 'vitest'
import { cookieName, cookiesAreSecure } from './cookies.server'

describe('cookiesAreSecure', () => {
  it.each([
    ['https://incidents.example.com', 'production', true],
    ['https://incidents.example.com', 'development', true],
    ['https://localhost:3000', 'test', true],
    ['http://localhost:3000', 'production', false],
    ['http://127.0.0.1:3000', 'production', false],
    ['http://[::1]:3000', 'production', false],
    ['http://localhost:3000', 'development', false],
    ['http://incidents.internal:3000', 'development', false],
    // Plain http on a real address in production would send the session in clear: Secure anyway.
    ['http://incidents.internal:3000', 'production', true],
  ])('APP_URL %s in %s → Secure: %s', (APP_URL, NODE_ENV, secure) => {
    expect(cookiesAreSecure({ APP_URL, NODE_ENV })).toBe(secure)
  })
})

describe('cookieName', () => {
  it('prefixes __Host- exactly when the cookie is Secure', () => {
    expect(cookieName('session', true)).toBe('__Host-session')
    expect(cookieName('session', false)).toBe('session')
  })
})
