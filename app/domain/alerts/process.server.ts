import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { ServiceSchema } from '../../../db/entities/incident'
import {
  AlertLinkSchema,
  IntegrationSchema,
  type AlertOutcome,
  type Integration,
} from '../../../db/entities/integration'
import { inScope } from '../../../db/tenant'
import { transactionExecutor } from '../../../db/transaction'
import { sendJobs, type JobToSend, type PgBoss } from '~/queue/send.server'
import type { AlertPayload, AlertRepeat } from '~/domain/incident/events'
import { appendEvent, lockIncident } from '~/domain/incident/event-store.server'
import {
  declareIncidentsAsSystem,
  mitigateAsSystem,
} from '~/domain/incident/incident-service.server'
import { OPEN_STATUSES } from '~/domain/incident/lifecycle'
import type { Incident } from '../../../db/entities/incident'
import { PARSERS } from './parsers'
import { clip, type NormalizedAlert } from './normalized'
import { now as clockNow } from '~/utils/clock'

/**
 * The worker side of inbound alerts: the stored receipts of a batch of `alert-ingest` jobs, in one
 * transaction per organization.
 *
 * Every (integration, de-duplication key) the batch touches is serialised with a
 * transaction-level advisory lock, taken in one sorted order before anything else, so two
 * deliveries of the same new alert processed at once declare one incident (the second waits for
 * the first to commit and then finds its link), and two batches sharing keys cannot deadlock. The
 * receipts are locked first, in id order; one already processed is skipped, so a retried job never
 * appends twice.
 *
 * - firing, no open incident for the key → a new incident (Detected; the alert's title and
 *   severity, else the integration's default; the integration's service; no commander — the
 *   alert is nobody's, and the escalation rules and notifications that follow every declaration
 *   bring people in), linked to the key, with `alert.received`;
 * - firing, an open incident (Detected, Investigating, Mitigated) → `alert.received` on it — but
 *   a firing within the repeat window of the key's last entry is only counted (`alert_repeat`),
 *   and the count becomes one `alert.received` entry saying how many times it fired, when the
 *   window closes (`alert-repeats` job, see flushAlertRepeats), with the next firing after it, or
 *   before the alert's resolution. A storm of ten thousand firings is a handful of entries;
 * - resolved, an open incident → `alert.resolved`, and with "Mark mitigated when the alert
 *   resolves" an Investigating incident moves to Mitigated on the system's behalf. A Detected one
 *   stays Detected: moving it would claim that somebody acknowledged it;
 * - resolved, no open incident → nothing (recorded as ignored).
 *
 * If anything in an organization's batch fails, its transaction rolls back and each receipt is
 * tried again alone, so one bad receipt fails only its own job.
 */

export type ReceiptResult = 'processed' | 'ignored' | 'failed' | 'skipped'

export interface AlertJob {
  receiptId: string
  organizationId: string
}

export interface ProcessedReceipt {
  receiptId: string
  result: ReceiptResult
  outcome: AlertOutcome[]
  /** Set when the receipt could not be processed; its job must run again. */
  error?: unknown
}

export interface AlertProcessDeps {
  orm: MikroORM
  boss: PgBoss
  /**
   * Firings of one alert within this long of its last timeline entry are counted into one entry
   * rather than appended each (ALERT_REPEAT_WINDOW_SECONDS). 0: every firing its own entry.
   */
  repeatWindowMs: number
}

/** The repeat window when none is configured: at most one entry a minute per firing alert. */
export const DEFAULT_REPEAT_WINDOW_MS = 60_000

/** Lock classes are keyed by text; this prefix keeps alert keys apart from other locks. */
const LOCK_PREFIX = 'alert-key'

const lockName = (integrationId: string, dedupKey: string) =>
  `${LOCK_PREFIX}:${integrationId}:${dedupKey}`

/** Processes the receipts of one job; see processAlertReceipts. */
export async function processAlertReceipt(
  deps: AlertProcessDeps,
  job: AlertJob,
  now: Date = clockNow(),
): Promise<{ result: ReceiptResult; outcome: AlertOutcome[] }> {
  const [processed] = await processAlertReceipts(deps, [job], now)
  if (processed!.error) throw processed!.error
  return { result: processed!.result, outcome: processed!.outcome }
}

