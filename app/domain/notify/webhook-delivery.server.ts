import type { MikroORM } from '@mikro-orm/postgresql'
import { enterOrganization, inScope } from '../../../db/tenant'
import { transactionExecutor } from '../../../db/transaction'
import { sendJobs, type JobToSend, type PgBoss, type SqlExecutor } from '~/queue/send.server'
import type { JobPayload } from '~/queue/queues'
import type { WorkerEnv } from '~/utils/env.server'
import type { Logger } from '~/utils/logger.server'
import { groupByOrganization, jobOutcomes, markUnclaimed, outcomeKey } from './delivery-batch'
import { checkUrlShape, WebhookTargetError } from './ssrf.server'
import { signatureHeaders } from './webhook-signing'
import {
  DestinationBusyError,
  sharedWebhookTransport,
  type Answer,
  type WebhookTransport,
} from './webhook-transport.server'
import { now as clockNow } from '~/utils/clock'

export const USER_AGENT = 'IncidentFlow-Webhooks'

/** Longest wait a receiver can ask for with Retry-After. */
export const MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60
/** Each scheduled delay is moved by up to this share either way, so retries do not bunch up. */
export const JITTER = 0.2
/**
 * A job that starts more than this long before its delivery's next attempt is a leftover (for
 * instance a job pg-boss ran again after a worker died, whose attempt did complete) and does
 * nothing; the margin absorbs clock differences between workers and the database.
 */
const EARLY_TOLERANCE_MS = 30_000
/** A delivery whose destination had no free connection is tried again after about this long. */
const BUSY_DESTINATION_DELAY_SECONDS = 5

export interface WebhookSettings {
  /** WEBHOOK_ALLOWED_HOSTS: hosts exempt from the refusal of non-public addresses. */
  allowedHosts: string | undefined
  /** One attempt, from connecting to the last byte of the answer. */
  timeoutMs: number
  /** Seconds to wait before each retry; after the last one the delivery is dead. */
  retrySchedule: number[]
  /** Expiry of the next attempt's job. */
  expireInSeconds?: number
}

export function webhookSettings(
  env: Pick<
    WorkerEnv,
    'WEBHOOK_ALLOWED_HOSTS' | 'WEBHOOK_TIMEOUT_SECONDS' | 'WEBHOOK_RETRY_SCHEDULE'
  >,
): Required<WebhookSettings> {
  return {
    allowedHosts: env.WEBHOOK_ALLOWED_HOSTS,
    timeoutMs: env.WEBHOOK_TIMEOUT_SECONDS * 1000,
    retrySchedule: [...env.WEBHOOK_RETRY_SCHEDULE],
    // A batch waits up to the timeout for connections to a busy destination, then gives each
    // attempt the timeout, then writes its outcomes; a job still active well after that belongs to
    // a worker that died, and goes back to the queue.
    expireInSeconds: 2 * env.WEBHOOK_TIMEOUT_SECONDS + 30,
  }
}

export interface WebhookDeliverDeps {
  orm: MikroORM
  boss: PgBoss
  logger: Logger
  settings: WebhookSettings
  /** Kept connections; one per WEBHOOK_ALLOWED_HOSTS value is made when none is given. */
  transport?: WebhookTransport
  /** The clock and the jitter's randomness; tests fix them. */
  now?: () => Date
  random?: () => number
}

/**
 * Seconds from a Retry-After header value: delay-seconds or an HTTP-date (seconds until then, 0
 * when past). Null when it is neither.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | null {
  if (value == null) return null
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text)
  // An HTTP-date names a weekday and a month; anything without letters is not one.
  if (!/[a-z]{3}/i.test(text)) return null
  // Every HTTP-date is GMT, the asctime form included, though it does not say so.
  const at = Date.parse(/\b(GMT|UTC)\b/i.test(text) ? text : `${text} GMT`)
  if (Number.isNaN(at)) return null
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000))
}

/**
 * Seconds to wait before the next attempt after attempt `attempt` (1-based, within the current
 * series) failed, or null when the schedule is exhausted. A Retry-After value (pass it only from
 * a 429 or 503 answer) replaces the scheduled delay, capped at 24 h; the scheduled delay is moved
 * by up to ±20 % with `random()` (0 ≤ r < 1).
 */
