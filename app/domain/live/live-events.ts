/**
 * What the web processes learn about committed timeline events (migration 0019) and what their
 * live streams say to browsers. Only identifiers, numbers and event types travel: a stream tells
 * a page that something changed, and the page reloads its data through its loader, where every
 * permission applies as usual.
 */

/** The channel migration 0019's trigger notifies on. */
export const EVENTS_CHANNEL = 'incidentflow_events'
/** Web processes announce who watches which incident on this one (see presence.ts). */
export const PRESENCE_CHANNEL = 'incidentflow_presence'

/** One notification: events that one statement appended to one incident's chain. */
export interface CommittedEvents {
  organizationId: string
  incidentId: string
  /** The incident's per-organization number; null if the trigger could not read it. */
  number: number | null
  /** The highest seq appended. */
  lastSeq: number
  /** The incident is private (decision 037): only its own streams, opened after a check, hear of it. */
  private: boolean
  /** Every appended event in order, or null when there were too many to list. */
  events: Array<{ seq: number; type: string }> | null
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const isSeq = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value > 0

/** Reads a notification's payload; null for anything not of the trigger's shape. */
export function parseCommittedEvents(payload: string): CommittedEvents | null {
  let raw: unknown
  try {
    raw = JSON.parse(payload)
  } catch {
    return null
  }
  if (!raw || typeof raw !== 'object') return null
  const { o, i, n, l, e, p } = raw as Record<string, unknown>
  if (typeof o !== 'string' || !UUID.test(o) || typeof i !== 'string' || !UUID.test(i)) return null
  if (!isSeq(l)) return null
  let events: CommittedEvents['events'] = null
  if (Array.isArray(e)) {
    events = []
    for (const item of e as unknown[]) {
      if (!Array.isArray(item)) return null
      const [seq, type] = item as unknown[]
      if (!isSeq(seq) || typeof type !== 'string') return null
      events.push({ seq, type })
    }
  } else if (e !== null && e !== undefined) {
    return null
  }
  return {
    organizationId: o,
    incidentId: i,
    number: isSeq(n) ? n : null,
    lastSeq: l,
    events,
    // Anything but an explicit `false` counts as private: a payload that cannot say stays quiet.
    private: p !== false,
  }
}

/** One Server-Sent Events message, as written on the wire. */
export function sseMessage(message: { event?: string; id?: number; data: unknown }): string {
  let text = ''
  if (message.event) text += `event: ${message.event}\n`
  if (message.id !== undefined) text += `id: ${message.id}\n`
  // JSON.stringify never emits a raw line break, so the data is always one `data:` line.
  return `${text}data: ${JSON.stringify(message.data)}\n\n`
}

/** A `Last-Event-ID` header (or `since` parameter): a seq, or null when absent or not one. */
export function parseLastEventId(value: string | null | undefined): number | null {
  if (!value || !/^\d{1,9}$/.test(value.trim())) return null
  const seq = Number(value.trim())
  return seq >= 0 ? seq : null
}
