import type { EntityManager } from '@mikro-orm/postgresql'
import { UserSchema } from '../../../db/entities/access'
import type { Incident } from '../../../db/entities/incident'
import { WebhookEndpointSchema } from '../../../db/entities/sla'
import { appendEvent } from '~/domain/incident/event-store.server'
import type { StoredEvent } from '~/domain/incident/events'
import {
  assignCommanderAsSystem,
  changeSeverityAsSystem,
} from '~/domain/incident/incident-service.server'
import { activeMemberIds, groupMembers, type Recipients } from '~/domain/notify/recipients.server'
import type { SlaTarget } from '~/domain/sla/policy'
import { activeRules } from './escalation.server'
import {
  describeAction,
  matchingRules,
  raisedSeverity,
  type EscalationRuleData,
  type EscalationTrigger,
} from './rules'

/** What a rule firing adds to an event's fan-out: people to write to and endpoints to call. */
export interface FiringTargets {
  recipients: Recipients
  /** Endpoint id → the name of the rule that calls it. */
  webhookTargets: Map<string, string>
}

/**
 * Fires the organization's escalation rules that match this event, each at most once per event
 * (an `escalation_firing` row claims it, so a retried fan-out does not fire it again). A firing
 * is recorded on the timeline, then its actions run: severity raises and commander changes go
 * through the incident's system commands; people and endpoints to tell are added to `targets`.
 * Runs in the fan-out's transaction, which holds the incident's row lock.
 */
export async function fireEscalationRules(
  em: EntityManager,
  incident: Incident,
  event: StoredEvent,
  targets: FiringTargets,
  now: Date,
) {
  const trigger = triggerOf(event)
  if (!trigger) return
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
    await fireRule(em, { rule, incident, event, trigger: trigger.trigger, targets, now })
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

async function fireRule(
  em: EntityManager,
  input: {
    rule: EscalationRuleData
    incident: Incident
    event: StoredEvent
    trigger: EscalationTrigger
    targets: FiringTargets
    now: Date
  },
) {
  const { rule, incident, targets, now } = input
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
        for (const id of await groupMembers(em, incident, action.group))
          targets.recipients.add(id, why)
        break
      case 'notify-members':
        for (const id of await activeMemberIds(em, organizationId, action.userIds))
          targets.recipients.add(id, why)
        break
      case 'webhook':
        targets.webhookTargets.set(action.endpointId, rule.name)
        break
      case 'raise-severity': {
        const to = raisedSeverity(incident.severity)
        if (to)
          await changeSeverityAsSystem(em, incident, to, `Escalation rule “${rule.name}”`, now)
        break
      }
      case 'assign-commander':
        await assignCommanderAsSystem(em, incident, action.userId, now)
        break
    }
  }
}
