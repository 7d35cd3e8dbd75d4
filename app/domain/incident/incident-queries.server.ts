import type { MikroORM } from '@mikro-orm/postgresql'
import { IncidentEventSchema, IncidentSchema, type Incident } from '../../../db/entities/incident'
import type { SlaPolicy } from '../../../db/entities/sla'
import { readScope } from '../../../db/tenant'
import {
  memberDirectory,
  referenceCatalog,
  slaPolicyVersion,
} from '~/domain/reference/reference-data.server'
import type { Member } from '~/domain/access/guard.server'
import { customFieldDefinitions } from '~/domain/custom-fields/custom-field-definitions.server'
import type { CustomFieldDefinition } from '~/domain/custom-fields/custom-field-values'
import { can, canWorkOnIncident } from '~/domain/access/permissions'
import { toStoredEvent } from './event-store.server'
import type { Classification, IncidentState, PostmortemStatus, StoredEvent } from './events'
import { nextSteps, type Actor } from './lifecycle'
import { linkText } from './classification'
import type { IncidentLinkView } from './classification'
import type { IncidentRole } from './incident-roles.server'
import {
  timelinePageOf,
  timelineQuery,
  type TimelinePage,
  type TimelineWindow,
} from './timeline.server'

/** The read side of incidents: what pages, the API and exports show, and who may do what. */

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

export function actorFor(
  member: Actorish,
  incident: Pick<Incident, 'commanderId' | 'assigneeIds'>,
): Actor {
  return {
    worksOnAny: can(member.role, 'incident.work.any'),
    worksOnAssigned: can(member.role, 'incident.work.assigned'),
    isCommander: incident.commanderId === member.user.id,
    isAssignee: incident.assigneeIds.includes(member.user.id),
  }
}

export function canWork(member: Actorish, incident: Pick<Incident, 'commanderId' | 'assigneeIds'>) {
  return canWorkOnIncident(member.role, {
    isCommander: incident.commanderId === member.user.id,
    isAssignee: incident.assigneeIds.includes(member.user.id),
  })
}

const iso = (date: Date) => date.toISOString()
const isoOrNull = (date: Date | null | undefined) => (date ? date.toISOString() : null)

/**
 * The incident row as lifecycle state, for comparing with the fold of its events. Role holders
 * live in their own table (`incidentRoleHolders`): pass them, or the state names none.
 */
export function stateOf(incident: Incident, roles: Record<string, string> = {}): IncidentState {
  return {
    number: incident.number,
    title: incident.title,
    summary: incident.summary,
    severity: incident.severity,
    impact: incident.impact ?? null,
    urgency: incident.urgency ?? null,
    status: incident.status,
    serviceId: incident.serviceId ?? null,
    incidentTypeId: incident.incidentTypeId ?? null,
    commanderId: incident.commanderId ?? null,
    assigneeIds: [...incident.assigneeIds].sort(),
    declaredById: incident.declaredById ?? null,
    customFields: { ...incident.customFields },
    impactStartedAt: iso(incident.impactStartedAt),
    declaredAt: iso(incident.declaredAt),
    acknowledgedAt: isoOrNull(incident.acknowledgedAt),
    mitigatedAt: isoOrNull(incident.mitigatedAt),
    resolvedAt: isoOrNull(incident.resolvedAt),
    postmortemAt: isoOrNull(incident.postmortemAt),
    closedAt: isoOrNull(incident.closedAt),
    classification: incident.classification,
    classifiedAsOfId: incident.classifiedAsOfId ?? null,
    roles,
    private: incident.private,
    version: incident.version,
  }
}

export interface IncidentDetail {
  incident: Incident
  events: StoredEvent[]
  people: Map<string, { name: string; email: string }>
  services: Array<{ id: string; name: string; active: boolean }>
  types: Array<{ id: string; name: string; active: boolean }>
  members: Array<{ id: string; name: string; role: string }>
  nextSteps: ReturnType<typeof nextSteps>
  /** The SLA policy version the incident runs under. */
  slaPolicy: { version: number; targets: SlaPolicy['targets'] } | null
  canWork: boolean
  canAssign: boolean
  canEscalate: boolean
  /** The organization's custom fields, archived ones too (values are keyed by their ids). */
  customFieldDefinitions: readonly CustomFieldDefinition[]
}

