import { LockMode, type EntityManager, type MikroORM } from '@mikro-orm/postgresql'
import { ServiceSchema } from '../../../db/entities/incident'
import {
  AlertLinkSchema,
  AlertReceiptSchema,
  IntegrationSchema,
  type AlertOutcome,
  type Integration,
} from '../../../db/entities/integration'
import { inScope } from '../../../db/tenant'
import type { AlertPayload } from '../incident/events'
import {
  appendEvent,
  declareIncidentAsSystem,
  lockIncident,
  mitigateAsSystem,
} from '../incident/incident-service.server'
import { OPEN_STATUSES } from '../incident/lifecycle'
import { PARSERS } from './parsers'
import { clip, type NormalizedAlert } from './normalized'

/**
 * The worker side of inbound alerts: one stored receipt at a time, in one transaction under its
 * organization.
 *
 * Each alert's (integration, de-duplication key) is serialised with a transaction-level advisory
 * lock, so two deliveries of the same new alert processed at once declare one incident: the
 * second waits for the first to commit and then finds its link. A receipt already processed is
 * skipped (its row is locked first), so a retried job never appends twice.
 *
 * - firing, no open incident for the key → a new incident (Detected; the alert's title and
 *   severity, else the integration's default; the integration's service; no commander — the
 *   alert is nobody's, and the escalation rules and notifications that follow every declaration
 *   bring people in), linked to the key, with `alert.received`;
 * - firing, an open incident (Detected, Investigating, Mitigated) → `alert.received` on it;
 * - resolved, an open incident → `alert.resolved`, and with "Mark mitigated when the alert
 *   resolves" an Investigating incident moves to Mitigated on the system's behalf. A Detected one
 *   stays Detected: moving it would claim that somebody acknowledged it;
 * - resolved, no open incident → nothing (recorded as ignored).
 */

export type ReceiptResult = 'processed' | 'ignored' | 'failed' | 'skipped'

/** Lock classes are keyed by text; this prefix keeps alert keys apart from other locks. */
const LOCK_PREFIX = 'alert-key'

export async function processAlertReceipt(
  orm: MikroORM,
  job: { receiptId: string; organizationId: string },
  now: Date = new Date(),
): Promise<{ result: ReceiptResult; outcome: AlertOutcome[] }> {
  const { receiptId, organizationId } = job
  return inScope(orm, { organizationId }, async (em) => {
    const receipt = await em.findOne(
      AlertReceiptSchema,
      { id: receiptId, organizationId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    )
    if (!receipt || receipt.status === 'processed' || receipt.status === 'ignored')
      return { result: 'skipped' as const, outcome: receipt?.outcome ?? [] }
    const integration = await em.findOneOrFail(IntegrationSchema, {
      id: receipt.integrationId,
      organizationId,
    })
    const parsed = PARSERS[integration.kind](receipt.payload)
    if (!parsed.ok) {
      // The web side validated it; a payload no longer valid (the format's rules changed since)
      // cannot become valid by retrying.
      receipt.status = 'failed'
      receipt.error = clip(
        `The stored payload is not valid: ${parsed.issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`,
        2000,
      )
      receipt.processedAt = now
      return { result: 'failed' as const, outcome: [] }
    }

    // Every key's lock first, in one order, so two receipts sharing keys cannot deadlock.
    const keys = [...new Set(parsed.alerts.map((a) => a.dedupKey))].sort()
    for (const key of keys) {
      await em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [
        `${LOCK_PREFIX}:${integration.id}:${key}`,
      ])
    }
    const outcome: AlertOutcome[] = []
    for (const alert of parsed.alerts) {
      outcome.push(await handleAlert(em, integration, receipt.id, alert, now))
      await em.flush()
    }
    if (parsed.alerts.length === 0)
      outcome.push({
        dedupKey: '',
        action: 'ignored',
        incidentNumber: null,
        reason: parsed.note ?? 'The payload carried no alerts.',
      })
    const result = outcome.some((o) => o.action !== 'ignored') ? 'processed' : 'ignored'
    receipt.status = result
    receipt.outcome = outcome
    receipt.error = null
    receipt.processedAt = now
    return { result, outcome }
  })
}

