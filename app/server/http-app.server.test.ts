import { describe, expect, it } from 'vitest'
import { loggableUrl } from './http-app.server'

describe('loggableUrl', () => {
  it('keeps a URL without a query unchanged', () => {
    expect(loggableUrl('/incidents/42')).toBe('/incidents/42')
  })

  it('redacts the values of token- and code-like parameters and keeps the others', () => {
    const logged = loggableUrl('/auth/callback?code=abc123&state=xyz&page=2')
    const params = new URLSearchParams(logged.split('?')[1])
    expect(logged.startsWith('/auth/callback?')).toBe(true)
    expect(params.get('code')).toBe('[redacted]')
    expect(params.get('state')).toBe('xyz')
    expect(params.get('page')).toBe('2')
    expect(logged).not.toContain('abc123')
  })

  it.each([
    ['token', 'reset-token-value'],
    ['access_token', 'eyJhbGciOi.secret.jwt'],
    ['api_key', 'sk_live_123'],
    ['password', 'correct-horse'],
    ['X-Amz-Signature', 'deadbeef'],
    ['TOKEN', 'upper-case-key'],
  ])('redacts %s', (key, value) => {
    const logged = loggableUrl(`/x?${key}=${encodeURIComponent(value)}&q=outage`)
    expect(logged).not.toContain(value)
    expect(logged).not.toContain(encodeURIComponent(value))
    expect(new URLSearchParams(logged.split('?')[1]).get(key)).toBe('[redacted]')
    expect(logged).toContain('q=outage')
  })

  it('redacts every repeat of a sensitive parameter', () => {
    const logged = loggableUrl('/x?token=first&token=second')
    expect(logged).not.toContain('first')
    expect(logged).not.toContain('second')
  })

  it('redacts a credential nested in a parameter that is itself a URL', () => {
    const logged = loggableUrl(
      `/login?redirectTo=${encodeURIComponent('/reset?token=nested-secret&x=1')}`,
    )
    expect(logged).not.toContain('nested-secret')
    const inner = new URLSearchParams(logged.slice(logged.indexOf('?') + 1)).get('redirectTo') ?? ''
    expect(new URLSearchParams(inner.slice(inner.indexOf('?') + 1)).get('token')).toBe('[redacted]')
    expect(inner.startsWith('/reset?')).toBe(true)
  })

  it('redacts the secret segment of invitation and webhook paths', () => {
    expect(loggableUrl('/invitations/abcDEF123_-secret')).toBe('/invitations/[redacted]')
    expect(loggableUrl('/hooks/alertmanager/tok3n?x=1')).toBe('/hooks/alertmanager/[redacted]?x=1')
    expect(loggableUrl('/incidents/42')).toBe('/incidents/42')
  })
})
