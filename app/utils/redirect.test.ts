import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { loginUrlFor, safeRedirect } from './redirect'

describe('safeRedirect', () => {
  it.each([
    ['https://evil.example/x', 'an absolute URL'],
    ['http://evil.example', 'an absolute http URL'],
    ['//evil.example', 'a protocol-relative URL'],
    ['//evil.example/path', 'a protocol-relative URL with a path'],
    ['/\\evil.example', 'a slash-backslash URL (browsers read it as //)'],
    ['/\\/evil.example', 'slash, backslash, slash'],
    ['/x\\..\\\\evil.example', 'a backslash anywhere'],
    ['javascript:alert(1)', 'a javascript: URL'],
    ['evil.example', 'a relative path without a leading slash'],
    ['/\tevil', 'a tab'],
    ['', 'an empty string'],
    ['/ok\nLocation: https://evil.example', 'a raw newline (header injection)'],
  ])('refuses %j (%s)', (target) => {
    expect(safeRedirect(target, '/fallback')).toBe('/fallback')
  })

  it('keeps a percent-encoded character as part of a same-site path', () => {
    expect(safeRedirect('/%0a/evil')).toBe('/%0a/evil')
  })

  it('refuses non-strings and overlong values', () => {
    expect(safeRedirect(null)).toBe('/')
    expect(safeRedirect(undefined)).toBe('/')
    expect(safeRedirect(new File([], 'x'))).toBe('/')
    expect(safeRedirect(`/${'a'.repeat(2000)}`)).toBe('/')
  })

  it('keeps a same-site path with its query and hash', () => {
    expect(safeRedirect('/admin/members?x=1#top')).toBe('/admin/members?x=1#top')
  })

  it('normalises dot segments but never leaves the site', () => {
    expect(safeRedirect('/a/../b')).toBe('/b')
    expect(safeRedirect('/../../etc')).toBe('/etc')
  })

  it('never returns anything but a single-slash path, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (target) => {
        const result = safeRedirect(target, '/')
        expect(result.startsWith('/')).toBe(true)
        expect(result.startsWith('//')).toBe(false)
        expect(result).not.toContain('\\')
        expect(new URL(result, 'https://app.example').origin).toBe('https://app.example')
      }),
      { numRuns: 2000 },
    )
  })
})

describe('loginUrlFor', () => {
  it('sends the user back to the path and query they asked for', () => {
    expect(loginUrlFor(new Request('http://localhost:3000/admin/members'))).toBe(
      '/login?redirectTo=%2Fadmin%2Fmembers',
    )
    expect(loginUrlFor(new Request('http://localhost:3000/account?tab=sessions'))).toBe(
      '/login?redirectTo=%2Faccount%3Ftab%3Dsessions',
    )
  })

  it('adds nothing for the home page', () => {
    expect(loginUrlFor(new Request('http://localhost:3000/'))).toBe('/login')
  })
})
