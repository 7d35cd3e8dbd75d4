import { LockMode, type EntityManager, type MikroORM } from '@mikro-orm/postgresql'
import { MembershipSchema, UserSchema } from '../../db/entities/access'
import { IncidentEventSchema, IncidentSchema, type Incident } from '../../db/entities/incident'
import { OrganizationSchema, type Organization } from '../../db/entities/organization'
import { WebhookEndpointSchema } from '../../db/entities/sla'
import { enterOrganization, inScope } from '../../db/tenant'
import type { PgBoss } from '~/queue/send.server'
import { queueEmail } from '~/domain/email/outbox.server'
import { activeRules } from '~/domain/escalation/escalation.server'
import {
  describeAction,
  matchingRules,
  raisedSeverity,
  type EscalationRuleData,
  type EscalationTrigger,
  type RecipientGroup,
} from '~/domain/escalation/rules'
import { appendEvent, toStoredEvent } from '~/domain/incident/event-store.server'
import { retargetSla } from '~/domain/incident/sla-effects.server'
import type { StoredEvent } from '~/domain/incident/events'
import { STATUS_LABELS } from '~/domain/incident/vocabulary'
import { incidentEmail, incidentUrl } from '~/domain/notify/emails'
import { wantsEmail, type NotificationKind } from '~/domain/notify/kinds'
import { disabledKindsFor } from '~/domain/notify/preferences.server'
import { enqueueWebhookDelivery, subscribedEndpoints } from '~/domain/notify/webhooks.server'
import { SLA_TARGET_LABELS, formatDuration, type SlaTarget } from '~/domain/sla/policy'
import { formatInZone } from '~/utils/time'
import type { Logger } from '~/utils/logger.server'
import { withRequestId } from '~/utils/request-id.server'

export interface FanoutDeps {
  orm: MikroORM
  boss: PgBoss
  logger: Logger
  appUrl: string
  /** Expiry for the delivery jobs this creates (from the worker's delivery timeout). */
  webhookJobExpireSeconds?: number
  now?: () => Date
}

interface OutboxRow {
  id: string
  tenant_id: string
  incident_id: string
  event_seq: number
  request_id: string | null
}

/**
 * Fans out waiting events, one transaction per event: claim the `event_outbox` row (skipping rows
 * another worker holds), evaluate escalation rules, queue e-mails and webhook deliveries, and
 * delete the row — all or nothing, so an event is fanned out exactly once. Returns how many
 * events were handled; stops early when none are waiting.
 */
export async function relayEvents(deps: FanoutDeps, limit = 100): Promise<number> {
  let handled = 0
  while (handled < limit) {
    const outcome = await relayOne(deps)
    if (outcome === 'empty') break
    handled += 1
  }
  return handled
}

async function relayOne(deps: FanoutDeps): Promise<'done' | 'failed' | 'empty'> {
  let claimed: OutboxRow | null = null
  try {
    return await inScope(deps.orm, {}, async (em) => {
      const rows = await em.execute<OutboxRow[]>(
        `select id::text as id, tenant_id, incident_id, event_seq, request_id from event_outbox
          where next_attempt_at <= now() order by id limit 1 for update skip locked`,
      )
      claimed = rows[0] ?? null
      if (!claimed) return 'empty' as const
      const event = claimed
      await enterOrganization(em, event.tenant_id)
      // Under the id of the request that wrote the event: the e-mails and webhooks queued here
      // carry it, and so does every line logged meanwhile.
      await withRequestId(event.request_id, () => fanOutEvent(em, deps, event))
      await em.flush()
      await em.execute(`delete from event_outbox where id = ?`, [claimed.id])
      return 'done' as const
    })
  } catch (error) {
    const row = claimed as OutboxRow | null
    if (!row) throw error
    const message = error instanceof Error ? error.message : String(error)
    deps.logger.error(
      {
        err: error,
        incidentId: row.incident_id,
        seq: row.event_seq,
        reqId: row.request_id ?? undefined,
      },
      'event fan-out failed; retrying later',
    )
    await inScope(deps.orm, {}, (em) =>
      em.execute(
        `update event_outbox
            set attempts = attempts + 1, last_error = ?,
                next_attempt_at = now() + least(interval '1 hour', interval '5 seconds' * power(2, attempts))
          where id = ?`,
        [message.slice(0, 2000), row.id],
      ),
    )
    return 'failed'
  }
}

