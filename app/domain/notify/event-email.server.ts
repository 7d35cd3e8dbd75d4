import type { EntityManager } from '@mikro-orm/postgresql'
import { UserSchema } from '../../../db/entities/access'
import type { Incident } from '../../../db/entities/incident'
import type { Organization } from '../../../db/entities/organization'
import { queueEmail } from '~/domain/email/outbox.server'
import type { StoredEvent } from '~/domain/incident/events'
import type { RoleHolder } from '~/domain/incident/incident-roles.server'
import { STATUS_LABELS } from '~/domain/incident/vocabulary'
import { SLA_TARGET_LABELS, formatDuration } from '~/domain/sla/policy'
import type { PgBoss } from '~/queue/send.server'
import { formatInZone } from '~/utils/time'
import { incidentEmail } from './emails'
import { wantsEmail, type NotificationKind } from './kinds'
import { disabledKindsFor } from './preferences.server'
import { activeMemberIds, type Recipients } from './recipients.server'

/**
 * Queues the e-mails about one event: one per recipient who is still an active member, did not
 * cause the event and has not turned this kind off, each with an idempotency key of the event
 * and the person, so a retried fan-out never writes twice.
 */
export async function emailEvent(
  em: EntityManager,
  deps: { boss: PgBoss; appUrl: string },
  input: {
    incident: Incident
    organization: Organization
    event: StoredEvent
    kind: NotificationKind
    recipients: Recipients
    /** The incident's role holders, named in every e-mail about it. */
    roleHolders?: readonly RoleHolder[]
  },
) {
  const roleHolders = input.roleHolders ?? []
  const { incident, event, recipients } = input
  // Nobody is told about their own action.
  if (event.actorId) recipients.reasons.delete(event.actorId)
  const userIds = [...recipients.reasons.keys()]
  if (userIds.length === 0) return
  const active = new Set(await activeMemberIds(em, incident.organizationId, userIds))
  const preferences = await disabledKindsFor(em, incident.organizationId, userIds)
  const mentioned =
    event.type === 'incident.assignment_changed'
      ? [
          ...event.payload.added,
          ...event.payload.removed,
          ...(event.payload.commander?.from ? [event.payload.commander.from] : []),
          ...(event.payload.commander?.to ? [event.payload.commander.to] : []),
        ]
      : event.type === 'incident.role_assigned'
        ? [event.payload.userId, event.payload.previousUserId].filter((id): id is string => !!id)
        : []
  const peopleIds = new Set([
    ...userIds,
    ...mentioned,
    ...roleHolders.map((h) => h.userId),
    ...(event.actorId ? [event.actorId] : []),
  ])
  const users = await em.find(UserSchema, { id: { $in: [...peopleIds] } })
  const people = new Map(users.map((u) => [u.id, u.displayName]))
  const { headline, details } = describeForEmail(event, input.organization.timezone, people)
  if (roleHolders.length)
    details.push(
      `Roles: ${roleHolders.map((h) => `${h.roleName}: ${people.get(h.userId) ?? 'a former member'}`).join('; ')}.`,
    )
  for (const user of users) {
    const reasons = recipients.reasons.get(user.id)
    if (!reasons || !active.has(user.id)) continue
    const isCommander = incident.commanderId === user.id
    if (!wantsEmail(preferences.get(user.id) ?? [], input.kind, { isCommander })) continue
    const email = incidentEmail({
      appUrl: deps.appUrl,
      organizationName: input.organization.name,
      kind: input.kind,
      incident: {
        number: incident.number,
        title: incident.title,
        severity: incident.severity,
        status: STATUS_LABELS[incident.status],
      },
      headline,
      details,
      reasons,
    })
    await queueEmail(em, deps.boss, {
      organizationId: incident.organizationId,
      kind: input.kind,
      to: user.email,
      ...email,
      idempotencyKey: `event:${incident.id}:${event.seq}:${user.id}`,
    })
  }
}

/** The e-mail's headline and detail lines for an event, in the organization's time zone. */
function describeForEmail(
  event: StoredEvent,
  timeZone: string,
  people: Map<string, string>,
): { headline: string; details: string[] } {
  const who = (id: string | null) => (id ? (people.get(id) ?? 'a former member') : 'IncidentFlow')
  switch (event.type) {
    case 'incident.declared':
      return {
        headline: `declared by ${who(event.actorId)}`,
        details: [
          `Impact started ${formatInZone(event.payload.impactStartedAt, timeZone)}.`,
          ...(event.payload.summary ? [event.payload.summary.slice(0, 500)] : []),
        ],
      }
    case 'sla.warning':
      return {
        headline: `SLA at risk: ${SLA_TARGET_LABELS[event.payload.target].toLowerCase()} target`,
        details: [
          `The ${formatDuration(event.payload.targetSeconds)} ${event.payload.target} target for ${event.payload.severity} is due ${formatInZone(event.payload.dueAt, timeZone)}.`,
        ],
      }
    case 'sla.breached':
      return {
        headline: `SLA breached: ${SLA_TARGET_LABELS[event.payload.target].toLowerCase()} target`,
        details: [
          `The ${formatDuration(event.payload.targetSeconds)} ${event.payload.target} target for ${event.payload.severity} was due ${formatInZone(event.payload.dueAt, timeZone)}.`,
        ],
      }
    case 'incident.status_changed':
      return {
        headline: `reopened by ${who(event.actorId)}`,
        details: [
          `${STATUS_LABELS[event.payload.from]} → ${STATUS_LABELS[event.payload.to]}.`,
          ...(event.payload.reason ? [`Reason: ${event.payload.reason}`] : []),
        ],
      }
    case 'incident.assignment_changed': {
      const { commander, added, removed } = event.payload
      const lines: string[] = []
      if (commander)
        lines.push(
          `Commander: ${commander.from ? who(commander.from) : 'nobody'} → ${commander.to ? who(commander.to) : 'nobody'}.`,
        )
      if (added.length) lines.push(`Assigned: ${added.map(who).join(', ')}.`)
      if (removed.length) lines.push(`Unassigned: ${removed.map(who).join(', ')}.`)
      return {
        headline: commander?.to
          ? `${who(commander.to)} is now commander`
          : `assigned to ${added.map(who).join(', ')}`,
        details: [...lines, `Changed by ${who(event.actorId)}.`],
      }
    }
    case 'incident.escalated':
      return {
        headline: `escalated to ${event.payload.to} by ${who(event.actorId)}`,
        details: [`Reason: ${event.payload.reason}`],
      }
    case 'incident.role_assigned':
      return {
        headline: `${who(event.payload.userId)} is now ${event.payload.roleName}`,
        details: [`Changed by ${who(event.actorId)}.`],
      }
    default:
      return { headline: event.type, details: [] }
  }
}