/**
 * Processes the receipts of a batch of jobs, one transaction per organization; answers one entry
 * per job, in the order given. A receipt that could not be processed carries its `error`.
 */
export async function processAlertReceipts(
  deps: AlertProcessDeps,
  jobs: ReadonlyArray<AlertJob>,
  now: Date = clockNow(),
): Promise<ProcessedReceipt[]> {
  const byOrganization = new Map<string, AlertJob[]>()
  for (const job of jobs) {
    const list = byOrganization.get(job.organizationId)
    if (list) list.push(job)
    else byOrganization.set(job.organizationId, [job])
  }
  const results = new Map<string, ProcessedReceipt>()
  for (const [organizationId, group] of byOrganization) {
    const ids = [...new Set(group.map((j) => j.receiptId))]
    try {
      const done = await inScope(deps.orm, { organizationId }, (em) =>
        processInTransaction(em, deps, organizationId, ids, now),
      )
      for (const r of done) results.set(r.receiptId, r)
    } catch (error) {
      if (ids.length === 1) {
        results.set(ids[0]!, { receiptId: ids[0]!, result: 'failed', outcome: [], error })
        continue
      }
      // One receipt spoiled the batch: each on its own, so only that one's job runs again.
      for (const id of ids) {
        try {
          const [one] = await inScope(deps.orm, { organizationId }, (em) =>
            processInTransaction(em, deps, organizationId, [id], now),
          )
          results.set(id, one!)
        } catch (alone) {
          results.set(id, { receiptId: id, result: 'failed', outcome: [], error: alone })
        }
      }
    }
  }
  return jobs.map(
    (job) =>
      results.get(job.receiptId) ?? {
        receiptId: job.receiptId,
        result: 'skipped',
        outcome: [],
      },
  )
}

interface ReceiptRow {
  id: string
  integration_id: string
  status: string
  payload: unknown
  outcome: AlertOutcome[] | null
  received_at: Date | string
}

/** An open incident of a key, and whether this transaction holds its row lock yet. */
interface KeyIncident {
  id: string
  number: number
  locked: Incident | null
  /**
   * For an incident this batch declares: the position (in the batch's order of alerts) of the
   * alert that declares it, and what its outcome says. Alerts of the key before it see no
   * incident.
   */
  declared?: { position: number; outcome: AlertOutcome }
}

/** The counting state of one key on one incident (`alert_repeat`). */
interface RepeatState {
  incidentId: string
  integrationId: string
  dedupKey: string
  lastEntryAt: Date | null
  count: number
  firstAt: Date | null
  lastAt: Date | null
  firstReceiptId: string | null
  lastReceiptId: string | null
  alert: NormalizedAlert | null
  changed: boolean
}

/** Times read with `em.execute` come as text. */
const toDate = (value: Date | string | null) => (value === null ? null : new Date(value))

const keyOf = (integrationId: string, dedupKey: string) => `${integrationId}\u0000${dedupKey}`

