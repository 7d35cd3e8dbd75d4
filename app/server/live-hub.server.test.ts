import { describe, expect, it } from 'vitest'
import type { CommittedEvents } from '~/domain/live/live-events'
import { LiveStream, type StreamSpec } from './live-hub.server'

const ORG = '11111111-1111-4111-8111-111111111111'
const INCIDENT = '33333333-3333-4333-8333-333333333333'

function stream(kind: StreamSpec['kind'] = 'incident', buffered = 0) {
  const written: string[] = []
  let ended = false
  let forgotten = 0
  const s = new LiveStream(
    { kind, organizationId: ORG, incidentId: INCIDENT, userId: 'u', sessionId: 's' },
    { write: (t) => written.push(t), end: () => (ended = true), buffered: () => buffered },
    () => forgotten++,
    1024,
  )
  return { s, written, ended: () => ended, forgotten: () => forgotten }
}

const change = (seqs: number[], listed = true): CommittedEvents => ({
  organizationId: ORG,
  incidentId: INCIDENT,
  number: 7,
  lastSeq: seqs.at(-1)!,
  private: false,
  events: listed ? seqs.map((seq) => ({ seq, type: 'comment.added' })) : null,
})

describe('LiveStream', () => {
  it('holds events back while resuming, then sends each once, in order', () => {
    const { s, written } = stream()
    s.deliver(change([5]))
    expect(written).toEqual([])
    s.pending = null
    s.lastSeq = 5 // the resume query already sent 1…5
    s.deliver(change([4, 5, 6]))
    s.deliver(change([6]))
    expect(written).toEqual(['event: change\nid: 6\ndata: {"seq":6,"type":"comment.added"}\n\n'])
  })

  it('asks the page to reload when a change was too long to list', () => {
    const { s, written } = stream()
    s.pending = null
    s.deliver(change([3, 900], false))
    expect(written).toEqual(['event: resync\nid: 900\ndata: {"seq":900}\n\n'])
    expect(s.lastSeq).toBe(900)
  })

  it('tells an organization stream which incident changed, without an id', () => {
    const { s, written } = stream('organization')
    s.pending = null
    s.deliver(change([2, 3]))
    expect(written).toEqual(['event: change\ndata: {"number":7,"seq":3}\n\n'])
  })

  it('cuts off a client that does not read, once', () => {
    const { s, written, ended, forgotten } = stream('incident', 4096)
    s.pending = null
    s.deliver(change([1]))
    expect(written).toEqual([])
    expect(ended()).toBe(true)
    s.close()
    expect(forgotten()).toBe(1)
  })

  it('ends a stream whose response cannot be written to, and forgets it', () => {
    let forgotten = 0
    const s = new LiveStream(
      { kind: 'incident', organizationId: ORG, incidentId: INCIDENT, userId: 'u', sessionId: 's' },
      {
        write: () => {
          throw new Error('socket gone')
        },
        end: () => {
          throw new Error('socket gone')
        },
        buffered: () => 0,
      },
      () => forgotten++,
      1024,
    )
    s.pending = null
    expect(() => s.deliver(change([1]))).not.toThrow()
    expect(s.closed).toBe(true)
    expect(forgotten).toBe(1)
  })
})
