import type { AppLoadContext } from '@remix-run/node'
import { requireMember } from '~/domain/access/guard.server'
import type { StoredEvent } from './events'
import { getIncidentDetail } from './incident-queries.server'

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

/** The incident behind an export URL, for a member who may view it; 404 otherwise. */
export async function loadIncidentForExport(
  request: Request,
  context: AppLoadContext,
  numberParam: string | undefined,
) {
  const member = await requireMember(request, context, 'incident.view')
  const number = Number(numberParam)
  const detail =
    Number.isInteger(number) && number > 0
      ? await getIncidentDetail(context.orm, member, number)
      : null
  if (!detail) throw new Response('Incident not found', { status: 404 })
  return { number, detail }
}

export function downloadHeaders(contentType: string, filename: string) {
  return {
    'Content-Type': contentType,
    'Content-Disposition': `attachment; filename="${filename}"`,
    'Cache-Control': 'private, no-store',
  }
}