/** An incident's detail without its events. */
export type IncidentOverview = Omit<IncidentDetail, 'events'>

/** Everything about one incident with all its events; null for a number this organization does not have. */
export async function getIncidentDetail(
  orm: MikroORM,
  member: Actorish,
  number: number,
): Promise<IncidentDetail | null> {
  const organizationId = member.organization.id
  const reference = await readReferenceData(orm, organizationId)
  const found = await readScope(orm, { organizationId }, async (em) => {
    const incident = await em.findOne(IncidentSchema, { organizationId, number })
    if (!incident) return null
    // One after another: a transaction has one connection, and pg refuses to queue queries on a
    // busy client in its next major version (it warns now).
    const rows = await em.find(
      IncidentEventSchema,
      { organizationId, incidentId: incident.id },
      { orderBy: { seq: 'asc' } },
    )
    return { incident, events: rows.map(toStoredEvent) }
  })
  if (!found) return null
  return { ...(await overview(orm, member, found.incident, reference)), events: found.events }
}

/**
 * The incident as its page reads it: plain values from one statement, not an entity (entities are
 * for writes).
 */
export interface PageIncident {
  id: string
  organizationId: string
  number: number
  title: string
  summary: string
  severity: Incident['severity']
  status: Incident['status']
  serviceId: string | null
  incidentTypeId: string | null
  commanderId: string | null
  assigneeIds: string[]
  customFields: Incident['customFields']
  declaredById: string | null
  impactStartedAt: Date
  declaredAt: Date
  acknowledgedAt: Date | null
  mitigatedAt: Date | null
  resolvedAt: Date | null
  version: number
  lastEventSeq: number
  slaPolicyId: string | null
  private: boolean
  classification: Classification
  classifiedAsOfId: string | null
}

/** An attachment as the incident page lists it. */
export interface PageAttachment {
  id: string
  displayName: string
  contentType: string
  sizeBytes: number
  sha256: string
  uploadedBy: string | null
  withdrawnAt: string | null
}

export interface IncidentPageDetail extends Omit<IncidentOverview, 'incident'> {
  incident: PageIncident
  /** The page of the timeline asked for, not every event. */
  timeline: TimelinePage
  /** The summary as sanitised HTML, rendered when it was written. */
  summaryHtml: string
  /** Oldest first. */
  attachments: PageAttachment[]
  postmortemStatus: PostmortemStatus | null
  links: IncidentLinkView[]
  /** Who holds which of the incident's roles. */
  roleHolders: Array<{ roleId: string; userId: string }>
  /** The organization's incident roles, active ones first, in their order. */
  roles: IncidentRole[]
  /** The private incident's named viewers, oldest first. */
  viewerIds: string[]
  /** The number of the incident a duplicate or merged one points to (when the viewer sees it). */
  classifiedAsOf: number | null
}

/**
 * Everything the incident page reads from the database, as one statement returning one JSON
 * value: the incident row once, one page of its timeline (see `timelineQuery`), the summary's
 * HTML, attachments, postmortem status, links, roles and their holders, and named viewers. It runs
 * in the request's scoped transaction as the application role, so row-level security decides as
 * for any read: a private incident the viewer may not see, or another organization's number, is
 * no row at all, and a link or duplicate target the viewer may not see is left out.
 */
