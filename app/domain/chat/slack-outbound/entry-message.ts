import type { EventType, StoredEvent } from '~/domain/incident/events'
import { escapeMrkdwn } from './summary-message'

/**
 * A timeline entry as a Slack message, and which entries are system signals (grouped in one
 * thread under a "System signals" message so they do not drown the conversation).
 */

export const SIGNALS_PARENT_TEXT = 'System signals'

/** Longest message text posted; Slack cuts a `text` at 40,000 characters. */
const TEXT_MAX = 3_900

export function isSystemSignal(type: EventType | string): boolean {
  return type.startsWith('sla.') || type === 'escalation.fired' || type.startsWith('alert.')
}

/** Where the entry came from, when a chat message became it (see the inbound half). */
export function entrySource(event: Pick<StoredEvent, 'payload'>): { channelId?: string } | null {
  const source = (event.payload as { source?: unknown }).source
  if (typeof source !== 'object' || source === null) return null
  const channelId = (source as { channelId?: unknown }).channelId
  return typeof channelId === 'string' ? { channelId } : {}
}

/**
 * The message for one entry: who did what, in the words the incident page uses, with a
 * comment's own text below.
 */
export function entryMessage(input: {
  event: StoredEvent
  /** The actor's name; null for the system (alerts, SLA sweeps, escalation rules). */
  actorName: string | null
  words: { summary: string; detail: string | null }
}): string {
  const { event, actorName, words } = input
  const who = actorName ? `*${escapeMrkdwn(actorName)}*` : '_IncidentFlow_'
  const lines = [`${who} ${escapeMrkdwn(words.summary)}`]
  if (event.type === 'comment.added' || event.type === 'comment.corrected')
    lines.push(quote(event.payload.body))
  else if (words.detail) lines.push(quote(words.detail))
  const text = lines.join('\n')
  return text.length > TEXT_MAX ? `${text.slice(0, TEXT_MAX - 1)}…` : text
}

function quote(text: string) {
  return escapeMrkdwn(text)
    .split('\n')
    .map((line) => `>${line}`)
    .join('\n')
}
