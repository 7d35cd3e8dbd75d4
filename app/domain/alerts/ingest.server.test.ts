import { describe, expect, it } from 'vitest'
import { findNul, isJsonContentType } from './ingest.server'

describe('isJsonContentType', () => {
  it('accepts JSON media types with or without parameters', () => {
    for (const value of [
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/vnd.pagerduty+json',
    ])
      expect(isJsonContentType(value)).toBe(true)
  })

  it('refuses anything else', () => {
    for (const value of [undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'json'])
      expect(isJsonContentType(value)).toBe(false)
  })
})

describe('findNul', () => {
  it('names the path of the first string or key holding U+0000', () => {
    expect(findNul({ a: [{ b: 'ok' }, { c: 'x\u0000y' }] })).toBe('a.1.c')
    expect(findNul({ 'k\u0000': 1 })).toBe('k\\u0000')
    expect(findNul('\u0000')).toBe('')
  })

  it('is null for clean documents, however deeply nested', () => {
    expect(findNul({ a: 'fine', b: [1, true, null, { c: 'also fine' }] })).toBeNull()
    let deep: unknown = 'bottom'
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(findNul(deep)).toBeNull()
  })
})
