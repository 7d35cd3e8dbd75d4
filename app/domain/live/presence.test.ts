import { describe, expect, it } from 'vitest'
import { MAX_ANNOUNCED_VIEWERS, PresenceBoard, parsePresence } from './presence'

const ORG = '11111111-1111-4111-8111-111111111111'
const OTHER_ORG = '22222222-2222-4222-8222-222222222222'
const INCIDENT = '33333333-3333-4333-8333-333333333333'
const ADA = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa'
const BOB = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb'

function board(processId: string) {
  let now = 1_000
  const b = new PresenceBoard(processId, 45_000, () => now)
  return { b, advance: (ms: number) => (now += ms) }
}

describe('PresenceBoard', () => {
  it('counts a user once however many of their streams are open, until the last closes', () => {
    const { b } = board('p1')
    expect(b.join(ORG, INCIDENT, ADA)).toBe(true)
    expect(b.join(ORG, INCIDENT, ADA)).toBe(false)
    expect(b.announcement(ORG, INCIDENT).u).toEqual([ADA])
    expect(b.leave(INCIDENT, ADA)).toBe(false)
    expect(b.viewers(ORG, INCIDENT)).toEqual(new Set([ADA]))
    expect(b.leave(INCIDENT, ADA)).toBe(true)
    expect(b.announcement(ORG, INCIDENT).u).toEqual([])
    expect(b.announcements()).toEqual([])
  })

  it('joins another process’s viewers and forgets them when they stop being repeated', () => {
    const { b, advance } = board('p1')
    b.join(ORG, INCIDENT, ADA)
    expect(b.receive({ p: 'p2', o: ORG, i: INCIDENT, u: [BOB] })).toBe(true)
    expect(b.viewers(ORG, INCIDENT)).toEqual(new Set([ADA, BOB]))
    // The same set again is a heartbeat, not a change.
    advance(30_000)
    expect(b.receive({ p: 'p2', o: ORG, i: INCIDENT, u: [BOB] })).toBe(false)
    advance(30_000)
    expect(b.expire()).toEqual([])
    advance(16_000)
    expect(b.expire()).toEqual([INCIDENT])
    expect(b.viewers(ORG, INCIDENT)).toEqual(new Set([ADA]))
  })

  it('drops a process’s set when it announces nobody, and ignores its own announcements', () => {
    const { b } = board('p1')
    b.receive({ p: 'p2', o: ORG, i: INCIDENT, u: [BOB] })
    expect(b.receive({ p: 'p2', o: ORG, i: INCIDENT, u: [] })).toBe(true)
    expect(b.viewers(ORG, INCIDENT).size).toBe(0)
    expect(b.receive({ p: 'p1', o: ORG, i: INCIDENT, u: [BOB] })).toBe(false)
    expect(b.viewers(ORG, INCIDENT).size).toBe(0)
  })

  it('never counts viewers announced under another organization', () => {
    const { b } = board('p1')
    b.receive({ p: 'p2', o: OTHER_ORG, i: INCIDENT, u: [BOB] })
    expect(b.viewers(ORG, INCIDENT).size).toBe(0)
  })
})

describe('parsePresence', () => {
  it('reads an announcement and refuses anything else', () => {
    const good = { p: 'p2', o: ORG, i: INCIDENT, u: [ADA] }
    expect(parsePresence(JSON.stringify(good))).toEqual(good)
    expect(parsePresence('not json')).toBeNull()
    expect(parsePresence(JSON.stringify({ ...good, o: 'x' }))).toBeNull()
    expect(parsePresence(JSON.stringify({ ...good, u: ['x'] }))).toBeNull()
    expect(parsePresence(JSON.stringify({ ...good, p: '' }))).toBeNull()
    const many = Array.from({ length: MAX_ANNOUNCED_VIEWERS + 1 }, () => ADA)
    expect(parsePresence(JSON.stringify({ ...good, u: many }))).toBeNull()
  })

  it('keeps the largest announcement under PostgreSQL’s 8000-byte payload limit', () => {
    const u = Array.from({ length: MAX_ANNOUNCED_VIEWERS }, () => ADA)
    const payload = JSON.stringify({ p: 'f'.repeat(36), o: ORG, i: INCIDENT, u })
    expect(Buffer.byteLength(payload)).toBeLessThan(8000)
  })
})
