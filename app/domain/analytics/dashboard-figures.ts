import type { Severity } from '~/domain/incident/vocabulary'
import type { SlaTarget } from '~/domain/sla/policy'
import type { Dashboard, MetricId } from './types'

/**
 * The dashboard's figures as its views draw them: the page's tables and charts, the printed
 * report and the PDF's charts read the same numbers through these, so they cannot drift apart.
 */

/** The response metrics in the order every table and chart lists them. */
export const RESPONSE_METRICS = ['mtta', 'mttm', 'mttr'] as const satisfies readonly MetricId[]

/** One colour per severity, the same in the page's charts and the PDF's. */
export const SEVERITY_COLORS: Record<Severity, string> = {
  'SEV-1': '#b91c1c',
  'SEV-2': '#ea580c',
  'SEV-3': '#ca8a04',
  'SEV-4': '#64748b',
}

/** Seconds as hours with two decimals, for chart axes; null stays null (a gap in the line). */
export function secondsToHours(seconds: number | null): number | null {
  return seconds === null ? null : Math.round((seconds / 3600) * 100) / 100
}

/** The SLA compliance row of one target and severity, if the period counted it. */
export function slaComplianceOf(
  dashboard: Pick<Dashboard, 'slaCompliance'>,
  target: SlaTarget,
  severity: Severity,
) {
  return dashboard.slaCompliance.find((row) => row.target === target && row.severity === severity)
}

/** That row's compliance in percent with one decimal, or null when nothing was counted. */
export function slaCompliancePercent(
  dashboard: Pick<Dashboard, 'slaCompliance'>,
  target: SlaTarget,
  severity: Severity,
): number | null {
  const compliance = slaComplianceOf(dashboard, target, severity)?.compliance
  return compliance === null || compliance === undefined ? null : Math.round(compliance * 1000) / 10
}
