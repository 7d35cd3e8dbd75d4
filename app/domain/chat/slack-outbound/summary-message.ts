import { TRANSITIONS, type TransitionAction } from '~/domain/incident/lifecycle'
import { STATUS_LABELS, type IncidentStatus, type Severity } from '~/domain/incident/vocabulary'
import type { SlaState } from '~/domain/sla/clock'

/**
 * The incident's summary message in Slack: title, status, severity, commander, SLA state, a link
 * to the incident, and a button for each next step the lifecycle allows now. Posted once when the
 * channel is made, then rewritten in place (`chat.update`) from the incident as it is at delivery.
 */

/** The buttons' action ids, which the interactivity handler acts on. */
export const SUMMARY_ACTION_IDS = {
  'start-investigating': 'incident_start_investigating',
  'mark-mitigated': 'incident_mark_mitigated',
  'mark-resolved': 'incident_mark_resolved',
} as const satisfies Partial<Record<TransitionAction, string>>

type ButtonAction = keyof typeof SUMMARY_ACTION_IDS

export interface SummaryView {
  number: number
  title: string
  status: IncidentStatus
  severity: Severity
  commander: { name: string; slackUserId: string | null } | null
  sla: { state: SlaState; next: { label: string; dueAt: Date } | null } | null
  url: string
}

const SLA_WORDS: Record<SlaState, string> = {
  running: 'On track',
  warning: 'At risk',
  breached: 'Breached',
  met: 'Met',
}

/** Slack's mrkdwn gives `&`, `<` and `>` meaning; anything people wrote goes through this. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** The transitions with a summary button that the lifecycle allows from `status`. */
export function summaryButtons(status: IncidentStatus): ButtonAction[] {
  return TRANSITIONS.filter(
    (t): t is (typeof TRANSITIONS)[number] & { action: ButtonAction } =>
      t.action in SUMMARY_ACTION_IDS && t.from.includes(status),
  ).map((t) => t.action)
}

function slaText(sla: SummaryView['sla']): string {
  if (!sla) return 'No SLA'
  const words = SLA_WORDS[sla.state]
  if (!sla.next) return words
  const at = sla.next.dueAt
  const seconds = Math.floor(at.getTime() / 1000)
  const fallback = `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`
  // Slack shows the date in each reader's own time zone; the fallback is for old clients.
  return `${words} · ${escapeMrkdwn(sla.next.label)} due <!date^${seconds}^{date_short_pretty} {time}|${fallback}>`
}

function commanderText(commander: SummaryView['commander']): string {
  if (!commander) return 'Nobody'
  return commander.slackUserId ? `<@${commander.slackUserId}>` : escapeMrkdwn(commander.name)
}

export function summaryFallbackText(view: SummaryView): string {
  return `INC-${view.number}: ${view.title} — ${STATUS_LABELS[view.status]}, ${view.severity}`
}

/** The message: `text` (notifications, old clients) and its Block Kit blocks. */
export function summaryMessage(view: SummaryView): { text: string; blocks: object[] } {
  const reference = `INC-${view.number}`
  const blocks: object[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: `${reference}: ${view.title}`.slice(0, 150), emoji: false },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Status*\n${STATUS_LABELS[view.status]}` },
        { type: 'mrkdwn', text: `*Severity*\n${view.severity}` },
        { type: 'mrkdwn', text: `*Commander*\n${commanderText(view.commander)}` },
        { type: 'mrkdwn', text: `*SLA*\n${slaText(view.sla)}` },
      ],
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: `<${view.url}|Open ${reference} in IncidentFlow>` },
    },
  ]
  const buttons = summaryButtons(view.status)
  if (buttons.length > 0) {
    blocks.push({
      type: 'actions',
      block_id: 'incident_actions',
      elements: buttons.map((action) => ({
        type: 'button',
        action_id: SUMMARY_ACTION_IDS[action],
        text: {
          type: 'plain_text',
          text: TRANSITIONS.find((t) => t.action === action)!.label,
        },
        value: reference,
        ...(action === 'mark-resolved' ? { style: 'primary' } : {}),
      })),
    })
  }
  return { text: escapeMrkdwn(summaryFallbackText(view)), blocks }
}
