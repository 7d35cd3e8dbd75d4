import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  FoldError,
  GENESIS_HASH,
  applyEvent,
  canonicalJson,
  diffState,
  eventHash,
  foldEvents,
  verifyChain,
  type AnyEvent,
  type EventPayloads,
  type HashInput,
  type IncidentState,
  type StoredEvent,
} from './events'

const ORG = '00000000-0000-4000-8000-000000000001'
const INCIDENT = '00000000-0000-4000-8000-0000000000aa'
const ADA = '00000000-0000-4000-8000-00000000000a'
const BEN = '00000000-0000-4000-8000-00000000000b'
const CAL = '00000000-0000-4000-8000-00000000000c'
const SERVICE = '00000000-0000-4000-8000-000000000051'

const at = (minute: number) => new Date(Date.UTC(2026, 2, 1, 9, minute)).toISOString()

const declared: EventPayloads['incident.declared'] = {
  number: 7,
  title: 'Checkout down',
  summary: 'All card payments fail.',
  severity: 'SEV-2',
  impact: 'significant',
  urgency: 'high',
  status: 'detected',
  serviceId: SERVICE,
  incidentTypeId: null,
  commanderId: ADA,
  assigneeIds: [],
  declaredById: ADA,
  impactStartedAt: at(0),
  declaredAt: at(1),
}

/** A hand-written history with the times each event happened. */
const HISTORY: Array<AnyEvent & { at: string; actor: string | null }> = [
  { type: 'incident.declared', payload: declared, at: at(1), actor: ADA },
  {
    type: 'incident.assignment_changed',
    payload: { commander: null, added: [CAL, BEN], removed: [] },
    at: at(2),
    actor: ADA,
  },
  {
    type: 'incident.status_changed',
    payload: {
      from: 'detected',
      to: 'investigating',
      action: 'start-investigating',
      reason: null,
      stamped: { field: 'acknowledgedAt', at: at(3) },
    },
    at: at(3),
    actor: BEN,
  },
  { type: 'comment.added', payload: { body: 'Looking at the gateway.' }, at: at(4), actor: BEN },
  {
    type: 'incident.status_changed',
    payload: {
      from: 'investigating',
      to: 'mitigated',
      action: 'mark-mitigated',
      reason: null,
      stamped: { field: 'mitigatedAt', at: at(10) },
    },
    at: at(10),
    actor: BEN,
  },
  {
    type: 'incident.status_changed',
    payload: {
      from: 'mitigated',
      to: 'investigating',
      action: 'reopen',
      reason: 'Errors are back',
      stamped: null,
    },
    at: at(12),
    actor: ADA,
  },
  {
    type: 'incident.escalated',
    payload: {
      from: 'SEV-2',
      to: 'SEV-1',
      reason: 'All regions',
      commander: { from: ADA, to: CAL },
    },
    at: at(13),
    actor: CAL,
  },
  {
    type: 'incident.field_changed',
    payload: { field: 'title', from: 'Checkout down', to: 'Checkout down in all regions' },
    at: at(14),
    actor: CAL,
  },
  {
    type: 'incident.assignment_changed',
    payload: { commander: null, added: [], removed: [BEN] },
    at: at(15),
    actor: CAL,
  },
  {
    // Even if an event claimed a stamp again, the first mitigation time stays.
    type: 'incident.status_changed',
    payload: {
      from: 'investigating',
      to: 'mitigated',
      action: 'mark-mitigated',
      reason: null,
      stamped: { field: 'mitigatedAt', at: at(20) },
    },
    at: at(20),
    actor: CAL,
  },
  {
    type: 'incident.severity_changed',
    payload: { from: 'SEV-1', to: 'SEV-3', reason: 'Only retries affected' },
    at: at(21),
    actor: CAL,
  },
  {
    type: 'comment.corrected',
    payload: { supersedesSeq: 4, body: 'Looking at the payment gateway.' },
    at: at(22),
    actor: BEN,
  },
  {
    type: 'incident.status_changed',
    payload: {
      from: 'mitigated',
      to: 'resolved',
      action: 'mark-resolved',
      reason: null,
      stamped: { field: 'resolvedAt', at: at(30) },
    },
    at: at(30),
    actor: CAL,
  },
]

