import { LockMode, type EntityManager } from '@mikro-orm/postgresql'
import { IncidentEventSchema, IncidentSchema, type Incident } from '../../../db/entities/incident'
import { transactionExecutor } from '../../../db/transaction'
import { currentRequestId } from '~/utils/request-id.server'
import { timeOrderedUuids } from '~/utils/time-ordered-uuid.server'
import {
  GENESIS_HASH,
  eventHash,
  type EventPayloads,
  type EventType,
  type StoredEvent,
} from './events'
import { IncidentConflictError, IncidentError } from './incident-errors'
import { recordTimelineEntries } from './timeline.server'

/**
 * The incident's event store: its hash-chained, append-only events, the row lock every change
 * takes first, and the stored shape events are read back in. Commands, postmortems, alerts and
 * the SLA sweep all append through here; it imports none of them.
 */

const iso = (date: Date) => date.toISOString()

/** The end of an incident's chain, which appending moves on; an `Incident` is one. */
export interface ChainHead {
  id: string
  organizationId: string
  lastEventSeq: number
  lastEventHash?: string | null
  version: number
  updatedAt: Date
}

/** One event to append: the chain it joins, what happened, who did it and when. */
export type NewEvent = {
  [T in EventType]: {
    incident: ChainHead
    type: T
    payload: EventPayloads[T]
    actorId: string | null
    now: Date
  }
}[EventType]

/** Where an appended event sits in its incident's chain. */
export interface AppendedEvent {
  incidentId: string
  seq: number
  hash: string
}

/**
 * Every event and its fan-out outbox row, in one statement: escalation rules, e-mail and webhooks
 * are derived from the outbox by the worker, so none of them can see a rolled-back change. The
 * rows travel as one JSON parameter. Event ids are time-ordered (version 7) UUIDs made here: each
 * insert then lands at the right end of the primary-key index instead of on a random page of it.
 */
const INSERT_EVENTS = `
  with x as (
    select * from json_to_recordset($1::json) as r(
      id uuid, organization_id uuid, incident_id uuid, seq integer, type text, actor_id uuid,
      occurred_at timestamptz, payload jsonb, prev_hash text, hash text)
  ), events as (
    insert into incident_event
      (id, organization_id, incident_id, seq, type, actor_id, occurred_at, payload, prev_hash, hash)
    select id, organization_id, incident_id, seq, type, actor_id, occurred_at, payload, prev_hash,
           hash
      from x
  )
  insert into event_outbox (tenant_id, incident_id, event_seq, request_id)
  select organization_id, incident_id, seq, $2::text from x`

/**
 * Appends events to their incidents' chains, in the order given (several events of one incident
 * follow each other in its chain), with their timeline entries and outbox rows, and moves each
 * head on: seq, hash, version and updatedAt. The caller holds every incident's row lock, so `seq`
 * and `prev_hash` cannot race, and writes the heads back (an ORM flush for entities, or a
 * statement of its own).
 */
export async function appendEvents(
  em: EntityManager,
  events: readonly NewEvent[],
): Promise<AppendedEvent[]> {
  if (events.length === 0) return []
  const ids = timeOrderedUuids(events.length)
  const rows = events.map(({ incident, type, payload, actorId, now }, i) => {
    const seq = incident.lastEventSeq + 1
    const prevHash = incident.lastEventHash ?? GENESIS_HASH
    const occurredAt = iso(now)
    // Round-trip through JSON so the hash covers exactly what jsonb will store and give back.
    const stored = JSON.parse(JSON.stringify(payload)) as unknown
    const hash = eventHash({
      prevHash,
      seq,
      organizationId: incident.organizationId,
      incidentId: incident.id,
      type,
      actorId,
      occurredAt,
      payload: stored,
    })
    incident.lastEventSeq = seq
    incident.lastEventHash = hash
    incident.version = seq
    incident.updatedAt = now
    return {
      id: ids[i]!,
      organization_id: incident.organizationId,
      incident_id: incident.id,
      seq,
      type,
      actor_id: actorId,
      occurred_at: occurredAt,
      payload: stored,
      prev_hash: prevHash,
      hash,
    }
  })
  const { executeSql } = await transactionExecutor(em)
  // The request (or the job a request caused) that wrote the events, so their fan-out logs under it.
  await executeSql(INSERT_EVENTS, [JSON.stringify(rows), currentRequestId() ?? null])
  // The page's read model of each entry (its run, its Markdown rendered once) is written with it.
  await recordTimelineEntries(
    em,
    rows.map((r) => ({
      organizationId: r.organization_id,
      incidentId: r.incident_id,
      seq: r.seq,
      type: r.type,
      actorId: r.actor_id,
      payload: r.payload,
    })),
  )
  return rows.map((r) => ({ incidentId: r.incident_id, seq: r.seq, hash: r.hash }))
}

/**
 * Appends one event to the incident's chain and moves its version on. The caller holds the
 * incident's row lock, so `seq` and `prev_hash` cannot race.
 */
export async function appendEvent<T extends EventType>(
  em: EntityManager,
  incident: Incident,
  type: T,
  payload: EventPayloads[T],
  actorId: string | null,
  now: Date,
) {
  await appendEvents(em, [{ incident, type, payload, actorId, now } as NewEvent])
}

/** Loads and locks one incident of the organization, checking the form's version. */
export async function lockIncident(
  em: EntityManager,
  organizationId: string,
  number: number,
  version: number | undefined,
) {
  const incident = await em.findOne(
    IncidentSchema,
    { organizationId, number },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  )
  if (!incident) throw new IncidentError(null, 'Incident not found', 404)
  if (version !== undefined && version !== incident.version) {
    // Only people's changes make a form stale: entries the system appends by itself (SLA signals,
    // escalation rule firings) change nothing a form shows, so a form opened before them stands.
    const since =
      version < incident.version
        ? await em.find(
            IncidentEventSchema,
            { organizationId, incidentId: incident.id, seq: { $gt: version } },
            { fields: ['type'] },
          )
        : []
    if (since.length === 0 || since.some((e) => !SYSTEM_NOTE_TYPES.has(e.type)))
      throw new IncidentConflictError(incident.version)
  }
  return incident
}

/**
 * Timeline entries that change nothing an incident form shows: what the system noticed or did
 * (SLA signals, rule firings, inbound alerts) and the postmortem's own status.
 */
const SYSTEM_NOTE_TYPES = new Set<string>([
  'sla.warning',
  'sla.breached',
  'sla.retargeted',
  'escalation.fired',
  'alert.received',
  'alert.resolved',
  'postmortem.status_changed',
])

export function toStoredEvent(row: {
  id: string
  organizationId: string
  incidentId: string
  seq: number
  type: string
  actorId?: string | null
  occurredAt: Date
  payload: unknown
  prevHash: string
  hash: string
}): StoredEvent {
  return {
    id: row.id,
    organizationId: row.organizationId,
    incidentId: row.incidentId,
    seq: row.seq,
    type: row.type,
    actorId: row.actorId ?? null,
    occurredAt: iso(row.occurredAt),
    payload: row.payload,
    prevHash: row.prevHash,
    hash: row.hash,
  } as StoredEvent
}
