import { describe, expect, it } from 'vitest'
import { parseCommittedEvents, parseLastEventId, sseMessage } from './live-events'

const ORG = '11111111-1111-4111-8111-111111111111'
const INCIDENT = '33333333-3333-4333-8333-333333333333'

describe('parseCommittedEvents', () => {
  it('reads the trigger’s payload', () => {
    const payload = JSON.stringify({
      o: ORG,
      i: INCIDENT,
      n: 7,
      p: false,
      l: 5,
      e: [
        [4, 'comment.added'],
        [5, 'status.changed'],
      ],
    })
    expect(parseCommittedEvents(payload)).toEqual({
      organizationId: ORG,
      incidentId: INCIDENT,
      number: 7,
      lastSeq: 5,
      private: false,
      events: [
        { seq: 4, type: 'comment.added' },
        { seq: 5, type: 'status.changed' },
      ],
    })
  })

  it('takes a private incident’s payload, or one that does not say, as private', () => {
    const base = { o: ORG, i: INCIDENT, n: 7, l: 5, e: null }
    expect(parseCommittedEvents(JSON.stringify({ ...base, p: true }))?.private).toBe(true)
    expect(parseCommittedEvents(JSON.stringify(base))?.private).toBe(true)
    expect(parseCommittedEvents(JSON.stringify({ ...base, p: false }))?.private).toBe(false)
  })

  it('takes a payload too long to list its events (e: null) with the last seq only', () => {
    const change = parseCommittedEvents(
      JSON.stringify({ o: ORG, i: INCIDENT, n: 7, l: 900, e: null }),
    )
    expect(change).toMatchObject({ lastSeq: 900, events: null })
  })

  it('refuses anything not of that shape', () => {
    for (const bad of [
      'nope',
      '[]',
      JSON.stringify({ o: 'x', i: INCIDENT, l: 1, e: [] }),
      JSON.stringify({ o: ORG, i: INCIDENT, l: 0, e: [] }),
      JSON.stringify({ o: ORG, i: INCIDENT, l: 1, e: [[1]] }),
      JSON.stringify({ o: ORG, i: INCIDENT, l: 1, e: 'x' }),
    ]) {
      expect(parseCommittedEvents(bad), bad).toBeNull()
    }
  })
})

describe('sseMessage', () => {
  it('writes event, id and one data line, ended by a blank line', () => {
    expect(sseMessage({ event: 'change', id: 4, data: { text: 'two\nlines' } })).toBe(
      'event: change\nid: 4\ndata: {"text":"two\\nlines"}\n\n',
    )
  })
})

describe('parseLastEventId', () => {
  it('accepts a seq and nothing else', () => {
    expect(parseLastEventId('12')).toBe(12)
    expect(parseLastEventId('0')).toBe(0)
    for (const bad of [null, undefined, '', '-1', '1.5', 'abc', '1e3', '9999999999'])
      expect(parseLastEventId(bad)).toBeNull()
  })
})
