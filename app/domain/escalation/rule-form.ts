import type { Severity } from '~/domain/incident/vocabulary'
import type { SlaTarget } from '~/domain/sla/policy'
import type { RuleInput } from './escalation.server'
import type {
  EscalationAction,
  EscalationRuleData,
  EscalationTrigger,
  RecipientGroup,
} from './rules'

/** A rule as the rule form sends it: one field per kind of action. */
export interface RuleFormValue {
  name: string
  trigger: EscalationTrigger
  target?: SlaTarget
  maxSeverity: Severity
  groups: RecipientGroup[]
  raiseSeverity: boolean
  notifyMemberIds: string[]
  webhookEndpointId?: string
  commanderId?: string
}

/** The form's fields as the rule's list of actions, in the order the form shows them. */
export function ruleFromForm(value: RuleFormValue): RuleInput {
  const actions: EscalationAction[] = value.groups.map((group) => ({ type: 'notify', group }))
  if (value.raiseSeverity) actions.push({ type: 'raise-severity' })
  if (value.notifyMemberIds.length)
    actions.push({ type: 'notify-members', userIds: value.notifyMemberIds })
  if (value.webhookEndpointId)
    actions.push({ type: 'webhook', endpointId: value.webhookEndpointId })
  if (value.commanderId) actions.push({ type: 'assign-commander', userId: value.commanderId })
  return {
    name: value.name,
    trigger: value.trigger,
    target: value.target ?? null,
    maxSeverity: value.maxSeverity,
    actions,
  }
}

/** The rule form's fields for an existing rule. */
export function ruleFormValues(rule: EscalationRuleData) {
  const groups: string[] = []
  const notifyMemberIds: string[] = []
  let raiseSeverity = false
  let webhookEndpointId = ''
  let commanderId = ''
  for (const action of rule.actions) {
    if (action.type === 'notify') groups.push(action.group)
    else if (action.type === 'notify-members') notifyMemberIds.push(...action.userIds)
    else if (action.type === 'raise-severity') raiseSeverity = true
    else if (action.type === 'webhook') webhookEndpointId = action.endpointId
    else if (action.type === 'assign-commander') commanderId = action.userId
  }
  return {
    id: rule.id,
    name: rule.name,
    trigger: rule.trigger,
    target: rule.target ?? '',
    maxSeverity: rule.maxSeverity,
    groups,
    raiseSeverity: raiseSeverity ? 'on' : '',
    notifyMemberIds,
    webhookEndpointId,
    commanderId,
  }
}
