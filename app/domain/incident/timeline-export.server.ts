import type { StoredEvent } from './events'

/**
 * A cell that a spreadsheet would run as a formula (=, +, -, @, tab, carriage return) is
 * prefixed with an apostrophe, so an exported timeline can be opened safely.
 */
export function csvCell(value: unknown): string {
  let text =
    value === null || value === undefined
      ? ''
      : typeof value === 'string'
        ? value
        : JSON.stringify(value)
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function timelineCsv(events: StoredEvent[], actorName: (id: string | null) => string) {
  const header = ['seq', 'occurred_at', 'type', 'actor', 'payload', 'prev_hash', 'hash']
  const lines = [header.join(',')]
  for (const e of events) {
    lines.push(
      [e.seq, e.occurredAt, e.type, actorName(e.actorId), e.payload, e.prevHash, e.hash]
        .map(csvCell)
        .join(','),
    )
  }
  return `${lines.join('\r\n')}\r\n`
}