function incidentPageQuery(organizationId: string, number: number, window: TimelineWindow) {
  const timeline = timelineQuery(window, organizationId, '(select id from i)', [])
  const sql = `with i as (
       select id, organization_id, number, title, summary, severity, status, service_id,
              incident_type_id, commander_id, assignee_ids, custom_fields, declared_by_id,
              impact_started_at, declared_at, acknowledged_at, mitigated_at, resolved_at, version,
              last_event_seq, sla_policy_id, private, classification, classified_as_of_id
         from incident where organization_id = ? and number = ?
     )
     select json_build_object(
       'incident', to_json(i),
       'timeline', (select coalesce(json_agg(x order by x.seq), '[]'::json) from (${timeline.sql}) x),
       'summaryHtml', (select s.html from incident_timeline_entry s
                        where s.organization_id = i.organization_id and s.incident_id = i.id
                          and s.html_of = 'summary'
                        order by s.seq desc limit 1),
       'attachments', (select coalesce(json_agg(json_build_object(
                          'id', a.id, 'displayName', a.display_name, 'contentType', a.content_type,
                          'sizeBytes', a.size_bytes, 'sha256', a.sha256, 'uploadedBy', a.uploaded_by,
                          'withdrawnAt', a.withdrawn_at) order by a.uploaded_at), '[]'::json)
                         from attachment a
                        where a.organization_id = i.organization_id and a.incident_id = i.id),
       'postmortemStatus', (select p.status from postmortem p
                             where p.organization_id = i.organization_id and p.incident_id = i.id),
       'links', (select coalesce(json_agg(json_build_object(
                    'kind', l.kind, 'outgoing', l.incident_id = i.id, 'number', o.number,
                    'title', o.title) order by o.number), '[]'::json)
                   from incident_link l
                   join incident o
                     on o.organization_id = l.organization_id
                    and o.id = case when l.incident_id = i.id then l.related_incident_id
                                    else l.incident_id end
                  where l.organization_id = i.organization_id
                    and (l.incident_id = i.id or l.related_incident_id = i.id)),
       'roleHolders', (select coalesce(json_agg(json_build_object(
                          'roleId', h.role_id, 'userId', h.user_id)), '[]'::json)
                         from incident_role_holder h
                        where h.organization_id = i.organization_id and h.incident_id = i.id),
       'roles', (select coalesce(json_agg(json_build_object(
                    'id', r.id, 'key', r.key, 'name', r.name, 'builtin', r.builtin,
                    'position', r.position, 'archived', r.archived_at is not null)
                    order by r.archived_at is not null, r.position, r.name), '[]'::json)
                   from incident_role r where r.organization_id = i.organization_id),
       'viewerIds', (select coalesce(json_agg(v.user_id order by v.added_at, v.user_id), '[]'::json)
                       from incident_viewer v
                      where v.organization_id = i.organization_id and v.incident_id = i.id),
       'classifiedAsOf', (select c.number from incident c
                           where c.organization_id = i.organization_id
                             and c.id = i.classified_as_of_id)
     ) as page
     from i`
  return { sql, params: [organizationId, number, ...timeline.params] }
}

interface PageRow {
  incident: Record<string, unknown>
  timeline: Array<Record<string, unknown>>
  summaryHtml: string | null
  attachments: PageAttachment[]
  postmortemStatus: PostmortemStatus | null
  links: Array<Omit<IncidentLinkView, 'text'>>
  roleHolders: Array<{ roleId: string; userId: string }>
  roles: IncidentRole[]
  viewerIds: string[]
  classifiedAsOf: number | null
}

const dateOrNull = (value: unknown) => (value == null ? null : new Date(String(value)))

function pageIncidentOf(row: Record<string, unknown>): PageIncident {
  return {
    id: String(row.id),
    organizationId: String(row.organization_id),
    number: Number(row.number),
    title: String(row.title),
    summary: String(row.summary),
    severity: row.severity as PageIncident['severity'],
    status: row.status as PageIncident['status'],
    serviceId: (row.service_id as string | null) ?? null,
    incidentTypeId: (row.incident_type_id as string | null) ?? null,
    commanderId: (row.commander_id as string | null) ?? null,
    assigneeIds: (row.assignee_ids as string[] | null) ?? [],
    customFields: (row.custom_fields as PageIncident['customFields'] | null) ?? {},
    declaredById: (row.declared_by_id as string | null) ?? null,
    impactStartedAt: new Date(String(row.impact_started_at)),
    declaredAt: new Date(String(row.declared_at)),
    acknowledgedAt: dateOrNull(row.acknowledged_at),
    mitigatedAt: dateOrNull(row.mitigated_at),
    resolvedAt: dateOrNull(row.resolved_at),
    version: Number(row.version),
    lastEventSeq: Number(row.last_event_seq),
    slaPolicyId: (row.sla_policy_id as string | null) ?? null,
    private: Boolean(row.private),
    classification: row.classification as Classification,
    classifiedAsOfId: (row.classified_as_of_id as string | null) ?? null,
  }
}