const EXPECTED_STATE: IncidentState = {
  ...declared,
  title: 'Checkout down in all regions',
  severity: 'SEV-3',
  status: 'resolved',
  commanderId: CAL,
  assigneeIds: [CAL],
  customFields: {},
  acknowledgedAt: at(3),
  mitigatedAt: at(10),
  resolvedAt: at(30),
  postmortemAt: null,
  closedAt: null,
  // Histories written before reclassification and incident roles fold to these defaults.
  classification: 'incident',
  classifiedAsOfId: null,
  roles: {},
  // ... and histories written before private incidents to a public incident.
  private: false,
  version: HISTORY.length,
}

/** Stores `history` as a valid chain, as the service does. */
function chain(history: typeof HISTORY): StoredEvent[] {
  let prevHash = GENESIS_HASH
  return history.map((e, i) => {
    const base = {
      id: `event-${i + 1}`,
      organizationId: ORG,
      incidentId: INCIDENT,
      seq: i + 1,
      type: e.type,
      actorId: e.actor,
      occurredAt: e.at,
      payload: e.payload,
      prevHash,
    }
    const hash = eventHash(base)
    prevHash = hash
    return { ...base, hash } as StoredEvent
  })
}

describe('canonicalJson', () => {
  it('sorts object keys at every level, inside arrays too', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    )
  })

  it('gives the same text whatever order the keys were inserted in', () => {
    const one = { title: 'x', nested: { beta: [1, 2], alpha: 'é"\n' }, n: 3 }
    const two = { n: 3, nested: { alpha: 'é"\n', beta: [1, 2] }, title: 'x' }
    expect(canonicalJson(one)).toBe(canonicalJson(two))
    expect(JSON.parse(canonicalJson(one))).toEqual(one)
  })

  it('keeps array order, which carries meaning', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]))
  })

  it('drops undefined members, as JSON storage would', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}')
    expect(canonicalJson(undefined)).toBe('null')
  })

  it('sorts by code unit, not by locale', () => {
    expect(canonicalJson({ b: 1, B: 2, a: 3, _: 4 })).toBe('{"B":2,"_":4,"a":3,"b":1}')
  })
})