async function processInTransaction(
  em: EntityManager,
  deps: AlertProcessDeps,
  organizationId: string,
  receiptIds: readonly string[],
  now: Date,
): Promise<ProcessedReceipt[]> {
  // In id order, so two transactions sharing receipts (a job delivered twice) cannot deadlock;
  // processed in the order they arrived.
  const locked = await em.execute<ReceiptRow[]>(
    `select id, integration_id, status, payload, outcome, received_at from alert_receipt
      where organization_id = ? and id = any(?::uuid[])
      order by id for update`,
    [organizationId, `{${[...receiptIds].sort().join(',')}}`],
  )
  const rows = [...locked].sort(
    (a, b) =>
      new Date(a.received_at).getTime() - new Date(b.received_at).getTime() ||
      a.id.localeCompare(b.id),
  )
  const results: ProcessedReceipt[] = []
  const pending: ReceiptRow[] = []
  for (const row of rows) {
    const { id } = row
    if (row.status === 'processed' || row.status === 'ignored')
      results.push({ receiptId: id, result: 'skipped', outcome: row.outcome ?? [] })
    else pending.push(row)
  }
  if (pending.length === 0) return results

  const integrations = new Map(
    (
      await em.find(IntegrationSchema, {
        organizationId,
        id: { $in: [...new Set(pending.map((r) => r.integration_id))] },
      })
    ).map((i) => [i.id, i]),
  )
  const work: Array<{ row: ReceiptRow; integration: Integration; alerts: NormalizedAlert[] }> = []
  const updates: Array<{
    id: string
    status: string
    outcome: AlertOutcome[] | null
    error: string | null
  }> = []
  for (const row of pending) {
    const integration = integrations.get(row.integration_id)!
    const parsed = PARSERS[integration.kind](row.payload)
    if (!parsed.ok) {
      // The web side validated it; a payload no longer valid (the format's rules changed since)
      // cannot become valid by retrying.
      const error = clip(
        `The stored payload is not valid: ${parsed.issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`,
        2000,
      )
      updates.push({ id: row.id, status: 'failed', outcome: null, error })
      results.push({ receiptId: row.id, result: 'failed', outcome: [] })
      continue
    }
    if (parsed.alerts.length === 0) {
      const outcome: AlertOutcome[] = [
        {
          dedupKey: '',
          action: 'ignored',
          incidentNumber: null,
          reason: parsed.note ?? 'The payload carried no alerts.',
        },
      ]
      updates.push({ id: row.id, status: 'ignored', outcome, error: null })
      results.push({ receiptId: row.id, result: 'ignored', outcome })
      continue
    }
    work.push({ row, integration, alerts: parsed.alerts })
  }

  if (work.length > 0) {
    const context = await loadKeys(em, organizationId, work)
    await declareNewKeys(em, context, organizationId, work, now)
    const flushes: JobToSend<'alert-repeats'>[] = []
    let position = 0
    for (const { row, integration, alerts } of work) {
      const outcome: AlertOutcome[] = []
      for (const alert of alerts)
        outcome.push(
          await handleAlert(
            em,
            deps,
            context,
            flushes,
            integration,
            row.id,
            alert,
            now,
            position++,
          ),
        )
      const result = outcome.some((o) => o.action !== 'ignored') ? 'processed' : 'ignored'
      updates.push({ id: row.id, status: result, outcome, error: null })
      results.push({ receiptId: row.id, result, outcome })
    }
    // The incidents' new heads (seq, hash, version), and the links, in one flush.
    await em.flush()
    await saveRepeats(em, organizationId, context.repeats)
    if (flushes.length > 0)
      await sendJobs(deps.boss, flushes, { db: await transactionExecutor(em) })
  }

  await em.execute(
    `update alert_receipt r
        set status = x.status, outcome = x.outcome, error = x.error, processed_at = ?
       from jsonb_to_recordset(?::jsonb) as x(id uuid, status text, outcome jsonb, error text)
      where r.organization_id = ? and r.id = x.id`,
    [now, JSON.stringify(updates), organizationId],
  )
  const order = new Map(receiptIds.map((id, i) => [id, i]))
  return results.sort((a, b) => order.get(a.receiptId)! - order.get(b.receiptId)!)
}

interface KeyContext {
  incidents: Map<string, KeyIncident>
  repeats: Map<string, RepeatState>
}

/**
 * Locks every key of the batch (sorted), then reads each key's newest open incident and its
 * counting state, in three statements whatever the batch's size.
 */
