import { describe, expect, it } from 'vitest'
import type { EventPayloads, EventType, StoredEvent } from '~/domain/incident/events'
import {
  PROMPT_MARK,
  TEMPLATE_VERSION,
  buildTemplateDraft,
  citationText,
  defaultTimeline,
  sectionsFrom,
  type DraftSource,
} from './draft-template'
import { POSTMORTEM_SECTIONS } from './vocabulary'

const ORG = '00000000-0000-4000-8000-000000000001'
const INCIDENT = '00000000-0000-4000-8000-000000000002'
const ALICE = '00000000-0000-4000-8000-00000000000a'
const BOB = '00000000-0000-4000-8000-00000000000b'

const T0 = Date.parse('2026-03-10T08:00:00.000Z')
const minutes = (m: number) => new Date(T0 + m * 60_000).toISOString()

function eventsOf(
  list: Array<{ [T in EventType]: [T, EventPayloads[T], number, string | null] }[EventType]>,
): StoredEvent[] {
  return list.map(
    ([type, payload, atMinute, actorId], i) =>
      ({
        id: `00000000-0000-4000-9000-${String(i + 1).padStart(12, '0')}`,
        organizationId: ORG,
        incidentId: INCIDENT,
        seq: i + 1,
        type,
        actorId,
        occurredAt: minutes(atMinute),
        payload,
        prevHash: '0'.repeat(64),
        hash: '0'.repeat(64),
      }) as StoredEvent,
  )
}

const sla = {
  severity: 'SEV-2' as const,
  policyVersion: 1,
  targetSeconds: 1800,
  dueAt: minutes(35),
  warnAt: minutes(29),
}

function fullSource(): DraftSource {
  const events = eventsOf([
    [
      'incident.declared',
      {
        number: 42,
        title: 'Checkout times out',
        summary: 'Payments fail at the last step',
        severity: 'SEV-2',
        impact: 'significant',
        urgency: 'high',
        status: 'detected',
        serviceId: 'svc',
        incidentTypeId: null,
        commanderId: ALICE,
        assigneeIds: [],
        declaredById: ALICE,
        impactStartedAt: minutes(-5),
        declaredAt: minutes(0),
      },
      0,
      ALICE,
    ],
    [
      'alert.received',
      {
        integrationId: 'i',
        integrationName: 'Prometheus',
        source: 'alertmanager',
        dedupKey: 'k',
        receiptId: 'r',
        title: 'HighLatency checkout',
        severity: 'SEV-2',
        details: null,
      },
      1,
      null,
    ],
    [
      'incident.status_changed',
      {
        from: 'detected',
        to: 'investigating',
        action: 'start-investigating',
        reason: null,
        stamped: { field: 'acknowledgedAt', at: minutes(4) },
      },
      4,
      ALICE,
    ],
    ['comment.added', { body: 'The connection pool to the payments DB is exhausted.' }, 10, BOB],
    ['comment.added', { body: 'ok' }, 11, ALICE],
    ['comment.corrected', { supersedesSeq: 5, body: 'Rolling back release 2026.3.1' }, 12, ALICE],
    ['sla.breached', { ...sla, target: 'mitigate' }, 35, null],
    [
      'incident.severity_changed',
      { from: 'SEV-2', to: 'SEV-1', reason: 'All regions affected' },
      36,
      BOB,
    ],
    [
      'escalation.fired',
      {
        ruleId: 'r1',
        ruleName: 'Page the DB team',
        trigger: 'breach',
        causeSeq: 7,
        actions: ['notified DB on-call'],
      },
      36,
      null,
    ],
    [
      'attachment.added',
      {
        attachmentId: 'a1',
        displayName: 'pool.png',
        contentType: 'image/png',
        size: 2048,
        sha256: 'x',
        description: '',
      },
      40,
      BOB,
    ],
    [
      'incident.status_changed',
      {
        from: 'investigating',
        to: 'mitigated',
        action: 'mark-mitigated',
        reason: null,
        stamped: { field: 'mitigatedAt', at: minutes(55) },
      },
      55,
      ALICE,
    ],
    [
      'incident.status_changed',
      {
        from: 'mitigated',
        to: 'investigating',
        action: 'reopen',
        reason: 'Errors came back',
        stamped: null,
      },
      60,
      ALICE,
    ],
    [
      'incident.status_changed',
      {
        from: 'investigating',
        to: 'mitigated',
        action: 'mark-mitigated',
        reason: null,
        stamped: null,
      },
      70,
      ALICE,
    ],
    [
      'incident.status_changed',
      {
        from: 'mitigated',
        to: 'resolved',
        action: 'mark-resolved',
        reason: null,
        stamped: { field: 'resolvedAt', at: minutes(90) },
      },
      90,
      ALICE,
    ],
  ])
  return {
    incident: {
      number: 42,
      title: 'Checkout times out',
      summary: 'Payments fail at the last step',
      severity: 'SEV-1',
      impact: 'significant',
      urgency: 'high',
      status: 'resolved',
      serviceName: 'Checkout',
      incidentTypeName: null,
      commanderId: ALICE,
      impactStartedAt: minutes(-5),
      declaredAt: minutes(0),
      acknowledgedAt: minutes(4),
      mitigatedAt: minutes(55),
      resolvedAt: minutes(90),
    },
    events,
    people: { [ALICE]: 'Alice Ops', [BOB]: 'Bob DBA' },
    timeZone: 'UTC',
  }
}