export function nextDelay(
  attempt: number,
  schedule: readonly number[],
  retryAfterHeader: string | null | undefined,
  random: () => number = Math.random,
  now: Date = clockNow(),
): number | null {
  if (attempt < 1 || attempt > schedule.length) return null
  const asked = parseRetryAfter(retryAfterHeader, now)
  if (asked !== null) return Math.min(Math.max(asked, 1), MAX_RETRY_AFTER_SECONDS)
  const base = schedule[attempt - 1]!
  const factor = 1 + (random() * 2 - 1) * JITTER
  return Math.max(1, Math.round(base * factor * 1000) / 1000)
}

function describeAnswer(answer: Answer) {
  const text = answer.body.replace(/\s+/g, ' ').trim()
  const redirect =
    answer.statusCode >= 300 && answer.statusCode < 400 ? ' (redirects are not followed)' : ''
  return `HTTP ${answer.statusCode}${redirect}${text ? `: ${text}` : ''}`
}

function describeError(error: unknown) {
  if (error instanceof WebhookTargetError) return `Refused: ${error.message}`
  const code = (error as NodeJS.ErrnoException).code
  const message = error instanceof Error ? error.message : String(error)
  return code && !message.includes(code) ? `${code}: ${message}` : message
}

/**
 * What became of one job. Besides an attempt's outcomes (`succeeded`, `retry-scheduled`, `dead`,
 * `failed` — 410 Gone or a disabled endpoint): `skipped` (already handled, or no such delivery),
 * `not-due` (a leftover job well ahead of the delivery's next attempt), `deferred` (no connection
 * to the destination came free in time: nothing was sent, a new job tries again shortly) and
 * `busy` (another worker holds the delivery right now: the job should be retried later).
 */
export type WebhookOutcome =
  'succeeded' | 'retry-scheduled' | 'dead' | 'failed' | 'skipped' | 'not-due' | 'deferred' | 'busy'

export interface WebhookJob {
  /** The pg-boss job id (any unique label in tests). */
  id: string
  payload: JobPayload<'webhook-deliver'>
}

export interface WebhookJobResult {
  jobId: string
  deliveryId: string
  outcome: WebhookOutcome
  /** Why a `busy` job should run again. */
  error?: string
}

interface ClaimedDelivery {
  id: string
  organization_id: string
  message_id: string
  payload: Record<string, unknown>
  attempts: number
  /** Milliseconds since the epoch (the ORM's connection reads timestamps as text). */
  next_attempt_ms: number | null
  endpoint_id: string | null
  url: string | null
  secret: string | null
  enabled: boolean | null
  last_attempt: number
}

// The batch's deliveries that are still pending and that no other worker holds, with their
// endpoints and the number of their last attempt (attempts are numbered for good, across
// redeliveries). Each stays locked until the batch's outcomes are written, so no two workers
// attempt one delivery at once.
const CLAIM_SQL = `
  select d.id, d.organization_id, d.message_id, d.payload, d.attempts,
         (extract(epoch from d.next_attempt_at) * 1000)::float8 as next_attempt_ms,
         e.id as endpoint_id, e.url, e.secret, e.enabled,
         coalesce((select max(a.attempt) from webhook_attempt a where a.delivery_id = d.id), 0)
           as last_attempt
    from webhook_delivery d
    left join webhook_endpoint e on e.id = d.endpoint_id and e.organization_id = d.organization_id
   where d.id = any($1::uuid[]) and d.organization_id = $2 and d.status = 'pending'
   order by d.id
     for update of d skip locked`

// Only when some were not claimed: pending ones belong to another worker's batch right now.
const STATUS_SQL = `
  select id, status from webhook_delivery where id = any($1::uuid[]) and organization_id = $2`

const RECORD_DELIVERIES_SQL = `
  update webhook_delivery d
     set status = v.status,
         attempts = d.attempts + case when v.attempted then 1 else 0 end,
         last_attempt_at = case when v.attempted then v.attempted_at else d.last_attempt_at end,
         last_status_code = case when v.attempted then v.status_code else d.last_status_code end,
         last_error = v.last_error,
         next_attempt_at = v.next_attempt_at,
         delivered_at = coalesce(v.delivered_at, d.delivered_at)
    from unnest($1::uuid[], $2::text[], $3::boolean[], $4::timestamptz[], $5::int[], $6::text[],
                $7::timestamptz[], $8::timestamptz[])
           as v(id, status, attempted, attempted_at, status_code, last_error, next_attempt_at,
                delivered_at)
   where d.id = v.id and d.organization_id = $9`

