import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import type { Incident } from '../../../db/entities/incident'
import { readScope } from '../../../db/tenant'
import type { Member } from '~/domain/access/guard.server'
import { memberNames } from '~/domain/access/member-names.server'
import { FORMER_MEMBER, memberName } from '~/domain/access/person-name'
import { can } from '~/domain/access/permissions'
import { CLASSIFICATION_LABELS, classificationText } from './classification'
import type { Classification } from './events'
import { canWork } from './incident-queries.server'
import { incidentRoleHolders, type IncidentRole } from './incident-roles.server'
import type { IncidentLinkView } from './classification'
import { incidentLinks, incidentNumbers } from './reclassification.server'

type Viewer = Pick<Member, 'user' | 'role' | 'organization'>

/**
 * What the incident page, the API and exports show of an incident's classification, its links to
 * other incidents and its role holders (decision 038), and what the viewer may change of them.
 */
export interface IncidentRelations {
  classification: {
    value: Classification
    label: string
    /** "Duplicate of INC-4" and the like. */
    text: string
    /** The incident a duplicate or merged incident points to. */
    classifiedAsOf: number | null
  }
  links: IncidentLinkView[]
  /** Active roles (and archived ones someone still holds), each with its holder. */
  roles: Array<{
    id: string
    key: string
    name: string
    archived: boolean
    holderId: string | null
    holder: string | null
  }>
  canReclassify: boolean
  canLink: boolean
  canAssignRoles: boolean
}

/**
 * The page's relations of an incident from what `readIncidentPage` read: its classification (with
 * the target's number, when the viewer sees it), links, every active role (and archived ones
 * someone still holds) with its holder, and what the viewer may change.
 */
export function incidentRelations(
  member: Viewer,
  incident: Pick<Incident, 'classification' | 'status' | 'commanderId' | 'assigneeIds'>,
  read: {
    links: IncidentLinkView[]
    roleHolders: ReadonlyArray<{ roleId: string; userId: string }>
    roles: readonly IncidentRole[]
    classifiedAsOf: number | null
  },
  name: (id: string | null | undefined) => string | null,
): IncidentRelations {
  const { classifiedAsOf } = read
  const held = new Map(read.roleHolders.map((h) => [h.roleId, h.userId]))
  const classification: Classification = incident.classification
  const counted = classification === 'incident'
  const open = incident.status !== 'closed' && counted
  return {
    classification: {
      value: classification,
      label: CLASSIFICATION_LABELS[classification],
      text: classificationText(classification, classifiedAsOf),
      classifiedAsOf,
    },
    links: read.links,
    roles: read.roles
      .filter((r) => !r.archived || held.has(r.id))
      .map((r) => {
        const holderId = held.get(r.id) ?? null
        return {
          id: r.id,
          key: r.key,
          name: r.name,
          archived: r.archived,
          holderId,
          holder: holderId ? (name(holderId) ?? FORMER_MEMBER) : null,
        }
      }),
    canReclassify: can(member.role, 'incident.assign'),
    canLink: counted && (canWork(member, incident) || can(member.role, 'incident.assign')),
    canAssignRoles:
      open && (can(member.role, 'incident.assign') || incident.commanderId === member.user.id),
  }
}

/**
 * The incident's classification, links and role holders as the API, webhook payloads and
 * exports carry them (decision 038), inside the caller's transaction.
 */
export async function relationsPayload(
  em: EntityManager,
  organizationId: string,
  incident: Pick<Incident, 'id' | 'classification' | 'classifiedAsOfId'>,
) {
  const links = await incidentLinks(em, organizationId, incident.id)
  const holders = await incidentRoleHolders(em, incident.id)
  const targets = await incidentNumbers(
    em,
    organizationId,
    incident.classifiedAsOfId ? [incident.classifiedAsOfId] : [],
  )
  const names = await memberNames(
    em,
    organizationId,
    holders.map((h) => h.userId),
  )
  const target = incident.classifiedAsOfId ? targets.get(incident.classifiedAsOfId) : undefined
  const classification: Classification = incident.classification
  return {
    classification,
    classifiedAsOf: target ? `INC-${target}` : null,
    relatedIncidents: links.map((l) => ({
      id: `INC-${l.number}`,
      number: l.number,
      kind: l.kind,
      direction: l.outgoing ? ('to' as const) : ('from' as const),
      text: l.text,
    })),
    roles: holders.map((h) => ({
      roleId: h.roleId,
      key: h.roleKey,
      name: h.roleName,
      holder: { id: h.userId, name: memberName(names.get(h.userId)) },
    })),
  }
}
export type RelationsPayload = Awaited<ReturnType<typeof relationsPayload>>

/** `relationsPayload` in a read of its own. */
export function loadRelationsPayload(
  orm: MikroORM,
  organizationId: string,
  incident: Pick<Incident, 'id' | 'classification' | 'classifiedAsOfId'>,
) {
  return readScope(orm, { organizationId }, (em) => relationsPayload(em, organizationId, incident))
}
