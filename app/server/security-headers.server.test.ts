import { describe, expect, it } from 'vitest'
import { contentSecurityPolicy, createNonce } from './security-headers.server'

function directives(policy: string) {
  return new Map(
    policy.split(';').map((part) => {
      const [name = '', ...values] = part.trim().split(/\s+/)
      return [name, values] as const
    }),
  )
}

describe('contentSecurityPolicy', () => {
  const nonce = createNonce()

  it('allows scripts only from self and with the response nonce', () => {
    const scriptSrc = directives(contentSecurityPolicy(nonce, { development: false })).get(
      'script-src',
    )
    expect(scriptSrc).toContain(`'nonce-${nonce}'`)
    expect(scriptSrc).not.toContain("'unsafe-inline'")
    expect(scriptSrc).not.toContain("'unsafe-eval'")
  })

  it('never allows eval anywhere, and forbids framing, plugins and foreign form targets', () => {
    for (const development of [false, true]) {
      const policy = contentSecurityPolicy(nonce, { development })
      expect(policy).not.toContain("'unsafe-eval'")
      const map = directives(policy)
      expect(map.get('frame-ancestors')).toEqual(["'none'"])
      expect(map.get('object-src')).toEqual(["'none'"])
      expect(map.get('form-action')).toEqual(["'self'"])
      expect(map.get('default-src')).toEqual(["'self'"])
    }
  })

  it('opens connect-src to the live-reload websocket in development only', () => {
    const production = directives(contentSecurityPolicy(nonce, { development: false }))
    const development = directives(contentSecurityPolicy(nonce, { development: true }))
    expect(production.get('connect-src')).toEqual(["'self'"])
    expect(development.get('connect-src')?.some((source) => source.startsWith('ws:'))).toBe(true)
    for (const [name, values] of development) {
      if (name !== 'connect-src') expect(values.join(' ')).not.toContain('ws:')
    }
  })
})

describe('createNonce', () => {
  it('makes a different base64 value of 128 bits each time', () => {
    const nonces = new Set(Array.from({ length: 50 }, () => createNonce()))
    expect(nonces.size).toBe(50)
    for (const nonce of nonces) {
      expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/)
      expect(Buffer.from(nonce, 'base64')).toHaveLength(16)
    }
  })
})
