import type { MikroORM } from '@mikro-orm/postgresql'
import { memberName } from '~/domain/access/person-name'
import { customFieldDefinitions } from '~/domain/custom-fields/custom-field-definitions.server'
import {
  customFieldsByKey,
  type CustomFieldDefinition,
} from '~/domain/custom-fields/custom-field-values'
import { describeEvent } from '~/domain/incident/describe-event.server'
import { GENESIS_HASH, type StoredEvent } from '~/domain/incident/events'
import {
  actorFor,
  getIncidentDetail,
  type IncidentDetail,
} from '~/domain/incident/incident-queries.server'
import {
  listIncidents,
  type IncidentFilters,
  type IncidentListRow,
} from '~/domain/incident/incident-list.server'
import { incidentWords } from '~/domain/incident/incident-page.server'
import {
  loadRelationsPayload,
  type RelationsPayload,
} from '~/domain/incident/incident-relations.server'
import { nextSteps } from '~/domain/incident/lifecycle'
import { ApiError } from './http.server'
import {
  DEFAULT_PAGE_SIZE,
  type ApiIncident,
  type ApiTimelineEvent,
  type ListIncidentsQuery,
} from './schemas'
import type { ApiActor } from './tokens.server'

/**
 * The incident domain's answers in the API's shapes (see schemas.ts). Reads go through the same
 * services as the pages, under the token's organization.
 */

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null)

export function incidentLinks(appUrl: string, number: number) {
  return {
    html: new URL(`/incidents/${number}`, appUrl).toString(),
    self: new URL(`/api/v1/incidents/${number}`, appUrl).toString(),
  }
}

/** An incident's detail with its classification, links and role holders. */
export type ApiIncidentDetail = IncidentDetail & { relations: RelationsPayload }

/** The organization's incident, or 404 — also for a number only another organization has. */
export async function requireIncidentDetail(
  orm: MikroORM,
  actor: ApiActor,
  number: number,
): Promise<ApiIncidentDetail> {
  const detail = await getIncidentDetail(orm, actor, number)
  if (!detail) throw new ApiError('not_found', 'Incident not found.')
  const relations = await loadRelationsPayload(orm, actor.organization.id, detail.incident)
  return { ...detail, relations }
}

function personFrom(detail: IncidentDetail, id: string | null | undefined) {
  if (!id) return null
  return { id, name: memberName(detail.people.get(id)?.name) }
}

function catalogEntry(entries: Array<{ id: string; name: string }>, id: string | null | undefined) {
  if (!id) return null
  const entry = entries.find((e) => e.id === id)
  return entry ? { id: entry.id, name: entry.name } : null
}

export function toApiIncident(
  detail: ApiIncidentDetail,
  actor: ApiActor,
  appUrl: string,
): ApiIncident {
  const i = detail.incident
  return {
    id: `INC-${i.number}`,
    number: i.number,
    title: i.title,
    summary: i.summary,
    status: i.status,
    severity: i.severity,
    impact: i.impact ?? null,
    urgency: i.urgency ?? null,
    service: catalogEntry(detail.services, i.serviceId),
    incidentType: catalogEntry(detail.types, i.incidentTypeId),
    commander: personFrom(detail, i.commanderId),
    assignees: [...i.assigneeIds].sort().map((id) => personFrom(detail, id)!),
    declaredBy: personFrom(detail, i.declaredById),
    ...detail.relations,
    private: i.private,
    impactStartedAt: i.impactStartedAt.toISOString(),
    declaredAt: i.declaredAt.toISOString(),
    acknowledgedAt: iso(i.acknowledgedAt),
    mitigatedAt: iso(i.mitigatedAt),
    resolvedAt: iso(i.resolvedAt),
    postmortemAt: iso(i.postmortemAt),
    closedAt: iso(i.closedAt),
    version: i.version,
    nextActions:
      i.classification === 'incident'
        ? nextSteps(i.status, actorFor(actor, i)).map((t) => t.action)
        : [],
    customFields: customFieldsByKey(detail.customFieldDefinitions, i.customFields),
    links: incidentLinks(appUrl, i.number),
  }
}

export function toApiEvent(
  event: StoredEvent,
  detail: IncidentDetail,
  timeZone: string,
): ApiTimelineEvent {
  const words = describeEvent(event, incidentWords(detail, timeZone, { former: null }))
  return {
    seq: event.seq,
    type: event.type,
    actor: personFrom(detail, event.actorId),
    occurredAt: event.occurredAt,
    summary: words.summary,
    payload: event.payload as unknown as Record<string, unknown>,
    prevHash: event.prevHash,
    hash: event.hash,
  }
}

export function toApiTimeline(detail: IncidentDetail, actor: ApiActor, appUrl: string) {
  const number = detail.incident.number
  return {
    incident: { id: `INC-${number}`, number, links: incidentLinks(appUrl, number) },
    genesisHash: GENESIS_HASH,
    data: detail.events.map((e) => toApiEvent(e, detail, actor.organization.timezone)),
  }
}

function toApiSummary(
  row: IncidentListRow,
  appUrl: string,
  fields: readonly CustomFieldDefinition[],
) {
  return {
    id: `INC-${row.number}`,
    number: row.number,
    title: row.title,
    status: row.status,
    severity: row.severity,
    serviceName: row.serviceName,
    incidentTypeName: row.typeName,
    commanderName: row.commanderName,
    assigneeCount: row.assigneeCount,
    classification: row.classification,
    private: row.private,
    declaredAt: row.declaredAt,
    impactStartedAt: row.impactStartedAt,
    customFields: customFieldsByKey(fields, row.customFields),
    links: incidentLinks(appUrl, row.number),
  }
}

/** The list's cursors are base64url JSON of [severity, declaredAt, id]; see incident-list.server.ts. */
function isCursor(value: string) {
  try {
    const parts: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'))
    return Array.isArray(parts) && parts.length === 3 && parts.every((p) => typeof p === 'string')
  } catch {
    return false
  }
}

/** One page of the organization's incidents with the same filters and order as /incidents. */
export async function listApiIncidents(
  orm: MikroORM,
  actor: ApiActor,
  query: ListIncidentsQuery,
  requestUrl: URL,
  appUrl: string,
) {
  if (query.cursor && !isCursor(query.cursor))
    throw new ApiError('validation_failed', 'Check `cursor`.', {
      fields: { cursor: ['Use the nextCursor of a previous page.'] },
    })
  const filters: IncidentFilters = {
    status: query.status ?? [],
    severity: query.severity ?? [],
    service: query.service,
    type: query.type,
    assignee: query.assignee,
    q: query.q?.trim() || undefined,
    from: query.from,
    to: query.to,
    private: query.private,
    after: query.cursor,
  }
  const fields = await customFieldDefinitions(orm, actor.organization.id)
  const page = await listIncidents(
    orm,
    actor.organization.id,
    actor.user.id,
    filters,
    query.limit ?? DEFAULT_PAGE_SIZE,
  )
  let next: string | null = null
  if (page.next) {
    const url = new URL(requestUrl.pathname + requestUrl.search, appUrl)
    url.searchParams.set('cursor', page.next)
    next = url.toString()
  }
  return {
    data: page.rows.map((row) => toApiSummary(row, appUrl, fields)),
    nextCursor: page.next,
    links: { next },
  }
}
