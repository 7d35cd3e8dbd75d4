import * as z from 'zod'
import {
  clip,
  DEDUP_KEY_MAX,
  describeLabels,
  detailsText,
  issuesOf,
  severityFromWord,
  TITLE_MAX,
  type ParseResult,
} from './normalized'

/**
 * IncidentFlow's own alert format, for anything that can POST JSON (docs/integrations.md):
 *
 * ```json
 * {
 *   "dedup_key": "checkout-latency",
 *   "status": "firing",
 *   "title": "Checkout p99 latency above 2 s",
 *   "severity": "critical",
 *   "description": "p99 has been above 2 s for 10 minutes.",
 *   "source_url": "https://grafana.example.com/d/checkout",
 *   "labels": { "region": "eu-west-1" }
 * }
 * ```
 *
 * A request carries one such object, or an array of up to GENERIC_BATCH_MAX of them.
 */

export const GENERIC_BATCH_MAX = 100

const text = (max: number, what: string) =>
  z.string().trim().max(max, `${what} must be at most ${max} characters.`)

export const genericAlertSchema = z
  .object({
    dedup_key: text(DEDUP_KEY_MAX, 'dedup_key').min(1, 'dedup_key must not be empty.'),
    status: z.enum(['firing', 'resolved'], {
      error: 'status must be "firing" or "resolved".',
    }),
    title: text(TITLE_MAX, 'title').optional(),
    severity: z
      .string()
      .refine((value) => severityFromWord(value) !== null, {
        message:
          'severity must be SEV-1 to SEV-4, P1 to P5, or a word such as critical, error, high, warning, info or low.',
      })
      .optional(),
    description: text(10_000, 'description').optional(),
    source_url: z
      .url({ protocol: /^https?$/, error: 'source_url must be an http(s) URL.' })
      .max(2000, 'source_url must be at most 2000 characters.')
      .optional(),
    labels: z
      .record(z.string().max(100), z.string().max(500))
      .refine((labels) => Object.keys(labels).length <= 50, 'labels may have at most 50 entries.')
      .optional(),
  })
  .refine((alert) => alert.status === 'resolved' || Boolean(alert.title), {
    path: ['title'],
    message: 'title is required for a firing alert.',
  })
export type GenericAlert = z.infer<typeof genericAlertSchema>

export const genericPayloadSchema = z.union([
  genericAlertSchema,
  z
    .array(genericAlertSchema)
    .min(1, 'Send at least one alert.')
    .max(GENERIC_BATCH_MAX, `Send at most ${GENERIC_BATCH_MAX} alerts in one request.`),
])

export function parseGeneric(body: unknown): ParseResult {
  // An object is checked as one alert, so its issues name its fields rather than the union.
  const schema = Array.isArray(body) ? genericPayloadSchema : genericAlertSchema
  const parsed = schema.safeParse(body)
  if (!parsed.success) return { ok: false, issues: issuesOf(parsed.error) }
  const alerts = Array.isArray(parsed.data) ? parsed.data : [parsed.data]
  return {
    ok: true,
    note: null,
    alerts: alerts.map((alert) => ({
      dedupKey: alert.dedup_key,
      status: alert.status,
      title: clip(alert.title || alert.dedup_key, TITLE_MAX),
      severity: severityFromWord(alert.severity),
      details: detailsText([
        alert.description,
        describeLabels(alert.labels),
        alert.source_url ? `Source: ${alert.source_url}` : null,
      ]),
    })),
  }
}
