import { describe, expect, it } from 'vitest'
import { markdownOf, runKeyOf, runKind, supersedesOf } from './timeline-runs'

const ADA = '00000000-0000-4000-8000-00000000000a'
const alert = (over: Record<string, unknown> = {}) => ({
  integrationId: '00000000-0000-4000-8000-0000000000f1',
  integrationName: 'Search monitors',
  source: 'alertmanager',
  dedupKey: 'search-latency',
  receiptId: '00000000-0000-4000-8000-0000000000e1',
  title: 'Search latency high',
  severity: null,
  details: null,
  ...over,
})

describe('runKeyOf', () => {
  it('gives the same key to the same alert firing again, whatever its details say', () => {
    const first = runKeyOf({ type: 'alert.received', actorId: null, payload: alert() })
    const again = runKeyOf({
      type: 'alert.received',
      actorId: null,
      payload: alert({ receiptId: 'other', details: 'p99 2.1 s' }),
    })
    expect(first).not.toBeNull()
    expect(again).toBe(first)
  })

  it('tells alerts apart by de-duplication key, integration and received/resolved', () => {
    const base = runKeyOf({ type: 'alert.received', actorId: null, payload: alert() })
    expect(
      runKeyOf({ type: 'alert.received', actorId: null, payload: alert({ dedupKey: 'other' }) }),
    ).not.toBe(base)
    expect(
      runKeyOf({ type: 'alert.received', actorId: null, payload: alert({ integrationId: 'x' }) }),
    ).not.toBe(base)
    expect(runKeyOf({ type: 'alert.resolved', actorId: null, payload: alert() })).not.toBe(base)
  })

  it('puts SLA warnings and breaches in one run, and leaves retargeting out', () => {
    const warning = runKeyOf({ type: 'sla.warning', actorId: null, payload: {} })
    expect(warning).toBe('sla')
    expect(runKeyOf({ type: 'sla.breached', actorId: null, payload: {} })).toBe(warning)
    expect(runKeyOf({ type: 'sla.retargeted', actorId: null, payload: {} })).toBeNull()
  })

  it('never joins what people wrote or did into a run', () => {
    expect(runKeyOf({ type: 'comment.added', actorId: ADA, payload: { body: 'x' } })).toBeNull()
    expect(runKeyOf({ type: 'comment.added', actorId: null, payload: { body: 'x' } })).toBeNull()
    expect(runKeyOf({ type: 'alert.received', actorId: ADA, payload: alert() })).toBeNull()
    expect(
      runKeyOf({ type: 'escalation.fired', actorId: null, payload: { ruleId: 'r' } }),
    ).toBeNull()
  })
})

describe('runKind', () => {
  it('calls SLA runs signals and alert runs repeats', () => {
    expect(runKind('sla.breached')).toBe('sla')
    expect(runKind('alert.received')).toBe('repeat')
  })
})

describe('markdownOf and supersedesOf', () => {
  it('finds the Markdown of comments, corrections and the summary an entry sets', () => {
    expect(markdownOf({ type: 'comment.added', actorId: ADA, payload: { body: '**a**' } })).toEqual(
      { source: '**a**', of: 'comment' },
    )
    expect(
      markdownOf({
        type: 'comment.corrected',
        actorId: ADA,
        payload: { supersedesSeq: 3, body: 'b' },
      }),
    ).toEqual({ source: 'b', of: 'comment' })
    expect(
      markdownOf({ type: 'incident.declared', actorId: ADA, payload: { summary: 'S' } }),
    ).toEqual({ source: 'S', of: 'summary' })
    expect(
      markdownOf({
        type: 'incident.field_changed',
        actorId: ADA,
        payload: { field: 'summary', from: 'S', to: 'T' },
      }),
    ).toEqual({ source: 'T', of: 'summary' })
    expect(
      markdownOf({
        type: 'incident.field_changed',
        actorId: ADA,
        payload: { field: 'title', from: 'S', to: 'T' },
      }),
    ).toBeNull()
    expect(markdownOf({ type: 'sla.warning', actorId: null, payload: {} })).toBeNull()
  })

  it('names the comment a correction supersedes', () => {
    expect(
      supersedesOf({
        type: 'comment.corrected',
        actorId: ADA,
        payload: { supersedesSeq: 3, body: 'b' },
      }),
    ).toBe(3)
    expect(supersedesOf({ type: 'comment.added', actorId: ADA, payload: { body: 'b' } })).toBe(null)
  })
})
