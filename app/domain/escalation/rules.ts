import { SEVERITIES, type Severity } from '~/domain/incident/vocabulary'
import type { SlaTarget } from '~/domain/sla/policy'

/**
 * Escalation rules as data: when (trigger, optional SLA target, severity at most N) → what
 * (notify people or a webhook endpoint, raise the severity a step, assign a commander). Pure; the
 * worker evaluates them for every event that can trigger one.
 */
/** The longest rule name an admin may give. */
export const RULE_NAME_MAX = 120

export const ESCALATION_TRIGGERS = ['declared', 'warning', 'breach', 'reopened'] as const
export type EscalationTrigger = (typeof ESCALATION_TRIGGERS)[number]

export const TRIGGER_LABELS: Record<EscalationTrigger, string> = {
  declared: 'Incident declared',
  warning: 'SLA at risk (warning)',
  breach: 'SLA breached',
  reopened: 'Incident reopened',
}

export const RECIPIENT_GROUPS = ['commander', 'assignees', 'managers', 'admins'] as const
export type RecipientGroup = (typeof RECIPIENT_GROUPS)[number]

export const RECIPIENT_LABELS: Record<RecipientGroup, string> = {
  commander: 'the commander',
  assignees: 'the assignees',
  managers: 'all managers',
  admins: 'all admins',
}

export type EscalationAction =
  | { type: 'notify'; group: RecipientGroup }
  | { type: 'notify-members'; userIds: string[] }
  | { type: 'webhook'; endpointId: string }
  | { type: 'raise-severity' }
  | { type: 'assign-commander'; userId: string }

export interface EscalationRuleData {
  id: string
  name: string
  enabled: boolean
  trigger: EscalationTrigger
  /** For warning and breach: which target; null = any. */
  target: SlaTarget | null
  /** The rule applies to incidents of this severity or more severe. */
  maxSeverity: Severity
  actions: EscalationAction[]
}

export type DefaultRule = Omit<EscalationRuleData, 'id'>

export const DEFAULT_ESCALATION_RULES: DefaultRule[] = [
  {
    name: 'Major incident declared: notify managers',
    enabled: true,
    trigger: 'declared',
    target: null,
    maxSeverity: 'SEV-2',
    actions: [{ type: 'notify', group: 'managers' }],
  },
  {
    name: 'Acknowledge target breached: notify managers',
    enabled: true,
    trigger: 'breach',
    target: 'acknowledge',
    maxSeverity: 'SEV-4',
    actions: [{ type: 'notify', group: 'managers' }],
  },
  {
    name: 'SEV-1 resolve target breached: raise to all admins',
    enabled: true,
    trigger: 'breach',
    target: 'resolve',
    maxSeverity: 'SEV-1',
    actions: [{ type: 'notify', group: 'admins' }],
  },
]

export const severityRank = (severity: Severity) => SEVERITIES.indexOf(severity)

/** The next more severe level, or null at SEV-1. */
export function raisedSeverity(severity: Severity): Severity | null {
  const rank = severityRank(severity)
  return rank > 0 ? SEVERITIES[rank - 1]! : null
}

export interface TriggerContext {
  trigger: EscalationTrigger
  target: SlaTarget | null
  severity: Severity
}

export function ruleMatches(rule: EscalationRuleData, context: TriggerContext): boolean {
  if (!rule.enabled || rule.trigger !== context.trigger) return false
  if (rule.target !== null && rule.target !== context.target) return false
  return severityRank(context.severity) <= severityRank(rule.maxSeverity)
}

/** Rules that fire for this trigger, in the order the admin arranged them. */
export function matchingRules<R extends EscalationRuleData>(rules: R[], context: TriggerContext) {
  return rules.filter((rule) => ruleMatches(rule, context))
}

export function describeAction(
  action: EscalationAction,
  names: { member: (id: string) => string; endpoint: (id: string) => string },
): string {
  switch (action.type) {
    case 'notify':
      return `notify ${RECIPIENT_LABELS[action.group]}`
    case 'notify-members':
      return `notify ${action.userIds.map(names.member).join(', ')}`
    case 'webhook':
      return `send to webhook ${names.endpoint(action.endpointId)}`
    case 'raise-severity':
      return 'raise the severity one step'
    case 'assign-commander':
      return `make ${names.member(action.userId)} commander`
  }
}