function triggerOf(
  event: StoredEvent,
): { trigger: EscalationTrigger; target: SlaTarget | null } | null {
  switch (event.type) {
    case 'incident.declared':
      return { trigger: 'declared', target: null }
    case 'sla.warning':
      return { trigger: 'warning', target: event.payload.target }
    case 'sla.breached':
      return { trigger: 'breach', target: event.payload.target }
    case 'incident.status_changed':
      return event.payload.action === 'reopen' ? { trigger: 'reopened', target: null } : null
    default:
      return null
  }
}

/** Who gets an e-mail about this event, and why. */
class Recipients {
  readonly reasons = new Map<string, string[]>()
  add(userId: string | null | undefined, reason: string) {
    if (!userId) return
    const list = this.reasons.get(userId) ?? []
    if (!list.includes(reason)) list.push(reason)
    this.reasons.set(userId, list)
  }
}

async function fanOutEvent(em: EntityManager, deps: FanoutDeps, row: OutboxRow) {
  const now = deps.now?.() ?? new Date()
  const incident = await em.findOne(
    IncidentSchema,
    { id: row.incident_id },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  )
  if (!incident) return
  const eventRow = await em.findOne(IncidentEventSchema, {
    incidentId: incident.id,
    seq: row.event_seq,
  })
  if (!eventRow) return
  const event = toStoredEvent(eventRow)
  const organization = await em.findOneOrFail(OrganizationSchema, { id: incident.organizationId })

  const recipients = new Recipients()
  const kind = defaultRecipients(event, incident, recipients)
  const webhookTargets = new Map<string, string>()

  const trigger = triggerOf(event)
  if (trigger) {
    const rules = matchingRules(await activeRules(em, incident.organizationId), {
      ...trigger,
      severity: incident.severity,
    })
    for (const rule of rules) {
      const fired = await em.execute<{ fired: number }[]>(
        `insert into escalation_firing (organization_id, incident_id, cause_seq, rule_id)
         values (?, ?, ?, ?) on conflict do nothing returning 1 as fired`,
        [incident.organizationId, incident.id, event.seq, rule.id],
      )
      if (fired.length === 0) continue
      await fireRule(em, deps, {
        rule,
        incident,
        event,
        trigger: trigger.trigger,
        recipients,
        webhookTargets,
        now,
      })
    }
  }

  if (kind) await sendEmails(em, deps, { incident, organization, event, kind, recipients })
  await sendWebhooks(em, deps, { incident, organization, event, webhookTargets })
}

/** People an event concerns without any rule: returns the e-mail kind, or null for none. */
function defaultRecipients(
  event: StoredEvent,
  incident: Incident,
  recipients: Recipients,
): NotificationKind | null {
  const workers = () => {
    recipients.add(incident.commanderId, 'you command this incident')
    for (const id of incident.assigneeIds) recipients.add(id, 'you are assigned to this incident')
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
    default:
      return null
  }
}

