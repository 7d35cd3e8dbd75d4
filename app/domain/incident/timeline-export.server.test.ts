import { describe, expect, it } from 'vitest'
import { GENESIS_HASH, type StoredEvent } from './events'
import { csvCell, timelineCsv } from './timeline-export.server'

describe('csvCell', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tTAB', "'\tTAB"],
    ["=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"],
  ])('prefixes %j with an apostrophe so a spreadsheet shows it as text', (value, cell) => {
    expect(csvCell(value)).toBe(cell)
  })

  it('prefixes a leading carriage return and quotes the cell, since it holds one', () => {
    expect(csvCell('\r=1+1')).toBe(`"'\r=1+1"`)
  })

  it('prefixes a formula that JSON.stringify produces from a negative number', () => {
    expect(csvCell(-5)).toBe("'-5")
  })

  it('leaves ordinary text and formula characters in the middle alone', () => {
    expect(csvCell('Checkout down')).toBe('Checkout down')
    expect(csvCell('a=b+c-d@e')).toBe('a=b+c-d@e')
    expect(csvCell(12)).toBe('12')
  })

  it('quotes commas, quotes and newlines, doubling inner quotes', () => {
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('line 1\nline 2')).toBe('"line 1\nline 2"')
    expect(csvCell('=HYPERLINK("http://evil.example","x")')).toBe(
      `"'=HYPERLINK(""http://evil.example"",""x"")"`,
    )
  })

  it('writes nothing for null and undefined and JSON for objects', () => {
    expect(csvCell(null)).toBe('')
    expect(csvCell(undefined)).toBe('')
    expect(csvCell({ body: 'x' })).toBe('"{""body"":""x""}"')
  })
})

describe('timelineCsv', () => {
  const event = (seq: number, actorId: string | null, body: string): StoredEvent => ({
    id: `e${seq}`,
    organizationId: 'org',
    incidentId: 'inc',
    seq,
    type: 'comment.added',
    actorId,
    occurredAt: `2026-03-01T09:0${seq}:00.000Z`,
    payload: { body },
    prevHash: seq === 1 ? GENESIS_HASH : 'a'.repeat(64),
    hash: String(seq).repeat(64),
  })

  it('writes a header and one CRLF-terminated row per event', () => {
    const csv = timelineCsv(
      [event(1, 'u1', 'first'), event(2, null, 'second, with comma')],
      (id) => (id ? `=${id}@evil.example` : 'system'),
    )
    expect(csv.split('\r\n')).toEqual([
      'seq,occurred_at,type,actor,payload,prev_hash,hash',
      `1,2026-03-01T09:01:00.000Z,comment.added,'=u1@evil.example,"{""body"":""first""}",${GENESIS_HASH},${'1'.repeat(64)}`,
      `2,2026-03-01T09:02:00.000Z,comment.added,system,"{""body"":""second, with comma""}",${'a'.repeat(64)},${'2'.repeat(64)}`,
      '',
    ])
  })
})