async function loadKeys(
  em: EntityManager,
  organizationId: string,
  work: ReadonlyArray<{ integration: Integration; alerts: NormalizedAlert[] }>,
): Promise<KeyContext> {
  const pairs = new Map<string, { integrationId: string; dedupKey: string }>()
  for (const { integration, alerts } of work)
    for (const alert of alerts)
      pairs.set(keyOf(integration.id, alert.dedupKey), {
        integrationId: integration.id,
        dedupKey: alert.dedupKey,
      })
  const keys = [...pairs.values()]
  const names = keys.map((k) => lockName(k.integrationId, k.dedupKey)).sort()
  // The elements come in the array's order, so the locks are taken in the sorted order. (Arrays
  // travel as JSON: the ORM would spread a JavaScript array into a list.)
  await em.execute(
    `select count(pg_advisory_xact_lock(hashtextextended(k, 0)))
       from jsonb_array_elements_text(?::jsonb) as k`,
    [JSON.stringify(names)],
  )
  const found = await em.execute<
    Array<{ integration_id: string; dedup_key: string; id: string; number: number }>
  >(
    `select distinct on (l.integration_id, l.dedup_key) l.integration_id, l.dedup_key, i.id, i.number
       from alert_link l
       join incident i on i.id = l.incident_id and i.organization_id = l.organization_id
       join jsonb_to_recordset(?::jsonb) as k(integration_id uuid, dedup_key text)
         on k.integration_id = l.integration_id and k.dedup_key = l.dedup_key
      where l.organization_id = ?
        and i.status in (${OPEN_STATUSES.map(() => '?').join(', ')})
      order by l.integration_id, l.dedup_key, l.created_at desc`,
    [
      JSON.stringify(keys.map((k) => ({ integration_id: k.integrationId, dedup_key: k.dedupKey }))),
      organizationId,
      ...OPEN_STATUSES,
    ],
  )
  const incidents = new Map<string, KeyIncident>()
  for (const f of found)
    incidents.set(keyOf(f.integration_id, f.dedup_key), {
      id: f.id,
      number: f.number,
      locked: null,
    })
  const repeats = new Map<string, RepeatState>()
  if (found.length > 0) {
    const states = await em.execute<
      Array<{
        incident_id: string
        integration_id: string
        dedup_key: string
        last_entry_at: Date | string | null
        count: number
        first_at: Date | string | null
        last_at: Date | string | null
        first_receipt_id: string | null
        last_receipt_id: string | null
        alert: NormalizedAlert | null
      }>
    >(
      `select r.* from alert_repeat r
         join jsonb_to_recordset(?::jsonb) as k(incident_id uuid, integration_id uuid, dedup_key text)
           on k.incident_id = r.incident_id and k.integration_id = r.integration_id
          and k.dedup_key = r.dedup_key
        where r.organization_id = ?`,
      [
        JSON.stringify(
          found.map((f) => ({
            incident_id: f.id,
            integration_id: f.integration_id,
            dedup_key: f.dedup_key,
          })),
        ),
        organizationId,
      ],
    )
    for (const s of states)
      repeats.set(repeatKey(s.incident_id, s.integration_id, s.dedup_key), {
        incidentId: s.incident_id,
        integrationId: s.integration_id,
        dedupKey: s.dedup_key,
        lastEntryAt: toDate(s.last_entry_at),
        count: s.count,
        firstAt: toDate(s.first_at),
        lastAt: toDate(s.last_at),
        firstReceiptId: s.first_receipt_id,
        lastReceiptId: s.last_receipt_id,
        alert: s.alert,
        changed: false,
      })
  }
  return { incidents, repeats }
}

/** The counting fields of a key with no firing counted since its last entry. */
const NOTHING_COUNTED = {
  count: 0,
  firstAt: null,
  lastAt: null,
  firstReceiptId: null,
  lastReceiptId: null,
  alert: null,
} as const satisfies Partial<RepeatState>

const repeatKey = (incidentId: string, integrationId: string, dedupKey: string) =>
  `${incidentId}\u0000${integrationId}\u0000${dedupKey}`

function repeatState(
  repeats: Map<string, RepeatState>,
  incidentId: string,
  integrationId: string,
  dedupKey: string,
): RepeatState {
  const key = repeatKey(incidentId, integrationId, dedupKey)
  let state = repeats.get(key)
  if (!state) {
    state = {
      incidentId,
      integrationId,
      dedupKey,
      lastEntryAt: null,
      ...NOTHING_COUNTED,
      changed: true,
    }
    repeats.set(key, state)
  }
  return state
}

/** Writes the batch's changed counting states in one statement. */
async function saveRepeats(
  em: EntityManager,
  organizationId: string,
  repeats: Map<string, RepeatState>,
) {
  const changed = [...repeats.values()].filter((s) => s.changed)
  if (changed.length === 0) return
  await em.execute(
    `insert into alert_repeat (organization_id, incident_id, integration_id, dedup_key,
            last_entry_at, count, first_at, last_at, first_receipt_id, last_receipt_id, alert)
     select ?, x.incident_id, x.integration_id, x.dedup_key, x.last_entry_at, x.count, x.first_at,
            x.last_at, x.first_receipt_id, x.last_receipt_id, x.alert
       from jsonb_to_recordset(?::jsonb) as x(incident_id uuid, integration_id uuid, dedup_key text,
            last_entry_at timestamptz, count integer, first_at timestamptz, last_at timestamptz,
            first_receipt_id uuid, last_receipt_id uuid, alert jsonb)
     on conflict (incident_id, integration_id, dedup_key) do update
        set last_entry_at = excluded.last_entry_at, count = excluded.count,
            first_at = excluded.first_at, last_at = excluded.last_at,
            first_receipt_id = excluded.first_receipt_id,
            last_receipt_id = excluded.last_receipt_id, alert = excluded.alert`,
    [
      organizationId,
      JSON.stringify(
        changed.map((s) => ({
          incident_id: s.incidentId,
          integration_id: s.integrationId,
          dedup_key: s.dedupKey,
          last_entry_at: s.lastEntryAt,
          count: s.count,
          first_at: s.firstAt,
          last_at: s.lastAt,
          first_receipt_id: s.firstReceiptId,
          last_receipt_id: s.lastReceiptId,
          alert: s.alert,
        })),
      ),
    ],
  )
}

