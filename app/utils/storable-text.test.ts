import { describe, expect, it } from 'vitest'
import { findUnstorableText, isStorableText } from './storable-text'
import * as z from './zod'

describe('isStorableText', () => {
  it('refuses NUL and surrogates without their partner', () => {
    for (const value of ['a\u0000b', '\u0000', 'ab\ud800c', 'ab\udc00', '\udfff\ud800', 'x\ud83d'])
      expect(isStorableText(value), JSON.stringify(value)).toBe(false)
  })

  it('accepts ordinary text, emoji (a surrogate pair) and other control characters', () => {
    for (const value of ['', 'Checkout errors', 'Zoë 🚒 日本', '\t\n\u0001\u001f', '\ud83d\ude92'])
      expect(isStorableText(value), JSON.stringify(value)).toBe(true)
  })
})

describe('findUnstorableText', () => {
  it('names the path of the first string or key that cannot be stored', () => {
    expect(findUnstorableText({ a: [{ b: 'ok' }, { c: 'x\u0000y' }] })).toBe('a.1.c')
    expect(findUnstorableText({ a: { b: 'ab\ud800c' } })).toBe('a.b')
    expect(findUnstorableText({ 'k\u0000': 1 })).toBe('k\\u0000')
    expect(findUnstorableText({ ['k\udc00']: 1 })).toBe('k\\udc00')
    expect(findUnstorableText('\u0000')).toBe('')
  })

  it('is null for clean documents, however deeply nested', () => {
    expect(findUnstorableText({ a: 'fine', b: [1, true, null, { c: 'also 🚒' }] })).toBeNull()
    let deep: unknown = 'bottom'
    for (let i = 0; i < 100_000; i++) deep = [deep]
    expect(findUnstorableText(deep)).toBeNull()
  })
})

describe('z.string() of the app', () => {
  const schema = z.object({ name: z.string().trim().min(1).max(20) })

  it('answers a field error for text that cannot be stored', () => {
    const result = schema.safeParse({ name: 'db\u0000' })
    expect(result.success).toBe(false)
    expect(result.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['name', expect.stringContaining('NUL character')],
    ])
  })

  it('keeps the other checks and transforms', () => {
    expect(schema.parse({ name: '  payments  ' })).toEqual({ name: 'payments' })
    expect(schema.safeParse({ name: '' }).success).toBe(false)
  })
})