async function fireRule(
  em: EntityManager,
  deps: FanoutDeps,
  input: {
    rule: EscalationRuleData
    incident: Incident
    event: StoredEvent
    trigger: EscalationTrigger
    recipients: Recipients
    webhookTargets: Map<string, string>
    now: Date
  },
) {
  const { rule, incident, recipients, now } = input
  const organizationId = incident.organizationId
  const memberIds = new Set<string>()
  for (const action of rule.actions) {
    if (action.type === 'notify-members') action.userIds.forEach((id) => memberIds.add(id))
    if (action.type === 'assign-commander') memberIds.add(action.userId)
  }
  const users = memberIds.size ? await em.find(UserSchema, { id: { $in: [...memberIds] } }) : []
  const endpointIds = rule.actions.flatMap((a) => (a.type === 'webhook' ? [a.endpointId] : []))
  const endpoints = endpointIds.length
    ? await em.find(WebhookEndpointSchema, { organizationId, id: { $in: endpointIds } })
    : []
  const names = {
    member: (id: string) => users.find((u) => u.id === id)?.displayName ?? 'a former member',
    endpoint: (id: string) => endpoints.find((e) => e.id === id)?.url ?? 'a removed endpoint',
  }
  await appendEvent(
    em,
    incident,
    'escalation.fired',
    {
      ruleId: rule.id,
      ruleName: rule.name,
      trigger: input.trigger,
      causeSeq: input.event.seq,
      actions: rule.actions.map((a) => describeAction(a, names)),
    },
    null,
    now,
  )
  const why = `escalation rule “${rule.name}”`
  for (const action of rule.actions) {
    switch (action.type) {
      case 'notify':
        for (const id of await groupMembers(em, incident, action.group)) recipients.add(id, why)
        break
      case 'notify-members':
        for (const id of await activeMemberIds(em, organizationId, action.userIds))
          recipients.add(id, why)
        break
      case 'webhook':
        input.webhookTargets.set(action.endpointId, rule.name)
        break
      case 'raise-severity': {
        const to = raisedSeverity(incident.severity)
        if (!to || incident.status === 'closed') break
        const from = incident.severity
        incident.severity = to
        await appendEvent(
          em,
          incident,
          'incident.severity_changed',
          { from, to, reason: `Escalation rule “${rule.name}”` },
          null,
          now,
        )
        await retargetSla(em, incident, now)
        break
      }
      case 'assign-commander': {
        if (incident.status === 'closed' || incident.commanderId === action.userId) break
        const [active] = await activeMemberIds(em, organizationId, [action.userId])
        if (!active) break
        const from = incident.commanderId ?? null
        incident.commanderId = action.userId
        await appendEvent(
          em,
          incident,
          'incident.assignment_changed',
          { commander: { from, to: action.userId }, added: [], removed: [] },
          null,
          now,
        )
        break
      }
    }
  }
}

async function activeMemberIds(em: EntityManager, organizationId: string, userIds: string[]) {
  if (userIds.length === 0) return []
  const rows = await em.find(MembershipSchema, {
    organizationId,
    userId: { $in: userIds },
    active: true,
  })
  return rows.map((m) => m.userId)
}

async function groupMembers(
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
    default:
      return { headline: event.type, details: [] }
  }
}

async function sendEmails(
  em: EntityManager,
  deps: FanoutDeps,
  input: {
    incident: Incident
    organization: Organization
    event: StoredEvent
    kind: NotificationKind
    recipients: Recipients
  },
) {
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
      : []
  const peopleIds = new Set([...userIds, ...mentioned, ...(event.actorId ? [event.actorId] : [])])
  const users = await em.find(UserSchema, { id: { $in: [...peopleIds] } })
  const people = new Map(users.map((u) => [u.id, u.displayName]))
  const { headline, details } = describeForEmail(event, input.organization.timezone, people)
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

async function sendWebhooks(
  em: EntityManager,
  deps: FanoutDeps,
  input: {
    incident: Incident
    organization: Organization
    event: StoredEvent
    webhookTargets: Map<string, string>
  },
) {
  const { incident, event } = input
  const targets = new Set(input.webhookTargets.keys())
  for (const endpoint of await subscribedEndpoints(em, incident.organizationId, event.type))
    targets.add(endpoint.id)
  if (targets.size === 0) return
  const data = {
    organization: { id: input.organization.id, name: input.organization.name },
    incident: {
      id: incident.id,
      number: incident.number,
      reference: `INC-${incident.number}`,
      title: incident.title,
      severity: incident.severity,
      status: incident.status,
      url: incidentUrl(deps.appUrl, incident.number),
    },
    event: {
      id: event.id,
      seq: event.seq,
      type: event.type,
      occurredAt: event.occurredAt,
      actorId: event.actorId,
      payload: event.payload,
      hash: event.hash,
    },
  }
  for (const endpointId of targets) {
    await enqueueWebhookDelivery(em, deps.boss, {
      organizationId: incident.organizationId,
      endpointId,
      eventType: event.type,
      data,
      idempotencyKey: `event:${incident.id}:${event.seq}:${endpointId}`,
      occurredAt: new Date(event.occurredAt),
      ...(deps.webhookJobExpireSeconds ? { expireInSeconds: deps.webhookJobExpireSeconds } : {}),
    })
  }
}