const bySection = (draft: ReturnType<typeof buildTemplateDraft>, section: string) =>
  draft.statements.filter((s) => s.section === section)

describe('template draft', () => {
  it('gives byte-identical output for the same incident and events', () => {
    const first = JSON.stringify(buildTemplateDraft(fullSource()))
    const second = JSON.stringify(buildTemplateDraft(fullSource()))
    expect(second).toBe(first)
    expect(TEMPLATE_VERSION).toBe('template-1')
  })

  it('fills every section, and every statement cites events of the incident', () => {
    const source = fullSource()
    const draft = buildTemplateDraft(source)
    const ids = new Map(source.events.map((e) => [e.id, e.seq]))
    for (const section of POSTMORTEM_SECTIONS) {
      expect(draft.sections[section].trim(), section).not.toBe('')
      expect(bySection(draft, section).length, section).toBeGreaterThan(0)
    }
    for (const s of draft.statements) {
      expect(s.flagged, s.text).toBe(false)
      expect(s.eventIds.length, s.text).toBeGreaterThan(0)
      expect(
        s.eventIds.map((id) => ids.get(id)),
        s.text,
      ).toEqual(s.eventSeqs)
    }
  })

  it('states the facts with the events they rest on', () => {
    const draft = buildTemplateDraft(fullSource())
    const summary = bySection(draft, 'summary')
    expect(summary[0]).toMatchObject({
      text: 'INC-42 “Checkout times out” was declared on 10 Mar 2026, 08:00 UTC as SEV-1 affecting Checkout.',
      eventSeqs: [1],
    })
    expect(
      summary.find((s) => s.text.startsWith('Alice Ops was the incident commander'))?.eventSeqs,
    ).toEqual([1])
    expect(summary.find((s) => s.text.startsWith('It was acknowledged'))).toMatchObject({
      text: 'It was acknowledged on 10 Mar 2026, 08:04 UTC, 9 min after the impact began.',
      eventSeqs: [3],
    })
    // The first mitigation stamped the time; the one after the reopening did not.
    expect(summary.find((s) => s.text.startsWith('It was mitigated'))?.eventSeqs).toEqual([11])
    expect(summary.find((s) => s.text.includes('severity changed'))).toMatchObject({
      text: 'On 10 Mar 2026, 08:36 UTC the severity changed from SEV-2 to SEV-1 (Bob DBA): All regions affected',
      eventSeqs: [8],
    })
    expect(bySection(draft, 'customerImpact')[0]).toMatchObject({
      text: 'Customer impact began on 10 Mar 2026, 07:55 UTC and lasted 1 h 0 min, until the incident was mitigated on 10 Mar 2026, 08:55 UTC.',
      eventSeqs: [1, 11],
    })
    expect(
      bySection(draft, 'customerImpact').some((s) => s.text.includes('HighLatency checkout')),
    ).toBe(true)
    const poorly = bySection(draft, 'wentPoorly')
    expect(poorly[0]).toMatchObject({
      text: 'The mitigate target of 30m for SEV-2 was breached: it was due on 10 Mar 2026, 08:35 UTC.',
      eventSeqs: [7],
    })
    expect(poorly.find((s) => s.text.startsWith('The incident was reopened'))?.eventSeqs).toEqual([
      12,
    ])
    expect(
      bySection(draft, 'wentWell').find((s) => s.text.includes('Page the DB team'))?.eventSeqs,
    ).toEqual([9])
  })

  it('asks the author for the cause and the lessons, citing the comments they build on', () => {
    const draft = buildTemplateDraft(fullSource())
    const cause = bySection(draft, 'rootCause')
    // A corrected comment is quoted as corrected and cites both the comment and its correction.
    expect(cause.find((s) => s.text.includes('Rolling back'))).toMatchObject({
      text: 'Alice Ops wrote: “Rolling back release 2026.3.1”',
      eventSeqs: [5, 6],
    })
    const prompt = cause.find((s) => s.text.startsWith(PROMPT_MARK))
    expect(prompt?.text).toContain('Start from the 2 comments, the evidence and the alerts.')
    expect(prompt?.eventSeqs).toEqual([2, 4, 5, 6, 10])
    const lessons = bySection(draft, 'lessons')
    expect(lessons).toHaveLength(1)
    expect(lessons[0]!.text.startsWith(PROMPT_MARK)).toBe(true)
    expect(lessons[0]!.eventSeqs).toEqual([4, 5, 6, 7, 8, 12])
    expect(draft.sections.lessons).toContain('(events #4, #5, #6, #7, #8, #12)')
  })

  it('picks status and severity changes, escalations, breaches, alerts, evidence and comments for the timeline', () => {
    const draft = buildTemplateDraft(fullSource())
    expect(draft.timeline.map((t) => t.seq)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14])
    expect(draft.timeline.find((t) => t.seq === 11)?.note).toBe('Investigating → Mitigated')
    expect(draft.timeline.find((t) => t.seq === 7)?.note).toBe('Mitigate target breached')
    // A corrected comment appears once, as corrected.
    expect(draft.timeline.find((t) => t.seq === 6)?.note).toBe(
      'Comment: Rolling back release 2026.3.1',
    )
    expect(draft.timeline.find((t) => t.seq === 4)?.note).toBe(
      'Comment: The connection pool to the payments DB is exhausted.',
    )
  })

  it('keeps the ten longest comments on the timeline when there are more', () => {
    const source = fullSource()
    const declared = source.events[0]!
    const comments = Array.from({ length: 12 }, (_, i) => ({
      ...declared,
      id: `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`,
      seq: i + 2,
      type: 'comment.added' as const,
      payload: { body: 'x'.repeat(i === 3 || i === 7 ? 1 : 10 + i) },
    })) as StoredEvent[]
    const timeline = defaultTimeline([declared, ...comments])
    expect(timeline.map((t) => t.seq)).toEqual([1, 2, 3, 4, 6, 7, 8, 10, 11, 12, 13])
  })

  it('still cites the declaration for an incident with nothing else recorded', () => {
    const source = fullSource()
    const draft = buildTemplateDraft({
      ...source,
      incident: {
        ...source.incident,
        summary: '',
        commanderId: null,
        acknowledgedAt: null,
        mitigatedAt: null,
        resolvedAt: null,
      },
      events: source.events.slice(0, 1),
    })
    for (const section of POSTMORTEM_SECTIONS) expect(draft.sections[section]).not.toBe('')
    expect(draft.statements.every((s) => !s.flagged && s.eventSeqs.includes(1))).toBe(true)
    expect(draft.sections.customerImpact).toContain('has not been marked mitigated')
    expect(draft.timeline).toEqual([{ seq: 1, note: 'Declared as SEV-2' }])

    const oneComment = buildTemplateDraft({ ...source, events: source.events.slice(0, 4) })
    expect(oneComment.sections.rootCause).toContain('Start from the comment and the alerts.')
  })
})

describe('section text', () => {
  it('ends each statement with its citations, or says in words that it cites none', () => {
    const sections = sectionsFrom([
      { section: 'summary', text: 'A.', eventIds: ['x'], eventSeqs: [3], flagged: false },
      { section: 'summary', text: 'B.', eventIds: [], eventSeqs: [], flagged: true },
      { section: 'lessons', text: 'C.', eventIds: ['y', 'z'], eventSeqs: [4, 9], flagged: false },
    ])
    expect(sections.summary).toBe('A. (event #3)\n\nB. (No cited event)')
    expect(sections.lessons).toBe('C. (events #4, #9)')
    expect(sections.rootCause).toBe('')
    expect(citationText({ eventSeqs: [], flagged: true })).toBe('(No cited event)')
  })
})
