/**
 * The kinds of e-mail a member receives. All but breach e-mails for incidents they command can be
 * turned off in their notification preferences.
 */
export const NOTIFICATION_KINDS = [
  'incident.declared',
  'incident.assigned',
  'incident.reopened',
  'sla.warning',
  'sla.breached',
  'escalation',
  'action_item.overdue',
] as const
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number]

export const NOTIFICATION_KIND_LABELS: Record<NotificationKind, string> = {
  'incident.declared': 'An incident is declared (when an escalation rule names you)',
  'incident.assigned': 'You are made commander, assignee or role holder of an incident',
  'incident.reopened': 'An incident you work on is reopened',
  'sla.warning': 'An SLA target of an incident you work on is at risk',
  'sla.breached': 'An SLA target is breached (always sent for incidents you command)',
  escalation: 'An escalation rule names you',
  'action_item.overdue': 'A postmortem action item you own is overdue',
}

/** Whether a member with these preferences gets this e-mail. */
export function wantsEmail(
  disabledKinds: readonly string[],
  kind: NotificationKind,
  context: { isCommander: boolean },
): boolean {
  if (kind === 'sla.breached' && context.isCommander) return true
  return !disabledKinds.includes(kind)
}

/**
 * Event types an endpoint can subscribe to. `webhook.test` is only ever sent by "Send test
 * event".
 */
export const WEBHOOK_EVENT_TYPES = [
  'incident.declared',
  'incident.status_changed',
  'incident.severity_changed',
  'incident.escalated',
  'incident.assignment_changed',
  'incident.field_changed',
  'incident.custom_field_changed',
  'comment.added',
  'sla.warning',
  'sla.breached',
  'escalation.fired',
  'alert.received',
  'alert.resolved',
  'postmortem.status_changed',
] as const
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number]
