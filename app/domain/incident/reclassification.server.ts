import { LockMode, type EntityManager, type MikroORM } from '@mikro-orm/postgresql'
import { IncidentSchema, type Incident } from '../../../db/entities/incident'
import { inScope } from '../../../db/tenant'
import { now as clockNow } from '~/utils/clock'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { refreshSlaDeadline } from '~/domain/sla/sla.server'
import {
  frozenRefusal,
  linkKindFor,
  linkText,
  type IncidentLinkView,
  type ReclassifyChoice,
} from './classification'
import { appendEvents, lockIncident, type NewEvent } from './event-store.server'
import type { Classification, LinkKind } from './events'
import { IncidentError } from './incident-errors'
import { canWork } from './incident-queries.server'

/**
 * Reclassification and links between incidents (decision 038). Each command locks the incidents
 * it touches in number order (so two people linking the same pair from both ends wait rather than
 * deadlock), writes the rows and appends the entries on both chains in one transaction.
 */

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

const NUL = '\u0000'

function assertReason(reason: string) {
  if (!reason.trim()) throw new IncidentError('reason', 'Give a reason.')
  if (reason.includes(NUL))
    throw new IncidentError(
      'reason',
      'This text contains a NUL character, which cannot be stored. Remove it.',
    )
}

function assertReclassifies(member: Actorish) {
  if (!can(member.role, 'incident.assign'))
    throw new IncidentError(null, 'Only managers and admins can reclassify incidents.', 403)
}

/**
 * Locks the incident (checking the form's version) and the other incident the form names, lower
 * number first. The other incident is a field error when this organization has no such number
 * — or the person cannot see it (a private incident): the same words either way.
 */
async function lockPair(
  em: EntityManager,
  organizationId: string,
  number: number,
  version: number | undefined,
  otherNumber: number,
  field: string,
): Promise<{ incident: Incident; other: Incident }> {
  if (otherNumber === number)
    throw new IncidentError(field, 'Choose another incident than this one.')
  const lockOther = () =>
    em.findOne(
      IncidentSchema,
      { organizationId, number: otherNumber },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    )
  let other: Incident | null = null
  if (otherNumber < number) other = await lockOther()
  const incident = await lockIncident(em, organizationId, number, version)
  if (otherNumber > number) other = await lockOther()
  if (!other) throw new IncidentError(field, `There is no INC-${otherNumber} in this organization.`)
  return { incident, other }
}

function linkEvents(
  from: Incident,
  to: Incident,
  kind: LinkKind,
  type: 'incident.link_added' | 'incident.link_removed',
  actorId: string,
  now: Date,
  { fromSide = true }: { fromSide?: boolean } = {},
): NewEvent[] {
  const events: NewEvent[] = []
  if (fromSide)
    events.push({
      incident: from,
      type,
      payload: { relatedIncidentId: to.id, relatedNumber: to.number, kind, direction: 'to' },
      actorId,
      now,
    })
  events.push({
    incident: to,
    type,
    payload: { relatedIncidentId: from.id, relatedNumber: from.number, kind, direction: 'from' },
    actorId,
    now,
  })
  return events
}

interface LinkRow {
  incident_id: string
  related_incident_id: string
  kind: LinkKind
}

async function linkBetween(em: EntityManager, organizationId: string, a: string, b: string) {
  const [row] = await em.execute<LinkRow[]>(
    `select incident_id, related_incident_id, kind from incident_link
      where organization_id = ?
        and ((incident_id = ? and related_incident_id = ?)
          or (incident_id = ? and related_incident_id = ?))`,
    [organizationId, a, b, b, a],
  )
  return row ?? null
}

async function deleteLink(em: EntityManager, organizationId: string, row: LinkRow) {
  await em.execute(
    `delete from incident_link
      where organization_id = ? and incident_id = ? and related_incident_id = ?`,
    [organizationId, row.incident_id, row.related_incident_id],
  )
}

async function insertLink(
  em: EntityManager,
  organizationId: string,
  from: Incident,
  to: Incident,
  kind: LinkKind,
  actorId: string,
  now: Date,
) {
  await em.execute(
    `insert into incident_link
       (organization_id, incident_id, related_incident_id, kind, created_by_id, created_at)
     values (?, ?, ?, ?, ?, ?)`,
    [organizationId, from.id, to.id, kind, actorId, now],
  )
}

export interface ReclassifyInput {
  classification: ReclassifyChoice
  /** The surviving incident's number, for a duplicate or a merge. */
  targetNumber?: number | null
  reason: string
  version?: number
}

/**
 * Marks an incident declined, a duplicate of another, or merged into another: a lifecycle step on
 * its chain (`incident.reclassified`), and for a duplicate or merge a link both ways with an
 * entry on the surviving incident's chain too. The incident keeps its status and history, leaves
 * the open list and the metrics, and is frozen until the reclassification is undone. The target
 * must itself count as an incident: a chain of duplicates would leave the one that survives
 * unclear, and it makes cycles impossible.
 */
