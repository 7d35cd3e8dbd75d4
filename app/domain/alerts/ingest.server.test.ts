import { describe, expect, it } from 'vitest'
import { isJsonContentType } from './ingest.server'

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
