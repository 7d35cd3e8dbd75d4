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

  it.each([
    ['/.//evil.example', 'a dot segment before a double slash'],
    ['/..//evil.example', 'a parent segment before a double slash'],
    ['/a/..//evil.example', 'a segment and its parent before a double slash'],
    ['/%2e//evil.example', 'an encoded dot segment'],
    ['/%2E%2E//evil.example', 'an encoded parent segment in capitals'],
    ['/a/%2e%2e//evil.example/x?y=1#z', 'an encoded parent segment with query and hash'],
    ['/./\\evil.example', 'a dot segment before a backslash'],
    ['/.//\tevil.example', 'a dot segment before a double slash and a tab'],
  ])('refuses %j, which normalises to another host (%s)', (target) => {
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

describe('safeRedirect on paths built from dot segments, slashes and encodings', () => {
  const piece = fc.constantFrom(
    '/',
    '//',
    '.',
    '..',
    '%2e',
    '%2E',
    '%2e%2e',
    '\\',
    '%5c',
    '%2f',
    'a',
    'evil.example',
    '?',
    '#',
    '\t',
    '%09',
  )
  it('never answers a path a browser would send to another host', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const result = safeRedirect(`/${pieces.join('')}`, '/fallback')
        expect(result.startsWith('//')).toBe(false)
        expect(result.startsWith('/\\')).toBe(false)
        const resolved = new URL(result, 'https://app.example')
        expect(resolved.origin).toBe('https://app.example')
        expect(`${resolved.pathname}${resolved.search}${resolved.hash}`).toBe(result)
      }),
      { numRuns: 3000, seed: 20261206 },
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