function alertPayload(
  integration: Integration,
  receiptId: string,
  alert: Pick<NormalizedAlert, 'dedupKey' | 'title' | 'severity' | 'details'>,
  repeat?: AlertRepeat,
): AlertPayload {
  return {
    integrationId: integration.id,
    integrationName: integration.name,
    source: integration.kind,
    dedupKey: alert.dedupKey,
    receiptId,
    title: alert.title,
    severity: alert.severity,
    details: alert.details,
    ...(repeat ? { repeat } : {}),
  }
}

/**
 * The entry that stands for the firings counted since the key's last entry (and `also`, the firing
 * being handled, when there is one); resets the count.
 */
function takeCount(
  state: RepeatState,
  also?: { receiptId: string; alert: NormalizedAlert; at: Date },
): { receiptId: string; alert: NormalizedAlert; repeat?: AlertRepeat } | null {
  if (state.count === 0 && !also) return null
  const count = state.count + (also ? 1 : 0)
  const receiptId = also?.receiptId ?? state.lastReceiptId!
  const alert = also?.alert ?? state.alert!
  const taken =
    count > 1 || (!also && count === 1)
      ? {
          receiptId,
          alert,
          repeat: {
            count,
            firstAt: (state.firstAt ?? also!.at).toISOString(),
            lastAt: (also?.at ?? state.lastAt!).toISOString(),
            firstReceiptId: state.firstReceiptId ?? receiptId,
          },
        }
      : { receiptId, alert }
  Object.assign(state, NOTHING_COUNTED, { changed: true })
  return taken
}

/** The `alert.received` entry of a firing, or of the firings a count stands for. */
function appendAlertEntry(
  em: EntityManager,
  incident: Incident,
  integration: Integration,
  entry: { receiptId: string; alert: NormalizedAlert; repeat?: AlertRepeat },
  now: Date,
) {
  const payload = alertPayload(integration, entry.receiptId, entry.alert, entry.repeat)
  return appendEvent(em, incident, 'alert.received', payload, null, now)
}

async function lockedIncident(em: EntityManager, organizationId: string, found: KeyIncident) {
  found.locked ??= await lockIncident(em, organizationId, found.number, undefined)
  return found.locked
}

/**
 * Declares, all at once, an incident for each key of the batch that has no open incident, at the
 * key's first firing alert (declareIncidentsAsSystem: one number update, one insert, one append
 * for them all), links the keys, and starts their repeat windows.
 */
