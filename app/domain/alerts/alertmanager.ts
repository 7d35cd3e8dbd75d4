import * as z from 'zod'
import {
  boundedKey,
  clip,
  describeLabels,
  detailsText,
  issuesOf,
  mostSevere,
  severityFromWord,
  TITLE_MAX,
  type ParseResult,
} from './normalized'

/**
 * Prometheus Alertmanager's webhook payload, version 4
 * (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 *
 * One notification is one alert group. Its `groupKey` is the de-duplication key: Alertmanager
 * sends a group together (first firing, repeats, resolution), so one group is one incident, and
 * a group of fifty firing instances does not declare fifty incidents. Alertmanager's own
 * PagerDuty integration keys incidents the same way. Alerts that should page separately belong in
 * separate groups (`group_by` in the route).
 */

const labelSet = z.record(z.string(), z.string())

const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: labelSet,
  annotations: labelSet.default({}),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
})

export const alertmanagerPayloadSchema = z.object({
  version: z.literal('4', {
    error: 'Only version "4" of the Alertmanager webhook payload is understood.',
  }),
  groupKey: z.string().min(1, 'groupKey must not be empty.'),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet.default({}),
  commonLabels: labelSet.default({}),
  commonAnnotations: labelSet.default({}),
  externalURL: z.string().default(''),
  alerts: z.array(alertSchema).min(1, 'An Alertmanager notification carries at least one alert.'),
})
export type AlertmanagerPayload = z.infer<typeof alertmanagerPayloadSchema>

/** Alerts listed one per line in the details; the rest are counted. */
const LISTED_ALERTS = 10

export function parseAlertmanager(body: unknown): ParseResult {
  const parsed = alertmanagerPayloadSchema.safeParse(body)
  if (!parsed.success) return { ok: false, issues: issuesOf(parsed.error) }
  const payload = parsed.data
  const firing = payload.alerts.filter((a) => a.status === 'firing')
  const resolved = payload.alerts.length - firing.length
  const severity =
    severityFromWord(payload.commonLabels.severity) ??
    mostSevere(
      (firing.length ? firing : payload.alerts).map((a) => severityFromWord(a.labels.severity)),
    )
  return {
    ok: true,
    note: null,
    alerts: [
      {
        dedupKey: boundedKey(payload.groupKey),
        status: payload.status,
        title: titleOf(payload),
        severity,
        details: detailsText([
          `${firing.length} firing, ${resolved} resolved${
            payload.truncatedAlerts ? ` (${payload.truncatedAlerts} more not sent)` : ''
          } · receiver ${payload.receiver}`,
          payload.commonAnnotations.description,
          ...payload.alerts.slice(0, LISTED_ALERTS).map(alertLine),
          payload.alerts.length > LISTED_ALERTS
            ? `… and ${payload.alerts.length - LISTED_ALERTS} more`
            : null,
          payload.externalURL ? `Alertmanager: ${payload.externalURL}` : null,
        ]),
      },
    ],
  }
}

/**
 * The group's summary annotation when it has one, else the only alert's, else the alert name
 * (with the number of alerts when several fire).
 */
function titleOf(payload: AlertmanagerPayload): string {
  const only = payload.alerts.length === 1 ? payload.alerts[0]! : null
  const summary = payload.commonAnnotations.summary ?? only?.annotations.summary
  if (summary?.trim()) return clip(summary, TITLE_MAX)
  const name =
    payload.commonLabels.alertname ?? payload.groupLabels.alertname ?? only?.labels.alertname
  const base = name?.trim() || 'Alertmanager alert group'
  const count = payload.alerts.length
  return clip(count > 1 ? `${base} (${count} alerts)` : base, TITLE_MAX)
}

function alertLine(alert: z.infer<typeof alertSchema>): string {
  const { alertname, ...rest } = alert.labels
  const labels = describeLabels(rest)
  const summary = alert.annotations.summary ?? alert.annotations.description
  return [
    `[${alert.status}]`,
    alertname ?? '',
    labels ? `{${labels}}` : '',
    summary ? `— ${summary}` : '',
  ]
    .filter(Boolean)
    .join(' ')
}
