import { describe, expect, it } from 'vitest'
import { timelineWindowFrom, timelineWindowQuery } from './timeline.server'

const windowOf = (query: string) =>
  timelineWindowFrom(new URL(`http://app.test/incidents/7${query}`))

describe('timelineWindowFrom', () => {
  it('reads the newest entries, a page before or after a seq, or the full timeline', () => {
    expect(windowOf('')).toEqual({ kind: 'newest' })
    expect(windowOf('?before=923')).toEqual({ kind: 'before', seq: 923 })
    expect(windowOf('?after=922')).toEqual({ kind: 'after', seq: 922 })
    expect(windowOf('?timeline=all&before=5')).toEqual({ kind: 'all' })
  })

  it('falls back to the newest entries for a cursor that is not a seq', () => {
    for (const query of [
      '?before=',
      '?before=-3',
      '?before=1e3',
      '?after=x',
      '?before=99999999999',
    ])
      expect(windowOf(query), query).toEqual({ kind: 'newest' })
  })

  it('gives back the query of each window', () => {
    for (const query of ['', 'before=923', 'after=922', 'timeline=all'])
      expect(timelineWindowQuery(windowOf(query ? `?${query}` : ''))).toBe(query)
  })
})
