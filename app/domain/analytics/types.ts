import type { Classification, LinkKind } from '~/domain/incident/events'
import type { CustomFieldValue } from '~/domain/custom-fields/custom-field-values'
import type { IncidentStatus, Severity } from '~/domain/incident/vocabulary'
import type { SlaTarget } from '~/domain/sla/policy'

/**
 * The analytics contract shared by the dashboard (/analytics), its exports, the printable report
 * (/reports/print) and the PDF report job: filters in, one `Dashboard` out. Plain data only, so it
 * serialises to JSON (loader data, job payloads, exports) unchanged.
 */

export type Bucket = 'day' | 'week'

export interface AnalyticsFilters {
  /** Inclusive start and exclusive end, as instants; derived from the period in the org's zone. */
  from: string
  to: string
  /** The period as the user chose it, e.g. "90d" or "custom". */
  period: string
  bucket: Bucket
  severities: Severity[]
  serviceId: string | null
  incidentTypeId: string | null
  commanderId: string | null
}

/** Mean, median and 90th percentile of a duration, in seconds, over `count` incidents. */
export interface DurationStats {
  count: number
  mean: number | null
  median: number | null
  p90: number | null
}

export type MetricId = 'mtta' | 'mttm' | 'mttr'

export interface Dashboard {
  organization: { id: string; name: string; timezone: string }
  filters: AnalyticsFilters
  /** Version of the metric definitions every number below was computed with. */
  definitionsVersion: string
  /** Version of the rule saying which incidents count (declined, duplicates, merged). */
  countingRuleVersion: string
  generatedAt: string
  totals: { incidents: number; open: number; bySeverity: Record<Severity, number> }
  /** Incidents declared per bucket (bucket start as YYYY-MM-DD in the org's zone) and severity. */
  volume: Array<{ bucket: string; counts: Record<Severity, number>; total: number }>
  /** MTTA / MTTM / MTTR over the whole period. */
  responseTimes: Record<MetricId, DurationStats>
  /** The same per bucket, for the trend. */
  responseTrend: Array<{ bucket: string } & Record<MetricId, DurationStats>>
  /** SLA compliance = met / (met + breached), per target and severity; null when nothing counted. */
  slaCompliance: Array<{
    target: SlaTarget
    severity: Severity
    met: number
    breached: number
    compliance: number | null
  }>
  /** Recurring problems: by count, with their MTTR. */
  topServices: Array<{ id: string | null; name: string; count: number; mttr: DurationStats }>
  topIncidentTypes: Array<{ id: string | null; name: string; count: number; mttr: DurationStats }>
  /** Per member: incidents commanded and assigned in the period, and the MTTR of those commanded. */
  people: Array<{
    userId: string
    name: string
    commanded: number
    assigned: number
    mttr: DurationStats
  }>
  /** Incidents open now (whatever the period), by how long since impact started. */
  openByAge: Array<{ label: string; minSeconds: number; maxSeconds: number | null; count: number }>
}

/** One incident row of an export. */
export interface ExportIncident {
  number: number
  title: string
  severity: Severity
  status: IncidentStatus
  service: string | null
  incidentType: string | null
  commander: string | null
  impactStartedAt: string
  declaredAt: string
  acknowledgedAt: string | null
  mitigatedAt: string | null
  resolvedAt: string | null
  closedAt: string | null
  ttaSeconds: number | null
  ttmSeconds: number | null
  ttrSeconds: number | null
  /** `incident`, or `declined` / `duplicate` / `merged` (those are not counted in the metrics). */
  classification: Classification
  /** The incident a duplicate or merged incident points to, as `INC-n`. */
  classifiedAsOf: string | null
  /** Links to other incidents, read from this incident's end. */
  links: Array<{ incident: string; kind: LinkKind; direction: 'to' | 'from'; text: string }>
  /** Incident roles and who holds them. */
  roles: Array<{ key: string; role: string; holder: string | null }>
  /** Active custom fields by key, as the API gives them (option ids, user ids); null where not set. */
  customFields: Record<string, CustomFieldValue | null>
}
