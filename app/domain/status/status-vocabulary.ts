/**
 * The public status page's words: what a public update says about an incident, and what state a
 * component is in. Kept apart from the internal lifecycle on purpose — the public statuses are
 * what visitors read, not the team's workflow.
 */

export const PUBLIC_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const
export type PublicStatus = (typeof PUBLIC_STATUSES)[number]

export const PUBLIC_STATUS_LABELS: Record<PublicStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
}

/** From best to worst: a component shows the worst state any open incident gives it. */
export const COMPONENT_STATES = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
] as const
export type ComponentState = (typeof COMPONENT_STATES)[number]

export const COMPONENT_STATE_LABELS: Record<ComponentState | 'under_maintenance', string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
}

export function isPublicStatus(value: unknown): value is PublicStatus {
  return typeof value === 'string' && (PUBLIC_STATUSES as readonly string[]).includes(value)
}

export function isComponentState(value: unknown): value is ComponentState {
  return typeof value === 'string' && (COMPONENT_STATES as readonly string[]).includes(value)
}

export function worseState(a: ComponentState, b: ComponentState): ComponentState {
  return COMPONENT_STATES.indexOf(a) >= COMPONENT_STATES.indexOf(b) ? a : b
}

/**
 * The uptime rule, version 1 (decision 040): of the minutes a component was shown, a minute in
 * major outage counts as down, a minute in partial outage as half down, and degraded performance
 * or maintenance as up.
 */
export const UPTIME_RULE_VERSION = 1
export const DOWNTIME_WEIGHT: Record<ComponentState, number> = {
  operational: 0,
  degraded_performance: 0,
  partial_outage: 0.5,
  major_outage: 1,
}

/** Days of history shown per component. */
export const HISTORY_DAYS = 90

/** The overall line at the top of the page, from the worst component state. */
export function overallDescription(worst: ComponentState, maintenance: boolean): string {
  if (worst === 'major_outage') return 'Major outage'
  if (worst === 'partial_outage') return 'Partial outage'
  if (worst === 'degraded_performance') return 'Degraded performance'
  return maintenance ? 'Maintenance in progress' : 'All systems operational'
}
