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
import type { IncidentState, StoredEvent } from './events'
import { nextSteps, type Actor } from './lifecycle'
import {
  loadSummaryHtml,
  loadTimeline,
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

export interface IncidentPageDetail extends IncidentOverview {
  /** The page of the timeline asked for, not every event. */
  timeline: TimelinePage
  /** The summary as sanitised HTML, rendered when it was written. */
  summaryHtml: string
}

/**
 * What the incident page shows: the incident and one page of its timeline, read through the
 * timeline's read model (no Markdown is rendered here); null for a number this organization does
 * not have.
 */
export async function getIncidentWithTimeline(
  orm: MikroORM,
  member: Actorish,
  number: number,
  window: TimelineWindow,
): Promise<IncidentPageDetail | null> {
  const organizationId = member.organization.id
  const reference = await readReferenceData(orm, organizationId)
  const found = await readScope(orm, { organizationId }, async (em) => {
    const incident = await em.findOne(IncidentSchema, { organizationId, number })
    if (!incident) return null
    const timeline = await loadTimeline(em, incident, window)
    const summaryHtml = await loadSummaryHtml(em, incident)
    return { incident, timeline, summaryHtml }
  })
  if (!found) return null
  const { incident, timeline, summaryHtml } = found
  return { ...(await overview(orm, member, incident, reference)), timeline, summaryHtml }
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

/** The incident with its people, catalogs, SLA policy and what the member may do. */
async function overview(
  orm: MikroORM,
  member: Actorish,
  incident: Incident,
  { catalog, directory, fields }: Awaited<ReturnType<typeof readReferenceData>>,
): Promise<IncidentOverview> {
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
