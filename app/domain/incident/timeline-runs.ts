import type { EventType } from './events'

/**
 * What the incident page derives from one timeline entry when it is written, so that reading a
 * page of the timeline needs neither the entries before it nor a Markdown renderer:
 *
 * - a run key: consecutive entries the system made with the same key (one alert firing again and
 *   again, a burst of SLA signals) are one run, shown as one entry with a count;
 * - the Markdown source the entry carries (a comment's body, the summary it set), rendered once;
 * - for a correction, the comment it supersedes.
 */

export interface EntrySource {
  type: EventType | string
  actorId: string | null
  payload: unknown
}

/** Runs of one alert are told apart by where it came from and its de-duplication key. */
const ALERT_TYPES = new Set<string>(['alert.received', 'alert.resolved'])
/**
 * SLA signals arrive in bursts (a sweep that finds several targets due at once, a warning then its
 * breach); retargeting is not one of them, since it follows a person's severity change.
 */
const SLA_SIGNAL_TYPES = new Set<string>(['sla.warning', 'sla.breached'])

/** The key that joins this entry to a run of the same entries before it; null for none. */
export function runKeyOf(entry: EntrySource): string | null {
  if (entry.actorId !== null) return null
  const payload = entry.payload as Record<string, unknown>
  if (ALERT_TYPES.has(entry.type))
    return `${entry.type} ${String(payload.integrationId)} ${String(payload.dedupKey)}`
  if (SLA_SIGNAL_TYPES.has(entry.type)) return 'sla'
  return null
}

/** What a run looks like on the page: the same alert again, or several SLA signals. */
export function runKind(type: string): 'repeat' | 'sla' {
  return SLA_SIGNAL_TYPES.has(type) ? 'sla' : 'repeat'
}

export type MarkdownOf = 'comment' | 'summary'

/** The Markdown this entry carries and what it is, or null. */
export function markdownOf(entry: EntrySource): { source: string; of: MarkdownOf } | null {
  const payload = entry.payload as Record<string, unknown>
  switch (entry.type) {
    case 'comment.added':
    case 'comment.corrected':
    case 'chat.message_captured':
      return { source: String(payload.body), of: 'comment' }
    case 'incident.declared':
      return { source: String(payload.summary ?? ''), of: 'summary' }
    case 'incident.field_changed':
      return payload.field === 'summary' ? { source: String(payload.to), of: 'summary' } : null
    default:
      return null
  }
}

/** The comment a correction supersedes. */
export function supersedesOf(entry: EntrySource): number | null {
  if (entry.type !== 'comment.corrected') return null
  return Number((entry.payload as { supersedesSeq: number }).supersedesSeq)
}
