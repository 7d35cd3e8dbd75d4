import { describe, expect, it } from 'vitest'
import { splitForLanes, type SweepChunk } from './lanes'

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`)
const sizes = (chunks: SweepChunk[]) => chunks.map((c) => [c.organizationId, c.ids.length])

describe('splitForLanes', () => {
  it('halves one organization’s thousand due incidents into two disjoint chunks for two lanes', () => {
    const all = ids('a', 1000)
    const chunks = [{ organizationId: 'A', ids: [...all] }]
    splitForLanes(chunks, 2, 250)
    expect(sizes(chunks)).toEqual([
      ['A', 500],
      ['A', 500],
    ])
    expect([...chunks[0]!.ids, ...chunks[1]!.ids]).toEqual(all)
  })

  it('leaves a due set smaller than two minimum chunks in one transaction', () => {
    const chunks = [{ organizationId: 'A', ids: ids('a', 499) }]
    splitForLanes(chunks, 2, 250)
    expect(sizes(chunks)).toEqual([['A', 499]])
  })

  it('splits nothing when the organizations already fill the lanes', () => {
    const chunks = [
      { organizationId: 'A', ids: ids('a', 900) },
      { organizationId: 'B', ids: ids('b', 3) },
    ]
    splitForLanes(chunks, 2, 250)
    expect(sizes(chunks)).toEqual([
      ['A', 900],
      ['B', 3],
    ])
  })

  it('splits the largest chunk first, each half keeping its organization, until every lane has one', () => {
    const chunks = [
      { organizationId: 'A', ids: ids('a', 600) },
      { organizationId: 'B', ids: ids('b', 1000) },
    ]
    splitForLanes(chunks, 4, 250)
    expect(sizes(chunks)).toEqual([
      ['A', 300],
      ['A', 300],
      ['B', 500],
      ['B', 500],
    ])
  })

  it('does nothing with one lane or no chunks', () => {
    const one = [{ organizationId: 'A', ids: ids('a', 1000) }]
    splitForLanes(one, 1, 250)
    expect(sizes(one)).toEqual([['A', 1000]])
    const none: SweepChunk[] = []
    splitForLanes(none, 2, 250)
    expect(none).toEqual([])
  })
})
