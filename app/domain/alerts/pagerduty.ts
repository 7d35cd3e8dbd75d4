import { createHmac, timingSafeEqual } from 'node:crypto'
import * as z from 'zod'
import type { Severity } from '~/domain/incident/vocabulary'
import {
  boundedKey,
  clip,
  detailsText,
  issuesOf,
  severityFromWord,
  TITLE_MAX,
  type ParseResult,
} from './normalized'

/**
 * PagerDuty V3 webhooks (https://developer.pagerduty.com/docs/webhooks-overview): one event per
 * request, `{ event: { id, event_type, resource_type, occurred_at, agent, client, data } }`.
 *
 * `incident.triggered` and `incident.reopened` fire, `incident.resolved` resolves; the key is
 * PagerDuty's incident id. Every other event (acknowledgements, annotations, priority changes,
 * the `pagey.ping` a new subscription sends) is accepted and changes nothing here: those are
 * people's actions in PagerDuty, not the alert's state.
 */

const FIRING_EVENTS = new Set(['incident.triggered', 'incident.reopened'])
const RESOLVED_EVENTS = new Set(['incident.resolved'])

const envelopeSchema = z.object({
  event: z.object({
    id: z.string().min(1),
    event_type: z.string().min(1),
    resource_type: z.string().min(1),
    occurred_at: z.string(),
    agent: z.unknown().optional(),
    client: z.unknown().optional(),
    data: z.unknown(),
  }),
})

const reference = z.object({
  id: z.string(),
  type: z.string().optional(),
  summary: z.string().nullish(),
  html_url: z.string().nullish(),
})

export const pagerDutyIncidentSchema = z.object({
  id: z.string().min(1, 'The incident id must not be empty.'),
  type: z.literal('incident'),
  title: z.string(),
  html_url: z.string().nullish(),
  number: z.number().int().nullish(),
  status: z.string().nullish(),
  incident_key: z.string().nullish(),
  service: reference.nullish(),
  urgency: z.enum(['high', 'low']).nullish(),
  priority: reference.nullish(),
})
type PagerDutyIncident = z.infer<typeof pagerDutyIncidentSchema>

export function parsePagerDuty(body: unknown): ParseResult {
  const envelope = envelopeSchema.safeParse(body)
  if (!envelope.success) return { ok: false, issues: issuesOf(envelope.error) }
  const { event } = envelope.data
  const firing = FIRING_EVENTS.has(event.event_type)
  if (!firing && !RESOLVED_EVENTS.has(event.event_type)) {
    return {
      ok: true,
      alerts: [],
      note: `${event.event_type} does not fire or resolve an alert; nothing to do.`,
    }
  }
  const incident = pagerDutyIncidentSchema.safeParse(event.data)
  if (!incident.success)
    return {
      ok: false,
      issues: issuesOf(incident.error).map((i) => ({
        ...i,
        path: i.path ? `event.data.${i.path}` : 'event.data',
      })),
    }
  const data = incident.data
  return {
    ok: true,
    note: null,
    alerts: [
      {
        dedupKey: boundedKey(data.id),
        status: firing ? 'firing' : 'resolved',
        title: clip(data.title.trim() || `PagerDuty incident ${data.number ?? data.id}`, TITLE_MAX),
        severity: severityOf(data),
        details: detailsText([
          `PagerDuty ${event.event_type}${data.number != null ? ` · incident #${data.number}` : ''}`,
          data.service?.summary ? `Service: ${data.service.summary}` : null,
          [
            data.urgency ? `Urgency: ${data.urgency}` : null,
            data.priority?.summary ? `Priority: ${data.priority.summary}` : null,
          ]
            .filter(Boolean)
            .join(' · '),
          data.html_url ? `PagerDuty: ${data.html_url}` : null,
        ]),
      },
    ],
  }
}

/**
 * The incident's priority when it has one (P1 → SEV-1 … P4 and P5 → SEV-4), else its urgency
 * (high → SEV-2, low → SEV-4); null lets the integration's default decide.
 */
function severityOf(data: PagerDutyIncident): Severity | null {
  const priority = severityFromWord(data.priority?.summary)
  if (priority) return priority
  if (data.urgency === 'high') return 'SEV-2'
  if (data.urgency === 'low') return 'SEV-4'
  return null
}

/**
 * Checks `X-PagerDuty-Signature`: one or more comma-separated `v1=<hex>` values, each an
 * HMAC-SHA256 of the raw body keyed with the subscription's signing secret (several while
 * PagerDuty rotates the secret). Compared in constant time.
 */
export function verifyPagerDutySignature(
  rawBody: Uint8Array,
  header: string | null | undefined,
  secret: string,
): boolean {
  if (!header || !secret) return false
  const expected = Buffer.from(createHmac('sha256', secret).update(rawBody).digest('hex'), 'utf8')
  let matched = false
  for (const part of header.split(',')) {
    const [version, value] = part.trim().split('=', 2)
    if (version !== 'v1' || !value) continue
    const given = Buffer.from(value.trim().toLowerCase(), 'utf8')
    // Every candidate is compared, so the time taken does not tell which one matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true
  }
  return matched
}

/** The header value PagerDuty would send for `rawBody` (for documentation and tests). */
export function pagerDutySignature(rawBody: Uint8Array | string, secret: string): string {
  return `v1=${createHmac('sha256', secret).update(rawBody).digest('hex')}`
}
