import { describe, expect, it } from 'vitest'
import { isUuid } from './uuid'
import { timeOrderedUuid, timeOrderedUuids } from './time-ordered-uuid.server'

describe('timeOrderedUuid', () => {
  it('is a version 7, RFC 9562 variant UUID carrying its millisecond time first', () => {
    const ms = Date.UTC(2026, 11, 7, 1, 30, 0, 123)
    const id = timeOrderedUuid(ms)
    expect(isUuid(id)).toBe(true)
    expect(id[14]).toBe('7')
    expect(['8', '9', 'a', 'b']).toContain(id[19])
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(ms)
  })

  it('sorts ids of later milliseconds after earlier ones, as text and as PostgreSQL compares uuids', () => {
    const ids = [5, 1, 3, 2, 4].map((k) => timeOrderedUuid(1_800_000_000_000 + k))
    expect([...ids].sort()).toEqual([1, 2, 3, 4, 5].map((k) => ids[[5, 1, 3, 2, 4].indexOf(k)]))
  })

  it('differs between ids of the same millisecond', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => timeOrderedUuid(1_800_000_000_000)))
    expect(ids.size).toBe(1000)
  })
})

describe('timeOrderedUuids', () => {
  it('gives as many distinct version 7 ids of that millisecond as asked for', () => {
    const ms = Date.UTC(2026, 11, 7, 4, 0, 0, 7)
    const ids = timeOrderedUuids(500, ms)
    expect(ids).toHaveLength(500)
    expect(new Set(ids).size).toBe(500)
    for (const id of ids) {
      expect(isUuid(id)).toBe(true)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(ms)
    }
  })

  it('gives nothing for a count of nothing', () => {
    expect(timeOrderedUuids(0)).toEqual([])
  })
})