async function declareNewKeys(
  em: EntityManager,
  context: KeyContext,
  organizationId: string,
  work: ReadonlyArray<{ row: ReceiptRow; integration: Integration; alerts: NormalizedAlert[] }>,
  now: Date,
) {
  const toDeclare: Array<{
    key: string
    integration: Integration
    receiptId: string
    alert: NormalizedAlert
    position: number
  }> = []
  const seen = new Set<string>()
  let position = 0
  for (const { row, integration, alerts } of work)
    for (const alert of alerts) {
      const key = keyOf(integration.id, alert.dedupKey)
      if (alert.status === 'firing' && !context.incidents.has(key) && !seen.has(key)) {
        seen.add(key)
        toDeclare.push({ key, integration, receiptId: row.id, alert, position })
      }
      position += 1
    }
  if (toDeclare.length === 0) return

  // A service retired after the integration was set up is not given to new incidents.
  const serviceIds = [...new Set(toDeclare.map((d) => d.integration.serviceId))]
  const active = new Set(
    (
      await em.find(
        ServiceSchema,
        { organizationId, id: { $in: serviceIds }, active: true },
        { fields: ['id'] },
      )
    ).map((service) => service.id),
  )
  const declared = await declareIncidentsAsSystem(
    em,
    organizationId,
    toDeclare.map(({ integration, receiptId, alert }) => ({
      input: {
        title: alert.title,
        summary: alert.details ?? '',
        severity: alert.severity ?? integration.defaultSeverity,
        serviceId: active.has(integration.serviceId) ? integration.serviceId : null,
        commanderId: null,
      },
      then: {
        type: 'alert.received' as const,
        payload: alertPayload(integration, receiptId, alert),
      },
    })),
    now,
  )
  for (const [k, { key, integration, alert, position: at }] of toDeclare.entries()) {
    const incident = declared[k]!
    em.create(AlertLinkSchema, {
      organizationId,
      integrationId: integration.id,
      dedupKey: alert.dedupKey,
      incidentId: incident.id,
      createdAt: now,
    })
    context.incidents.set(key, {
      id: incident.id,
      number: incident.number,
      locked: incident,
      declared: {
        position: at,
        outcome: {
          dedupKey: alert.dedupKey,
          action: 'declared',
          incidentNumber: incident.number,
          ...(active.has(integration.serviceId)
            ? {}
            : { reason: 'The integration’s service is inactive; declared without a service.' }),
        },
      },
    })
    const state = repeatState(context.repeats, incident.id, integration.id, alert.dedupKey)
    state.lastEntryAt = now
    state.changed = true
  }
}

async function handleAlert(
  em: EntityManager,
  deps: AlertProcessDeps,
  context: KeyContext,
  flushes: JobToSend<'alert-repeats'>[],
  integration: Integration,
  receiptId: string,
  alert: NormalizedAlert,
  now: Date,
  position: number,
): Promise<AlertOutcome> {
  const { organizationId } = integration
  const key = keyOf(integration.id, alert.dedupKey)
  const known = context.incidents.get(key)
  // declareNewKeys has declared this alert's incident already.
  if (known?.declared?.position === position) return known.declared.outcome
  const found = known?.declared && known.declared.position > position ? undefined : known

  if (alert.status === 'firing') {
    if (found) {
      const state = repeatState(context.repeats, found.id, integration.id, alert.dedupKey)
      const windowOpen =
        deps.repeatWindowMs > 0 &&
        state.lastEntryAt !== null &&
        now.getTime() - state.lastEntryAt.getTime() < deps.repeatWindowMs
      if (windowOpen) {
        if (state.count === 0) {
          state.firstAt = now
          state.firstReceiptId = receiptId
          flushes.push({
            queue: 'alert-repeats',
            payload: {
              organizationId,
              incidentId: found.id,
              integrationId: integration.id,
              dedupKey: alert.dedupKey,
            },
            startAfter: new Date(state.lastEntryAt!.getTime() + deps.repeatWindowMs),
          })
        }
        state.count += 1
        state.lastAt = now
        state.lastReceiptId = receiptId
        state.alert = alert
        state.changed = true
        return {
          dedupKey: alert.dedupKey,
          action: 'counted',
          incidentNumber: found.number,
          reason: `Fired again within ${Math.round(deps.repeatWindowMs / 1000)} s of its last entry: counted, to be written as one entry.`,
        }
      }
      const incident = await lockedIncident(em, organizationId, found)
      const entry = takeCount(state, { receiptId, alert, at: now })!
      await appendAlertEntry(em, incident, integration, entry, now)
      state.lastEntryAt = now
      return { dedupKey: alert.dedupKey, action: 'appended', incidentNumber: incident.number }
    }
    // Every firing key without an open incident was declared before the batch's alerts were
    // handled, at its first firing.
    throw new Error('a firing alert without an open incident was not declared')
  }

  if (!found)
    return {
      dedupKey: alert.dedupKey,
      action: 'ignored',
      incidentNumber: null,
      reason: 'Resolved, but no open incident has this key.',
    }
  const incident = await lockedIncident(em, organizationId, found)
  const state = repeatState(context.repeats, found.id, integration.id, alert.dedupKey)
  // The firings counted before the resolution are written first, so the timeline keeps the order.
  const counted = takeCount(state)
  if (counted) await appendAlertEntry(em, incident, integration, counted, now)
  await appendEvent(
    em,
    incident,
    'alert.resolved',
    alertPayload(integration, receiptId, alert),
    null,
    now,
  )
  // A firing after the resolution has an entry of its own at once.
  state.lastEntryAt = null
  state.changed = true
  let reason: string | undefined
  if (integration.mitigateOnResolve) {
    if (incident.status === 'investigating') {
      await mitigateAsSystem(em, incident, `The alert resolved at ${integration.name}.`, now)
      reason = 'Marked Mitigated.'
    } else if (incident.status === 'detected') {
      reason = 'Left in Detected: nobody has acknowledged the incident yet.'
    }
    // Mitigated is still open: the key keeps its incident.
  }
  return {
    dedupKey: alert.dedupKey,
    action: 'resolved',
    incidentNumber: incident.number,
    ...(reason ? { reason } : {}),
  }
}