describe('eventHash', () => {
  const input: HashInput = {
    prevHash: GENESIS_HASH,
    seq: 1,
    organizationId: ORG,
    incidentId: INCIDENT,
    type: 'comment.added',
    actorId: ADA,
    occurredAt: at(1),
    payload: { body: 'hello', meta: { a: 1 } },
  }
  const reference = eventHash(input)

  it('is 64 hex digits and the same for the same input', () => {
    expect(reference).toMatch(/^[0-9a-f]{64}$/)
    expect(eventHash({ ...input })).toBe(reference)
  })

  it('ignores the key order of the payload', () => {
    expect(eventHash({ ...input, payload: { meta: { a: 1 }, body: 'hello' } })).toBe(reference)
  })

  const changes: Array<[keyof HashInput, unknown]> = [
    ['prevHash', 'f'.repeat(64)],
    ['seq', 2],
    ['organizationId', BEN],
    ['incidentId', CAL],
    ['type', 'comment.corrected'],
    ['actorId', null],
    ['occurredAt', at(2)],
    ['payload', { body: 'hello!', meta: { a: 1 } }],
    ['payload', { body: 'hello', meta: { a: 2 } }],
  ]
  it.each(changes)('changes when %s changes', (field, value) => {
    expect(eventHash({ ...input, [field]: value })).not.toBe(reference)
  })

  /** Canonical JSON as first written: entries filtered, sorted with `<`, mapped and joined. */
  function referenceCanonical(value: unknown): string {
    if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
    if (Array.isArray(value)) return `[${value.map(referenceCanonical).join(',')}]`
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${referenceCanonical(v)}`).join(',')}}`
  }
  const value = fc
    .jsonValue()
    .chain((json) =>
      fc.oneof(
        fc.constant<unknown>(json),
        fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), fc.constant(undefined))),
      ),
    )

  it('writes canonical JSON as the entries-sorted-and-joined form does, keys in any order, unicode and undefined included', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(canonicalJson(v)).toBe(referenceCanonical(v))
      }),
      { numRuns: 500 },
    )
  })

  it('hashes the canonical JSON of the snake_case fields, whatever the values (an absent one left out)', () => {
    const text = fc.oneof(fc.string(), fc.uuid(), fc.constant(undefined))
    fc.assert(
      fc.property(
        fc.record({
          prevHash: text,
          seq: fc.oneof(fc.integer(), fc.double(), fc.constant(undefined)),
          organizationId: text,
          incidentId: text,
          type: text,
          actorId: fc.oneof(fc.uuid(), fc.constant(null), fc.constant(undefined)),
          occurredAt: text,
          payload: value,
        }),
        (fields) => {
          const expected = createHash('sha256')
            .update(
              referenceCanonical({
                prev_hash: fields.prevHash,
                seq: fields.seq,
                organization_id: fields.organizationId,
                incident_id: fields.incidentId,
                type: fields.type,
                actor_id: fields.actorId,
                occurred_at: fields.occurredAt,
                payload: fields.payload,
              }),
            )
            .digest('hex')
          expect(eventHash(fields as HashInput)).toBe(expected)
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('verifyChain', () => {
  it('accepts a valid chain and an empty one', () => {
    expect(verifyChain(chain(HISTORY))).toBeNull()
    expect(verifyChain([])).toBeNull()
  })

  it('reports a missing event as a seq gap at the first event after it', () => {
    const events = chain(HISTORY.slice(0, 5))
    events.splice(1, 1)
    expect(verifyChain(events)).toEqual({ kind: 'seq-gap', seq: 3, expected: 2 })
  })

  it('reports a chain that does not start at seq 1', () => {
    expect(verifyChain(chain(HISTORY).slice(1))).toEqual({ kind: 'seq-gap', seq: 2, expected: 1 })
  })

  it('reports a wrong prev_hash at its seq, even when the event’s own hash was recomputed', () => {
    const events = chain(HISTORY.slice(0, 5))
    const forged = { ...events[2]!, prevHash: 'a'.repeat(64) }
    forged.hash = eventHash(forged)
    events[2] = forged
    expect(verifyChain(events)).toEqual({ kind: 'prev-hash', seq: 3 })
  })

  it('reports a tampered payload at the seq of the tampered event', () => {
    const events = chain(HISTORY.slice(0, 5))
    events[2] = {
      ...events[2]!,
      payload: { ...events[2]!.payload, reason: 'edited' },
    } as StoredEvent
    expect(verifyChain(events)).toEqual({ kind: 'hash', seq: 3 })
  })

  it('reports a tampered payload whose hash was recomputed at the next event’s link', () => {
    const events = chain(HISTORY.slice(0, 5))
    const edited = { ...events[3]!, payload: { body: 'nothing to see' } } as StoredEvent
    edited.hash = eventHash(edited)
    events[3] = edited
    expect(verifyChain(events)).toEqual({ kind: 'prev-hash', seq: 5 })
  })

  it('reports a changed actor or time as a hash problem', () => {
    const events = chain(HISTORY.slice(0, 3))
    expect(verifyChain([events[0]!, { ...events[1]!, actorId: CAL }, events[2]!])).toEqual({
      kind: 'hash',
      seq: 2,
    })
    expect(verifyChain([{ ...events[0]!, occurredAt: at(59) }, ...events.slice(1)])).toEqual({
      kind: 'hash',
      seq: 1,
    })
  })
})

describe('foldEvents', () => {
  it('replays a hand-written history to the expected state', () => {
    expect(foldEvents(HISTORY)).toEqual(EXPECTED_STATE)
  })

  it('stamps a status time once: reopening and mitigating again keeps the first mitigatedAt', () => {
    const state = foldEvents(HISTORY.slice(0, 10))
    expect(state.status).toBe('mitigated')
    expect(state.mitigatedAt).toBe(at(10))
    expect(state.acknowledgedAt).toBe(at(3))
  })

  it('moves the version on with every event, comments included', () => {
    for (let n = 1; n <= HISTORY.length; n++) {
      expect(foldEvents(HISTORY.slice(0, n)).version).toBe(n)
    }
  })

  it('keeps assignees sorted and unique, so equal sets compare equal', () => {
    const state = foldEvents([
      { type: 'incident.declared', payload: { ...declared, assigneeIds: [CAL, ADA, CAL] } },
      {
        type: 'incident.assignment_changed',
        payload: { commander: null, added: [BEN, ADA], removed: [] },
      },
    ])
    expect(state.assigneeIds).toEqual([ADA, BEN, CAL])
  })

  it('refuses a status change whose from does not match the current status', () => {
    expect(() =>
      foldEvents([
        HISTORY[0]!,
        {
          type: 'incident.status_changed',
          payload: {
            from: 'investigating',
            to: 'mitigated',
            action: 'mark-mitigated',
            reason: null,
            stamped: null,
          },
        },
      ]),
    ).toThrow(FoldError)
  })

  it('refuses a second declaration, an event before the declaration, and no events', () => {
    expect(() => foldEvents([HISTORY[0]!, HISTORY[0]!])).toThrow(FoldError)
    expect(() => applyEvent(undefined, HISTORY[3]!)).toThrow(FoldError)
    expect(() => foldEvents([])).toThrow(FoldError)
  })
})

describe('private incidents', () => {
  const visibility = (value: boolean): AnyEvent => ({
    type: 'incident.visibility_changed',
    payload: { private: value, reason: value ? 'Security review' : null },
  })

  it('folds a declaration that does not say (written before private incidents) to public', () => {
    expect(foldEvents([{ type: 'incident.declared', payload: declared }]).private).toBe(false)
  })

  it('keeps a declaration’s private flag, and follows each visibility change', () => {
    const start: AnyEvent = { type: 'incident.declared', payload: { ...declared, private: true } }
    expect(foldEvents([start]).private).toBe(true)
    expect(foldEvents([start, visibility(false)]).private).toBe(false)
    expect(foldEvents([start, visibility(false), visibility(true)]).private).toBe(true)
  })

  it('counts viewer changes as versions without changing any other field', () => {
    const start: AnyEvent = { type: 'incident.declared', payload: { ...declared, private: true } }
    const before = foldEvents([start])
    const after = foldEvents([
      start,
      { type: 'incident.viewer_added', payload: { userId: BEN } },
      { type: 'incident.viewer_removed', payload: { userId: BEN } },
    ])
    expect(diffState(after, before)).toEqual(['version'])
    expect(after.version).toBe(3)
  })
})

describe('diffState', () => {
  it('finds no difference between equal states', () => {
    expect(diffState(EXPECTED_STATE, { ...EXPECTED_STATE })).toEqual([])
  })

  it('names exactly the fields that differ', () => {
    expect(
      diffState({ ...EXPECTED_STATE, severity: 'SEV-1', closedAt: at(40) }, EXPECTED_STATE),
    ).toEqual(['severity', 'closedAt'])
    expect(diffState({ ...EXPECTED_STATE, assigneeIds: [] }, EXPECTED_STATE)).toEqual([
      'assigneeIds',
    ])
  })
})

describe('reclassification and incident roles in the fold', () => {
  const TARGET = '00000000-0000-4000-8000-0000000000bb'
  const ROLE = '00000000-0000-4000-8000-0000000000e1'
  const base = foldEvents(HISTORY)

  it('a reclassification sets the classification and its target; undoing it clears both', () => {
    const merged = applyEvent(base, {
      type: 'incident.reclassified',
      payload: { classification: 'merged', targetIncidentId: TARGET, targetNumber: 3, reason: 'x' },
    })
    expect(merged).toMatchObject({ classification: 'merged', classifiedAsOfId: TARGET })
    expect(merged.version).toBe(base.version + 1)
    const undone = applyEvent(merged, {
      type: 'incident.reclassified',
      payload: {
        classification: 'incident',
        targetIncidentId: null,
        targetNumber: null,
        reason: 'y',
      },
    })
    expect(undone).toMatchObject({ classification: 'incident', classifiedAsOfId: null })
  })

  it('a role assignment names the holder; assigning nobody removes the role', () => {
    const role = { roleId: ROLE, roleKey: 'scribe', roleName: 'Scribe' }
    const held = applyEvent(base, {
      type: 'incident.role_assigned',
      payload: { ...role, userId: BEN, previousUserId: null },
    })
    expect(held.roles).toEqual({ [ROLE]: BEN })
    expect(base.roles).toEqual({})
    const left = applyEvent(held, {
      type: 'incident.role_assigned',
      payload: { ...role, userId: null, previousUserId: BEN },
    })
    expect(left.roles).toEqual({})
  })

  it('links change no state but the version', () => {
    const linked = applyEvent(base, {
      type: 'incident.link_added',
      payload: { relatedIncidentId: TARGET, relatedNumber: 3, kind: 'related', direction: 'to' },
    })
    expect(diffState(base, linked)).toEqual(['version'])
  })
})
