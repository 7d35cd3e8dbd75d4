import type { MikroORM } from '@mikro-orm/postgresql'
import type { Incident } from '../../../db/entities/incident'
import { readScope } from '../../../db/tenant'
import type { Member } from '~/domain/access/guard.server'
import { FORMER_MEMBER } from '~/domain/access/person-name'
import { can } from '~/domain/access/permissions'
import { CLASSIFICATION_LABELS, classificationText } from './classification'
import type { Classification } from './events'
import { canWork } from './incident-queries.server'
import { incidentRoleHolders, listIncidentRolesIn, type RoleHolder } from './incident-roles.server'
import { incidentLinks, incidentNumbers, type IncidentLinkView } from './reclassification.server'

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

export async function incidentRelations(
  orm: MikroORM,
  member: Viewer,
  incident: Incident,
  name: (id: string | null | undefined) => string | null,
): Promise<IncidentRelations> {
  const organizationId = member.organization.id
  const { links, holders, roles, targets } = await readScope(
    orm,
    { organizationId },
    async (em) => {
      const links = await incidentLinks(em, organizationId, incident.id)
      const holders = await incidentRoleHolders(em, incident.id)
      const roles = await listIncidentRolesIn(em, organizationId)
      const targets = await incidentNumbers(
        em,
        organizationId,
        incident.classifiedAsOfId ? [incident.classifiedAsOfId] : [],
      )
      return { links, holders, roles, targets }
    },
  )
  const classifiedAsOf = incident.classifiedAsOfId
    ? (targets.get(incident.classifiedAsOfId) ?? null)
    : null
  const held = new Map<string, RoleHolder>(holders.map((h) => [h.roleId, h]))
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
    links,
    roles: roles
      .filter((r) => !r.archived || held.has(r.id))
      .map((r) => {
        const holderId = held.get(r.id)?.userId ?? null
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
