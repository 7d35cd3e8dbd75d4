import type { MikroORM } from '@mikro-orm/postgresql'
import { readScope } from '../../../db/tenant'
import { memberDirectory } from '~/domain/reference/reference-data.server'

/**
 * The few reads a live stream makes: the incident it watches (once, when it opens), the events
 * it missed (once, when it resumes) and the organization's members (from the reference cache, for
 * every event it forwards). Each read takes a pooled connection for one short statement and
 * gives it back; an open stream holds none.
 */

export interface LiveIncidentRef {
  id: string
  number: number
  lastSeq: number
}

/**
 * The organization's incident with that number as `userId` may see it, or null (another
 * organization's, and a private one they are no participant of, are null too).
 */
export async function findLiveIncident(
  orm: MikroORM,
  organizationId: string,
  number: number,
  userId: string,
): Promise<LiveIncidentRef | null> {
  const rows = await readScope(orm, { organizationId, actingUserId: userId }, (em) =>
    em.execute<Array<{ id: string; number: number; last_event_seq: number }>>(
      `select id, number, last_event_seq from incident where organization_id = ? and number = ?`,
      [organizationId, number],
    ),
  )
  const row = rows[0]
  return row ? { id: row.id, number: row.number, lastSeq: Number(row.last_event_seq) } : null
}

/** The incident's events after `seq`, oldest first, at most `limit` of them, as `userId` may see them. */
export async function eventsAfter(
  orm: MikroORM,
  organizationId: string,
  incidentId: string,
  seq: number,
  limit: number,
  userId: string,
): Promise<Array<{ seq: number; type: string }>> {
  const rows = await readScope(orm, { organizationId, actingUserId: userId }, (em) =>
    em.execute<Array<{ seq: number; type: string }>>(
      `select seq, type from incident_event
        where organization_id = ? and incident_id = ? and seq > ?
        order by seq limit ?`,
      [organizationId, incidentId, seq, limit],
    ),
  )
  return rows.map((r) => ({ seq: Number(r.seq), type: r.type }))
}

/**
 * The organization's active members by user id, with their names, read through the reference
 * cache: a deactivation or removal notifies it (migration 0012), so a stream learns it on the
 * next event without a query per event.
 */
export async function activeMembers(
  orm: MikroORM,
  organizationId: string,
): Promise<Map<string, string>> {
  const directory = await memberDirectory(orm, organizationId)
  return new Map(directory.filter((m) => m.active).map((m) => [m.userId, m.displayName]))
}