export interface AlertRepeatsJob {
  organizationId: string
  incidentId: string
  integrationId: string
  dedupKey: string
}

/**
 * The repeat window of one key has closed: the firings counted in it become one `alert.received`
 * entry on the incident (whatever its status now — they fired while it was open). Under the key's
 * lock, like receipts, so a receipt of the same key cannot count into a window being written; a
 * job for a count already written (by the next firing, or a resolution) finds nothing to do.
 * Answers the number of firings written, 0 for none.
 */
export async function flushAlertRepeats(
  orm: MikroORM,
  job: AlertRepeatsJob,
  now: Date = clockNow(),
): Promise<number> {
  const { organizationId } = job
  return inScope(orm, { organizationId }, async (em) => {
    await em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [
      lockName(job.integrationId, job.dedupKey),
    ])
    const [row] = await em.execute<
      Array<{
        count: number
        first_at: Date | string | null
        last_at: Date | string | null
        first_receipt_id: string | null
        last_receipt_id: string | null
        alert: NormalizedAlert | null
        number: number
      }>
    >(
      `select r.count, r.first_at, r.last_at, r.first_receipt_id, r.last_receipt_id, r.alert,
              i.number
         from alert_repeat r join incident i on i.id = r.incident_id
        where r.organization_id = ? and r.incident_id = ? and r.integration_id = ?
          and r.dedup_key = ?`,
      [organizationId, job.incidentId, job.integrationId, job.dedupKey],
    )
    if (!row || row.count === 0) return 0
    const integration = await em.findOne(IntegrationSchema, {
      id: job.integrationId,
      organizationId,
    })
    // An integration deleted since took its counting state with it (cascade); nothing to write.
    if (!integration) return 0
    const incident = await lockIncident(em, organizationId, row.number, undefined)
    const state: RepeatState = {
      incidentId: job.incidentId,
      integrationId: job.integrationId,
      dedupKey: job.dedupKey,
      lastEntryAt: null,
      count: row.count,
      firstAt: toDate(row.first_at),
      lastAt: toDate(row.last_at),
      firstReceiptId: row.first_receipt_id,
      lastReceiptId: row.last_receipt_id,
      alert: row.alert,
      changed: false,
    }
    const written = state.count
    const entry = takeCount(state)!
    await appendAlertEntry(em, incident, integration, entry, now)
    await em.flush()
    await em.execute(
      `update alert_repeat
          set count = 0, first_at = null, last_at = null, first_receipt_id = null,
              last_receipt_id = null, alert = null, last_entry_at = ?
        where organization_id = ? and incident_id = ? and integration_id = ? and dedup_key = ?`,
      [now, organizationId, job.incidentId, job.integrationId, job.dedupKey],
    )
    return written
  })
}

/**
 * Records why a receipt could not be processed (the job is retried; a later success replaces
 * this). A receipt already processed is left alone.
 */
export async function markReceiptFailed(
  orm: MikroORM,
  job: AlertJob,
  message: string,
  now: Date = clockNow(),
) {
  await inScope(orm, { organizationId: job.organizationId }, (em) =>
    em.execute(
      `update alert_receipt set status = 'failed', error = ?, processed_at = ?
        where organization_id = ? and id = ? and status in ('queued', 'failed')`,
      [clip(message, 2000), now, job.organizationId, job.receiptId],
    ),
  )
}
