import { describe, expect, it } from 'vitest'
import { INCIDENT_STATUSES } from '~/domain/incident/vocabulary'
import { escapeMrkdwn, summaryButtons, summaryMessage, type SummaryView } from './summary-message'
import { entryMessage, isSystemSignal } from './entry-message'

const view: SummaryView = {
  number: 4,
  title: 'API <errors> & timeouts',
  status: 'detected',
  severity: 'SEV-1',
  commander: { name: 'Grace <Hopper>', slackUserId: null },
  sla: {
    state: 'warning',
    next: { label: 'Acknowledge', dueAt: new Date('2026-03-01T10:15:00Z') },
  },
  url: 'https://incidents.example.test/incidents/4',
}

describe('summary message', () => {
  it('offers exactly the buttons the lifecycle allows from each status', () => {
    const buttons = Object.fromEntries(INCIDENT_STATUSES.map((s) => [s, summaryButtons(s)]))
    expect(buttons).toEqual({
      detected: ['start-investigating'],
      investigating: ['mark-mitigated'],
      mitigated: ['mark-resolved'],
      resolved: [],
      postmortem: [],
      closed: [],
    })
  })

  it('renders action ids, button words and INC-<n> values for the interactivity handler', () => {
    const { blocks } = summaryMessage({ ...view, status: 'mitigated' })
    const actions = blocks.find((b) => (b as { type: string }).type === 'actions') as {
      elements: Array<{ action_id: string; value: string; text: { text: string } }>
    }
    expect(actions.elements.map((e) => [e.action_id, e.text.text, e.value])).toEqual([
      ['incident_mark_resolved', 'Mark resolved', 'INC-4'],
    ])
    expect(
      summaryMessage({ ...view, status: 'closed' }).blocks.some(
        (b) => (b as { type: string }).type === 'actions',
      ),
    ).toBe(false)
  })

  it('escapes what people wrote, and dates the SLA for each reader with a UTC fallback', () => {
    const { text, blocks } = summaryMessage(view)
    const json = JSON.stringify(blocks)
    expect(text).toBe('INC-4: API &lt;errors&gt; &amp; timeouts — Detected, SEV-1')
    expect(json).toContain('*Commander*\\nGrace &lt;Hopper&gt;')
    expect(json).toContain(
      '*SLA*\\nAt risk · Acknowledge due <!date^1772360100^{date_short_pretty} {time}|2026-03-01 10:15 UTC>',
    )
    // The header is plain text: Slack shows it as written.
    expect(json).toContain('"text":"INC-4: API <errors> & timeouts"')
    expect(
      JSON.stringify(summaryMessage({ ...view, sla: null, commander: null }).blocks),
    ).toContain('*SLA*\\nNo SLA')
  })

  it('mentions a commander whose Slack account is known', () => {
    const json = JSON.stringify(
      summaryMessage({ ...view, commander: { name: 'G', slackUserId: 'U42' } }).blocks,
    )
    expect(json).toContain('*Commander*\\n<@U42>')
  })
})

describe('entry messages', () => {
  it('groups SLA, escalation and alert entries as system signals, and nothing else', () => {
    expect(
      [
        'sla.warning',
        'sla.breached',
        'sla.retargeted',
        'escalation.fired',
        'alert.received',
        'alert.resolved',
      ].every(isSystemSignal),
    ).toBe(true)
    expect(
      ['comment.added', 'incident.status_changed', 'chat.message_captured'].some(isSystemSignal),
    ).toBe(false)
  })

  it('quotes a comment under its author, escaped', () => {
    expect(
      entryMessage({
        event: { type: 'comment.added', payload: { body: 'a <@U1> & b\nsecond' } } as never,
        actorName: 'Ana',
        words: { summary: 'commented', detail: null },
      }),
    ).toBe('*Ana* commented\n>a &lt;@U1&gt; &amp; b\n>second')
    expect(escapeMrkdwn('<!channel>')).toBe('&lt;!channel&gt;')
  })
})