const RECORD_ATTEMPTS_SQL = `
  insert into webhook_attempt
         (organization_id, delivery_id, attempt, attempted_at, duration_ms, status_code, error,
          retry_at)
  select $1, v.* from unnest($2::uuid[], $3::int[], $4::timestamptz[], $5::int[], $6::int[],
                             $7::text[], $8::timestamptz[])
    as v(delivery_id, attempt, attempted_at, duration_ms, status_code, error, retry_at)`

const DISABLE_ENDPOINTS_SQL = `
  update webhook_endpoint e
     set enabled = false, disabled_reason = v.reason, updated_at = now()
    from unnest($1::uuid[], $2::text[]) as v(id, reason)
   where e.id = v.id and e.organization_id = $3`

/** What is written for one claimed delivery. */
interface Written {
  delivery: ClaimedDelivery
  outcome: WebhookOutcome
  status: 'pending' | 'succeeded' | 'failed' | 'dead'
  attempt: {
    number: number
    at: Date
    durationMs: number
    statusCode: number | null
    error: string | null
    retryAt: Date | null
  } | null
  lastError: string | null
  nextAttemptAt: Date | null
  deliveredAt: Date | null
  /** The endpoint answered 410 Gone: the reason it is disabled with. */
  disableEndpoint: string | null
  job: JobToSend<'webhook-deliver'> | JobToSend<'dead-letter'> | null
}

/**
 * Makes one attempt for each delivery of a batch of jobs. Per organization of the batch (the jobs
 * say whose delivery each is; the transaction moves to that organization, so row-level security
 * applies to every statement), one statement claims the pending deliveries with their endpoints;
 * then every attempt is made at once over kept connections (a bounded number per destination);
 * then, per organization, one statement each records the deliveries and their attempts, and the
 * next attempts' jobs and dead letters are queued in the same transaction. The claimed rows stay
 * locked until then: a worker killed mid-batch commits nothing, and the jobs coming back send the
 * same messages (same webhook-id, so receivers see each message once).
 */
export async function deliverWebhooks(
  deps: WebhookDeliverDeps,
  jobs: readonly WebhookJob[],
): Promise<WebhookJobResult[]> {
  const now = deps.now ?? clockNow
  const random = deps.random ?? Math.random
  const { settings, logger } = deps
  const transport = deps.transport ?? sharedWebhookTransport(settings.allowedHosts)
  const groups = groupByOrganization(jobs, (job) => job.payload.organizationId)
  const [first] = groups.keys()
  if (first === undefined) return []
  const outcomes = new Map<string, { outcome: WebhookOutcome; error?: string }>()

  await inScope(deps.orm, { organizationId: first }, async (em) => {
    const db = await transactionExecutor(em)
    let current = first
    const enter = async (organizationId: string) => {
      if (organizationId === current) return
      await enterOrganization(em, organizationId)
      current = organizationId
    }

    const claimed: ClaimedDelivery[] = []
    for (const [organizationId, group] of groups) {
      await enter(organizationId)
      const ids = [...new Set(group.map((job) => job.payload.deliveryId))]
      const { rows } = (await db.executeSql(CLAIM_SQL, [ids, organizationId])) as {
        rows: ClaimedDelivery[]
      }
      claimed.push(...rows)
      if (rows.length < ids.length) {
        const busy = 'The delivery is being attempted by another worker'
        const gone = await markUnclaimed(db, STATUS_SQL, organizationId, ids, rows, outcomes, busy)
        if (gone.length > 0)
          logger.warn({ deliveryIds: gone }, 'webhook job for a missing delivery')
      }
    }

    const written = await Promise.all(
      claimed.map((delivery) => attempt(delivery, { settings, transport, logger, now, random })),
    )
    for (const w of written)
      outcomes.set(outcomeKey(w.delivery.organization_id, w.delivery.id), { outcome: w.outcome })

    const byOrganization = groupByOrganization(written, (w) => w.delivery.organization_id)
    for (const [organizationId, rows] of byOrganization) {
      const changed = rows.filter((w) => w.outcome !== 'not-due' && w.outcome !== 'deferred')
      const jobsToSend = rows.flatMap((w) => (w.job ? [w.job] : []))
      if (changed.length === 0 && jobsToSend.length === 0) continue
      await enter(organizationId)
      await record(db, organizationId, changed)
      if (jobsToSend.length > 0) await sendJobs(deps.boss, jobsToSend, { db })
    }
  })

  const outcomeOf = jobOutcomes(outcomes)
  return jobs.map((job): WebhookJobResult => {
    const { deliveryId, organizationId } = job.payload
    return { jobId: job.id, deliveryId, ...outcomeOf(organizationId, deliveryId) }
  })
}