export async function reclassifyIncident(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: ReclassifyInput,
  now = clockNow(),
) {
  assertReclassifies(member)
  const needsTarget = input.classification !== 'declined'
  if (needsTarget && !input.targetNumber)
    throw new IncidentError('targetNumber', 'Give the number of the incident that stays (INC-n).')
  assertReason(input.reason)
  const reason = input.reason.trim()
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const { incident, target } = needsTarget
      ? await lockPair(
          em,
          organizationId,
          number,
          input.version,
          input.targetNumber!,
          'targetNumber',
        ).then(({ incident, other }) => ({ incident, target: other as Incident | null }))
      : {
          incident: await lockIncident(em, organizationId, number, input.version),
          target: null,
        }
    const frozen = frozenRefusal(incident)
    if (frozen) throw new IncidentError(null, frozen)
    // Incidents recorded as duplicates of (or merged into) this one must keep a surviving target.
    const [pointing] = await em.execute<{ number: number; classification: Classification }[]>(
      `select number, classification from incident
        where organization_id = ? and classified_as_of_id = ? order by number limit 1`,
      [organizationId, incident.id],
    )
    if (pointing)
      throw new IncidentError(
        null,
        `INC-${pointing.number} is recorded as ${pointing.classification === 'merged' ? 'merged into' : 'a duplicate of'} this incident. Undo that reclassification first.`,
      )
    if (target && target.classification !== 'incident') {
      const [survivor] = target.classifiedAsOfId
        ? await em.execute<{ number: number }[]>(
            `select number from incident where organization_id = ? and id = ?`,
            [organizationId, target.classifiedAsOfId],
          )
        : []
      throw new IncidentError(
        'targetNumber',
        survivor
          ? `INC-${target.number} is itself ${target.classification === 'merged' ? 'merged into' : 'a duplicate of'} INC-${survivor.number}: choose INC-${survivor.number}.`
          : `INC-${target.number} was declined (not an incident): choose an incident that stays.`,
      )
    }
    incident.classification = input.classification
    incident.classifiedAsOfId = target?.id ?? null
    // A reclassified incident has no SLA to keep: the sweep stops watching it.
    incident.slaNextDeadline = null
    const events: NewEvent[] = [
      {
        incident,
        type: 'incident.reclassified',
        payload: {
          classification: input.classification,
          targetIncidentId: target?.id ?? null,
          targetNumber: target?.number ?? null,
          reason,
        },
        actorId: member.user.id,
        now,
      },
    ]
    if (target && input.classification !== 'declined') {
      const kind = linkKindFor(input.classification)
      const existing = await linkBetween(em, organizationId, incident.id, target.id)
      if (existing) {
        // A related link between the two gives way to the duplicate or merge link.
        await deleteLink(em, organizationId, existing)
        events.push(
          ...linkEvents(
            incident,
            target,
            existing.kind,
            'incident.link_removed',
            member.user.id,
            now,
          ),
        )
      }
      await insertLink(em, organizationId, incident, target, kind, member.user.id, now)
      // This incident's own entry is the reclassification; the target's says what arrived.
      events.push(
        ...linkEvents(incident, target, kind, 'incident.link_added', member.user.id, now, {
          fromSide: false,
        }),
      )
    }
    await appendEvents(em, events)
    await em.flush()
    return { classification: incident.classification, targetNumber: target?.number ?? null }
  })
}

/**
 * Counts a reclassified incident as an incident again (a manager, with a reason): the
 * `incident.reclassified` entry back to `incident`, its link removed on both chains, its SLA clock
 * watched again.
 */
