import type { EntityManager } from '@mikro-orm/postgresql'
import { MembershipSchema } from '../../../db/entities/access'
import type { Incident } from '../../../db/entities/incident'
import type { RecipientGroup } from '~/domain/escalation/rules'
import type { StoredEvent } from '~/domain/incident/events'
import type { RoleHolder } from '~/domain/incident/incident-roles.server'
import type { NotificationKind } from './kinds'

/** Who gets an e-mail about an event, and why. */
export class Recipients {
  readonly reasons = new Map<string, string[]>()
  add(userId: string | null | undefined, reason: string) {
    if (!userId) return
    const list = this.reasons.get(userId) ?? []
    if (!list.includes(reason)) list.push(reason)
    this.reasons.set(userId, list)
  }
}

/**
 * People an event concerns without any rule: returns the e-mail kind, or null for none. Incident
 * role holders (Communications lead, Scribe …) hear what assignees hear.
 */
export function defaultRecipients(
  event: StoredEvent,
  incident: Incident,
  recipients: Recipients,
  roleHolders: readonly RoleHolder[] = [],
): NotificationKind | null {
  const workers = () => {
    recipients.add(incident.commanderId, 'you command this incident')
    for (const id of incident.assigneeIds) recipients.add(id, 'you are assigned to this incident')
    for (const h of roleHolders) recipients.add(h.userId, `you are ${h.roleName} of this incident`)
  }
  switch (event.type) {
    case 'incident.declared':
      // The declarer is usually the commander; naming someone else tells them.
      if (incident.commanderId && incident.commanderId !== event.actorId)
        recipients.add(incident.commanderId, 'you were made commander of this incident')
      return 'incident.declared'
    case 'sla.warning':
      workers()
      return 'sla.warning'
    case 'sla.breached':
      workers()
      return 'sla.breached'
    case 'incident.status_changed':
      if (event.payload.action !== 'reopen') return null
      workers()
      return 'incident.reopened'
    case 'incident.assignment_changed':
      if (event.payload.commander?.to)
        recipients.add(event.payload.commander.to, 'you were made commander of this incident')
      for (const id of event.payload.added) recipients.add(id, 'you were assigned to this incident')
      return 'incident.assigned'
    case 'incident.escalated':
      if (event.payload.commander?.to)
        recipients.add(event.payload.commander.to, 'you took command of this incident')
      return 'incident.assigned'
    case 'incident.role_assigned':
      if (!event.payload.userId) return null
      recipients.add(
        event.payload.userId,
        `you were made ${event.payload.roleName} of this incident`,
      )
      return 'incident.assigned'
    default:
      return null
  }
}

/** Those of `userIds` who are active members of the organization. */
export async function activeMemberIds(
  em: EntityManager,
  organizationId: string,
  userIds: string[],
) {
  if (userIds.length === 0) return []
  const rows = await em.find(MembershipSchema, {
    organizationId,
    userId: { $in: userIds },
    active: true,
  })
  return rows.map((m) => m.userId)
}

/** The people an escalation rule's recipient group names for this incident. */
export async function groupMembers(
  em: EntityManager,
  incident: Incident,
  group: RecipientGroup,
): Promise<string[]> {
  switch (group) {
    case 'commander':
      return incident.commanderId ? [incident.commanderId] : []
    case 'assignees':
      return [...incident.assigneeIds]
    case 'managers':
    case 'admins': {
      const rows = await em.find(MembershipSchema, {
        organizationId: incident.organizationId,
        role: group === 'managers' ? 'manager' : 'admin',
        active: true,
      })
      return rows.map((m) => m.userId)
    }
  }
}