/**
 * What the incident page shows, read in one statement (`incidentPageQuery`) inside the request's
 * transaction; null for a number this organization does not have or the viewer may not see.
 */
export async function readIncidentPage(
  orm: MikroORM,
  member: Actorish,
  number: number,
  window: TimelineWindow,
): Promise<IncidentPageDetail | null> {
  const organizationId = member.organization.id
  const reference = await readReferenceData(orm, organizationId)
  // As the member, also outside a web request: the page never shows what its viewer cannot see.
  const scope = { organizationId, actingUserId: member.user.id }
  const row = await readScope(orm, scope, async (em) => {
    const { sql, params } = incidentPageQuery(organizationId, number, window)
    const [found] = await em.execute<Array<{ page: PageRow }>>(sql, params)
    return found?.page ?? null
  })
  if (!row) return null
  const incident = pageIncidentOf(row.incident)
  return {
    ...(await overview(orm, member, incident, reference)),
    incident,
    timeline: timelinePageOf(row.timeline, incident, window),
    summaryHtml: row.summaryHtml ?? '',
    attachments: row.attachments.map((a) => ({ ...a, sizeBytes: Number(a.sizeBytes) })),
    postmortemStatus: row.postmortemStatus,
    links: row.links.map((l) => ({ ...l, text: linkText(l.kind, l.outgoing, l.number) })),
    roleHolders: row.roleHolders,
    roles: row.roles,
    viewerIds: row.viewerIds,
    classifiedAsOf: row.classifiedAsOf,
  }
}

/**
 * The organization's services, types and members, read before the incident's transaction opens:
 * a reference-cache miss loads on a connection of its own, which must not be awaited while the
 * transaction holds one.
 */
async function readReferenceData(orm: MikroORM, organizationId: string) {
  const catalog = await referenceCatalog(orm, organizationId)
  const directory = await memberDirectory(orm, organizationId)
  const fields = await customFieldDefinitions(orm, organizationId)
  return { catalog, directory, fields }
}

type OverviewIncident = Pick<Incident, 'commanderId' | 'assigneeIds' | 'status'> & {
  slaPolicyId?: string | null
}

/** The incident with its people, catalogs, SLA policy and what the member may do. */
async function overview<I extends OverviewIncident>(
  orm: MikroORM,
  member: Actorish,
  incident: I,
  { catalog, directory, fields }: Awaited<ReturnType<typeof readReferenceData>>,
): Promise<Omit<IncidentOverview, 'incident'> & { incident: I }> {
  const policy = incident.slaPolicyId
    ? await slaPolicyVersion(orm, member.organization.id, incident.slaPolicyId)
    : null
  const actor = actorFor(member, incident)
  const choice = (e: { id: string; name: string; active: boolean }) => ({
    id: e.id,
    name: e.name,
    active: e.active,
  })
  return {
    incident,
    people: new Map(directory.map((m) => [m.userId, { name: m.displayName, email: m.email }])),
    services: catalog.services.map(choice),
    types: catalog.types.map(choice),
    // The directory lists active members first, each group by name.
    members: directory
      .filter((m) => m.active)
      .map((m) => ({ id: m.userId, name: m.displayName, role: m.role })),
    nextSteps: nextSteps(incident.status, actor),
    slaPolicy: policy ? { version: policy.version, targets: policy.targets } : null,
    canWork: canWork(member, incident),
    canAssign: can(member.role, 'incident.assign'),
    canEscalate: can(member.role, 'incident.escalate'),
    customFieldDefinitions: fields,
  }
}

/** The services and incident types a new incident may name, and the triage matrix. */
export async function getCatalogs(orm: MikroORM, organizationId: string) {
  const { services, types, matrix } = await referenceCatalog(orm, organizationId)
  const choice = (e: { id: string; name: string }) => ({ id: e.id, name: e.name })
  return {
    services: services.filter((s) => s.active).map(choice),
    types: types.filter((t) => t.active).map(choice),
    matrix,
  }
}