/** The newest open incident linked to the key, locked; null when there is none. */
async function openIncidentFor(em: EntityManager, integration: Integration, dedupKey: string) {
  const [row] = await em.execute<Array<{ number: number }>>(
    `select i.number
       from alert_link l
       join incident i on i.id = l.incident_id and i.organization_id = l.organization_id
      where l.organization_id = ? and l.integration_id = ? and l.dedup_key = ?
        and i.status in (${OPEN_STATUSES.map(() => '?').join(', ')})
      order by l.created_at desc
      limit 1`,
    [integration.organizationId, integration.id, dedupKey, ...OPEN_STATUSES],
  )
  if (!row) return null
  return lockIncident(em, integration.organizationId, row.number, undefined)
}

async function handleAlert(
  em: EntityManager,
  integration: Integration,
  receiptId: string,
  alert: NormalizedAlert,
  now: Date,
): Promise<AlertOutcome> {
  const payload: AlertPayload = {
    integrationId: integration.id,
    integrationName: integration.name,
    source: integration.kind,
    dedupKey: alert.dedupKey,
    receiptId,
    title: alert.title,
    severity: alert.severity,
    details: alert.details,
  }
  const incident = await openIncidentFor(em, integration, alert.dedupKey)

  if (alert.status === 'firing') {
    if (incident) {
      await appendEvent(em, incident, 'alert.received', payload, null, now)
      return { dedupKey: alert.dedupKey, action: 'appended', incidentNumber: incident.number }
    }
    // A service retired after the integration was set up is not given to new incidents.
    const serviceActive = await em.count(ServiceSchema, {
      id: integration.serviceId,
      organizationId: integration.organizationId,
      active: true,
    })
    const declared = await declareIncidentAsSystem(
      em,
      integration.organizationId,
      {
        title: alert.title,
        summary: alert.details ?? '',
        severity: alert.severity ?? integration.defaultSeverity,
        serviceId: serviceActive ? integration.serviceId : null,
        commanderId: null,
      },
      now,
    )
    em.create(AlertLinkSchema, {
      organizationId: integration.organizationId,
      integrationId: integration.id,
      dedupKey: alert.dedupKey,
      incidentId: declared.id,
      createdAt: now,
    })
    await appendEvent(em, declared, 'alert.received', payload, null, now)
    return {
      dedupKey: alert.dedupKey,
      action: 'declared',
      incidentNumber: declared.number,
      ...(serviceActive
        ? {}
        : { reason: 'The integration’s service is inactive; declared without a service.' }),
    }
  }

  if (!incident)
    return {
      dedupKey: alert.dedupKey,
      action: 'ignored',
      incidentNumber: null,
      reason: 'Resolved, but no open incident has this key.',
    }
  await appendEvent(em, incident, 'alert.resolved', payload, null, now)
  let reason: string | undefined
  if (integration.mitigateOnResolve) {
    if (incident.status === 'investigating') {
      await mitigateAsSystem(em, incident, `The alert resolved at ${integration.name}.`, now)
      reason = 'Marked Mitigated.'
    } else if (incident.status === 'detected') {
      reason = 'Left in Detected: nobody has acknowledged the incident yet.'
    }
  }
  return {
    dedupKey: alert.dedupKey,
    action: 'resolved',
    incidentNumber: incident.number,
    ...(reason ? { reason } : {}),
  }
}

/**
 * Records why a receipt could not be processed (the job is retried; a later success replaces
 * this). A receipt already processed is left alone.
 */
export async function markReceiptFailed(
  orm: MikroORM,
  job: { receiptId: string; organizationId: string },
  message: string,
  now: Date = new Date(),
) {
  await inScope(orm, { organizationId: job.organizationId }, (em) =>
    em.nativeUpdate(
      AlertReceiptSchema,
      {
        id: job.receiptId,
        organizationId: job.organizationId,
        status: { $in: ['queued', 'failed'] },
      },
      { status: 'failed', error: clip(message, 2000), processedAt: now },
    ),
  )
}
