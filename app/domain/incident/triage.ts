import type { Severity } from './vocabulary'

export const IMPACTS = ['extensive', 'significant', 'moderate', 'minor'] as const
export type Impact = (typeof IMPACTS)[number]
export const URGENCIES = ['critical', 'high', 'medium', 'low'] as const
export type Urgency = (typeof URGENCIES)[number]

export const IMPACT_LABELS: Record<Impact, string> = {
  extensive: 'Extensive — most or all customers',
  significant: 'Significant — many customers or a key customer',
  moderate: 'Moderate — some customers',
  minor: 'Minor — few customers or internal only',
}

export const URGENCY_LABELS: Record<Urgency, string> = {
  critical: 'Critical — business stops or data is at risk',
  high: 'High — core function unavailable',
  medium: 'Medium — degraded, workaround exists',
  low: 'Low — inconvenience',
}

export type TriageMatrix = Record<Impact, Record<Urgency, Severity>>

/** Impact × urgency → severity, the organization's starting point (admins can edit it). */
export const DEFAULT_TRIAGE_MATRIX: TriageMatrix = {
  extensive: { critical: 'SEV-1', high: 'SEV-1', medium: 'SEV-2', low: 'SEV-3' },
  significant: { critical: 'SEV-1', high: 'SEV-2', medium: 'SEV-3', low: 'SEV-3' },
  moderate: { critical: 'SEV-2', high: 'SEV-3', medium: 'SEV-3', low: 'SEV-4' },
  minor: { critical: 'SEV-3', high: 'SEV-4', medium: 'SEV-4', low: 'SEV-4' },
}

export function triage(matrix: TriageMatrix, impact: Impact, urgency: Urgency): Severity {
  return matrix[impact][urgency]
}

/** SEV-1 is the highest: a lower rank is more severe. */
export function severityRank(severity: Severity): number {
  return Number(severity.slice(4))
}

export function isHigher(a: Severity, b: Severity) {
  return severityRank(a) < severityRank(b)
}
