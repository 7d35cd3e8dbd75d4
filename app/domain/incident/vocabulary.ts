/**
 * The words of the incident domain that the whole UI shares. The lifecycle rules that connect
 * the statuses live beside this file.
 */
export const INCIDENT_STATUSES = [
  'detected',
  'investigating',
  'mitigated',
  'resolved',
  'postmortem',
  'closed',
] as const
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number]

export const STATUS_LABELS: Record<IncidentStatus, string> = {
  detected: 'Detected',
  investigating: 'Investigating',
  mitigated: 'Mitigated',
  resolved: 'Resolved',
  postmortem: 'Postmortem',
  closed: 'Closed',
}

export const SEVERITIES = ['SEV-1', 'SEV-2', 'SEV-3', 'SEV-4'] as const
export type Severity = (typeof SEVERITIES)[number]

export const SEVERITY_DESCRIPTIONS: Record<Severity, string> = {
  'SEV-1': 'Critical: full outage or data loss for many customers',
  'SEV-2': 'Major: a core feature is down or badly degraded',
  'SEV-3': 'Minor: partial degradation with a workaround',
  'SEV-4': 'Low: cosmetic or internal-only impact',
}

/** Longest comment or summary accepted, in characters. */
export const COMMENT_MAX = 20_000