/** One delivery's attempt (or the reason there is none) and what to write about it. */
async function attempt(
  delivery: ClaimedDelivery,
  context: {
    settings: WebhookSettings
    transport: WebhookTransport
    logger: Logger
    now: () => Date
    random: () => number
  },
): Promise<Written> {
  const { settings, transport, logger, now, random } = context
  const nothing = {
    delivery,
    attempt: null,
    deliveredAt: null,
    disableEndpoint: null,
    job: null,
  }
  if (
    delivery.next_attempt_ms !== null &&
    delivery.next_attempt_ms - now().getTime() > EARLY_TOLERANCE_MS
  ) {
    logger.info({ deliveryId: delivery.id }, 'webhook job ahead of its attempt; nothing to do')
    return {
      ...nothing,
      outcome: 'not-due',
      status: 'pending',
      lastError: null,
      nextAttemptAt: null,
    }
  }
  if (!delivery.endpoint_id || !delivery.enabled || !delivery.url || !delivery.secret) {
    return {
      ...nothing,
      outcome: 'failed',
      status: 'failed',
      lastError: 'Not sent: the endpoint is disabled.',
      nextAttemptAt: null,
    }
  }

  const sequence = delivery.last_attempt + 1
  const startedAt = now()
  const started = performance.now()
  const body = JSON.stringify(delivery.payload)
  let answer: Answer | null = null
  let error: string | null = null
  try {
    const url = checkUrlShape(delivery.url, settings.allowedHosts)
    answer = await transport.post(
      url,
      body,
      {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...signatureHeaders({
          id: delivery.message_id,
          timestamp: Math.floor(startedAt.getTime() / 1000),
          body,
          secret: delivery.secret,
        }),
      },
      settings.timeoutMs,
    )
  } catch (failure) {
    if (failure instanceof DestinationBusyError) {
      // Nothing left this process: no attempt to count, the delivery just waits its turn.
      logger.info({ deliveryId: delivery.id }, 'webhook destination busy; delivery deferred')
      return {
        ...nothing,
        outcome: 'deferred',
        status: 'pending',
        lastError: null,
        nextAttemptAt: null,
        job: retryJob(
          delivery,
          new Date(now().getTime() + BUSY_DESTINATION_DELAY_SECONDS * 1000 * (1 + random())),
          null,
          settings,
        ),
      }
    }
    error = describeError(failure)
  }
  const durationMs = Math.round(performance.now() - started)
  const succeeded = answer !== null && answer.statusCode >= 200 && answer.statusCode < 300
  if (answer && !succeeded) error = describeAnswer(answer)
  const attempts = delivery.attempts + 1
  const made = {
    number: sequence,
    at: startedAt,
    durationMs,
    statusCode: answer?.statusCode ?? null,
    error,
    retryAt: null as Date | null,
  }
  const logContext = { deliveryId: delivery.id, attempt: sequence, statusCode: answer?.statusCode }
  const base = { ...nothing, attempt: made, lastError: error }

  if (succeeded) {
    logger.debug(logContext, 'webhook delivered')
    return {
      ...base,
      outcome: 'succeeded',
      status: 'succeeded',
      nextAttemptAt: null,
      deliveredAt: now(),
    }
  }

  if (answer?.statusCode === 410) {
    // 410 Gone is the receiver saying the endpoint is no more: stop sending to it.
    logger.warn(logContext, 'webhook endpoint answered 410 Gone; endpoint disabled')
    return {
      ...base,
      outcome: 'failed',
      status: 'failed',
      nextAttemptAt: null,
      disableEndpoint: `The endpoint answered 410 Gone on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    }
  }

  const retryAfter =
    answer && (answer.statusCode === 429 || answer.statusCode === 503) ? answer.retryAfter : null
  const delay = nextDelay(attempts, settings.retrySchedule, retryAfter, random, now())
  if (delay === null) {
    const reason = `Gave up after ${attempts} attempts. Last: ${error ?? 'unknown error'}`
    logger.warn({ ...logContext, error }, 'webhook delivery dead: retry schedule exhausted')
    return {
      ...base,
      outcome: 'dead',
      status: 'dead',
      nextAttemptAt: null,
      job: {
        queue: 'dead-letter',
        payload: {
          deliveryId: delivery.id,
          organizationId: delivery.organization_id,
          reason: reason.slice(0, 2000),
        },
      },
    }
  }
  const retryAt = new Date(now().getTime() + delay * 1000)
  made.retryAt = retryAt
  logger.info({ ...logContext, error, retryAt }, 'webhook attempt failed; retry scheduled')
  return {
    ...base,
    outcome: 'retry-scheduled',
    status: 'pending',
    nextAttemptAt: retryAt,
    job: retryJob(delivery, retryAt, sequence + 1, settings),
  }
}

function retryJob(
  delivery: ClaimedDelivery,
  startAfter: Date,
  nextSequence: number | null,
  settings: WebhookSettings,
): JobToSend<'webhook-deliver'> {
  return {
    queue: 'webhook-deliver',
    payload: { deliveryId: delivery.id, organizationId: delivery.organization_id },
    startAfter,
    ...(nextSequence !== null ? { singletonKey: `${delivery.id}:${nextSequence}` } : {}),
    ...(settings.expireInSeconds ? { expireInSeconds: settings.expireInSeconds } : {}),
  }
}

/** Writes one organization's outcomes: deliveries, attempts and disabled endpoints, in bulk. */
async function record(db: SqlExecutor, organizationId: string, rows: Written[]) {
  if (rows.length > 0) {
    await db.executeSql(RECORD_DELIVERIES_SQL, [
      rows.map((w) => w.delivery.id),
      rows.map((w) => w.status),
      rows.map((w) => w.attempt !== null),
      rows.map((w) => w.attempt?.at ?? null),
      rows.map((w) => w.attempt?.statusCode ?? null),
      rows.map((w) => w.lastError),
      rows.map((w) => w.nextAttemptAt),
      rows.map((w) => w.deliveredAt),
      organizationId,
    ])
  }
  const attempts = rows.flatMap((w) => (w.attempt ? [{ id: w.delivery.id, ...w.attempt }] : []))
  if (attempts.length > 0) {
    await db.executeSql(RECORD_ATTEMPTS_SQL, [
      organizationId,
      attempts.map((a) => a.id),
      attempts.map((a) => a.number),
      attempts.map((a) => a.at),
      attempts.map((a) => a.durationMs),
      attempts.map((a) => a.statusCode),
      attempts.map((a) => a.error),
      attempts.map((a) => a.retryAt),
    ])
  }
  const disabled = new Map<string, string>()
  for (const w of rows)
    if (w.disableEndpoint && w.delivery.endpoint_id)
      disabled.set(w.delivery.endpoint_id, w.disableEndpoint)
  if (disabled.size > 0) {
    await db.executeSql(DISABLE_ENDPOINTS_SQL, [
      [...disabled.keys()],
      [...disabled.values()],
      organizationId,
    ])
  }
}

/**
 * Makes one delivery attempt (a batch of one). Kept for callers that handle a single job, such as
 * tests and admin tools.
 */
export async function deliverWebhook(
  deps: WebhookDeliverDeps,
  payload: JobPayload<'webhook-deliver'>,
): Promise<WebhookOutcome> {
  const [result] = await deliverWebhooks(deps, [{ id: payload.deliveryId, payload }])
  return result?.outcome ?? 'skipped'
}