export async function undoReclassification(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: { reason: string; version?: number },
  now = clockNow(),
) {
  assertReclassifies(member)
  assertReason(input.reason)
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const peek = await em.findOne(IncidentSchema, { organizationId, number })
    if (!peek) throw new IncidentError(null, 'Incident not found', 404)
    const targetNumber = peek.classifiedAsOfId
      ? (await em.findOne(IncidentSchema, { organizationId, id: peek.classifiedAsOfId }))?.number
      : undefined
    const { incident, target } = targetNumber
      ? await lockPair(em, organizationId, number, input.version, targetNumber, 'reason').then(
          ({ incident, other }) => ({ incident, target: other as Incident | null }),
        )
      : { incident: await lockIncident(em, organizationId, number, input.version), target: null }
    if (incident.classification === 'incident')
      throw new IncidentError(null, 'This incident is not reclassified.')
    if ((target?.id ?? null) !== (incident.classifiedAsOfId ?? null))
      // Changed between the look and the lock: the version check would have refused a form;
      // an API caller retries.
      throw new IncidentError(null, 'This incident changed meanwhile. Try again.', 409)
    const from = incident.classification
    incident.classification = 'incident'
    incident.classifiedAsOfId = null
    await refreshSlaDeadline(em, incident, now)
    const events: NewEvent[] = [
      {
        incident,
        type: 'incident.reclassified',
        payload: {
          classification: 'incident',
          targetIncidentId: null,
          targetNumber: null,
          reason: input.reason.trim(),
        },
        actorId: member.user.id,
        now,
      },
    ]
    if (target && (from === 'duplicate' || from === 'merged')) {
      const existing = await linkBetween(em, organizationId, incident.id, target.id)
      if (existing) await deleteLink(em, organizationId, existing)
      events.push(
        ...linkEvents(
          incident,
          target,
          linkKindFor(from),
          'incident.link_removed',
          member.user.id,
          now,
          {
            fromSide: false,
          },
        ),
      )
    }
    await appendEvents(em, events)
    await em.flush()
    return { classification: incident.classification }
  })
}

function assertLinks(member: Actorish, incident: Incident) {
  if (!canWork(member, incident) && !can(member.role, 'incident.assign'))
    throw new IncidentError(
      null,
      'Only the commander, an assignee, a manager or an admin can link incidents.',
      403,
    )
  const frozen = frozenRefusal(incident)
  if (frozen) throw new IncidentError(null, frozen)
}

/** "Related to INC-n": one link, shown on both incidents, an entry on both chains. */
export async function addRelatedLink(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: { relatedNumber: number; version?: number },
  now = clockNow(),
) {
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const { incident, other } = await lockPair(
      em,
      organizationId,
      number,
      input.version,
      input.relatedNumber,
      'relatedNumber',
    )
    assertLinks(member, incident)
    const existing = await linkBetween(em, organizationId, incident.id, other.id)
    if (existing)
      throw new IncidentError(
        'relatedNumber',
        `${linkText(existing.kind, existing.incident_id === incident.id, other.number)} already.`,
      )
    await insertLink(em, organizationId, incident, other, 'related', member.user.id, now)
    await appendEvents(
      em,
      linkEvents(incident, other, 'related', 'incident.link_added', member.user.id, now),
    )
    await em.flush()
    return { relatedNumber: other.number }
  })
}

/** Removes a "related to" link, from either end; duplicate and merge links go with an undo. */
export async function removeRelatedLink(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: { relatedNumber: number; version?: number },
  now = clockNow(),
) {
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const { incident, other } = await lockPair(
      em,
      organizationId,
      number,
      input.version,
      input.relatedNumber,
      'relatedNumber',
    )
    assertLinks(member, incident)
    const existing = await linkBetween(em, organizationId, incident.id, other.id)
    if (!existing || existing.kind !== 'related')
      throw new IncidentError(
        'relatedNumber',
        `This incident is not related to INC-${other.number}.`,
      )
    await deleteLink(em, organizationId, existing)
    // The entries read from the end that added the link, as when it was added.
    const [from, to] = existing.incident_id === incident.id ? [incident, other] : [other, incident]
    await appendEvents(
      em,
      linkEvents(from, to, 'related', 'incident.link_removed', member.user.id, now),
    )
    await em.flush()
    return { relatedNumber: other.number }
  })
}

/**
 * The incident's links, read from both ends, with the other incident's number and title; links
 * to an incident the person cannot see (private) are left out by its row-level security.
 */
export async function incidentLinks(
  em: EntityManager,
  organizationId: string,
  incidentId: string,
): Promise<IncidentLinkView[]> {
  const rows = await em.execute<
    Array<{ kind: LinkKind; outgoing: boolean; number: number; title: string }>
  >(
    `select l.kind, l.incident_id = ? as outgoing, o.number, o.title
       from incident_link l
       join incident o
         on o.organization_id = l.organization_id
        and o.id = case when l.incident_id = ? then l.related_incident_id else l.incident_id end
      where l.organization_id = ? and (l.incident_id = ? or l.related_incident_id = ?)
      order by o.number`,
    [incidentId, incidentId, organizationId, incidentId, incidentId],
  )
  return rows.map((r) => ({ ...r, text: linkText(r.kind, r.outgoing, r.number) }))
}

/** The numbers of incidents, by id: a duplicate's or merged incident's target, for pages and exports. */
export async function incidentNumbers(
  em: EntityManager,
  organizationId: string,
  ids: string[],
): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map()
  const rows = await em.execute<Array<{ id: string; number: number }>>(
    `select id, number from incident where organization_id = ? and id = any(?::uuid[])`,
    [organizationId, `{${[...new Set(ids)].join(',')}}`],
  )
  return new Map(rows.map((r) => [r.id, r.number]))
}
