import http from 'node:http'
import https from 'node:https'
import { LockMode, type MikroORM } from '@mikro-orm/postgresql'
import {
  WebhookAttemptSchema,
  WebhookDeliverySchema,
  WebhookEndpointSchema,
} from '../../db/entities/sla'
import { inScope } from '../../db/tenant'
import { transactionExecutor } from '../../db/transaction'
import {
  checkUrlShape,
  guardedLookup,
  WebhookTargetError,
} from '../../app/domain/notify/ssrf.server'
import { nextAttemptNumber } from '../../app/domain/notify/webhooks.server'
import { signatureHeaders } from '../../app/domain/notify/webhook-signing'
import type { WorkerEnv } from '../../app/utils/env.server'
import type { Logger } from '../../app/utils/logger.server'
import { sendJob, type PgBoss } from '../boss'
import type { JobPayload } from '../queues'

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
/** How much of a failed answer's body is kept as its error. */
const ERROR_BODY_CHARS = 300

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
    // An attempt's job runs for the timeout plus a little database work; one still active well
    // after that belongs to a worker that died, and goes back to the queue.
    expireInSeconds: env.WEBHOOK_TIMEOUT_SECONDS + 30,
  }
}

export interface WebhookDeliverDeps {
  orm: MikroORM
  boss: PgBoss
  logger: Logger
  settings: WebhookSettings
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
  now: Date = new Date(),
): number | null {
  if (attempt < 1 || attempt > schedule.length) return null
  const asked = parseRetryAfter(retryAfterHeader, now)
  if (asked !== null) return Math.min(Math.max(asked, 1), MAX_RETRY_AFTER_SECONDS)
  const base = schedule[attempt - 1]!
  const factor = 1 + (random() * 2 - 1) * JITTER
  return Math.max(1, Math.round(base * factor * 1000) / 1000)
}

interface Answer {
  statusCode: number
  retryAfter: string | null
  body: string
}

/** One POST with a time limit, no redirects followed, and the connected address checked. */
function post(
  url: URL,
  body: string,
  headers: Record<string, string>,
  settings: WebhookSettings,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http
    const request = client.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(settings.allowedHosts),
      // A fresh connection each time: a pooled socket would skip the lookup.
      agent: false,
    })
    const timeout = () => new Error(`No answer within ${settings.timeoutMs / 1000} s`)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      request.destroy(timeout())
    }, settings.timeoutMs)
    request.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    request.on('response', (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        if (text.length < ERROR_BODY_CHARS) text += chunk
      })
      response.on('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
      // Cut off mid-answer (the timeout, a reset): settled here unless 'end' came first.
      response.on('close', () => {
        clearTimeout(timer)
        if (!response.complete)
          reject(timedOut ? timeout() : new Error('The connection closed before the answer ended'))
      })
      response.on('end', () => {
        clearTimeout(timer)
        const retryAfter = response.headers['retry-after']
        resolve({
          statusCode: response.statusCode ?? 0,
          retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
          body: text.slice(0, ERROR_BODY_CHARS),
        })
      })
    })
    request.end(body)
  })
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

export type WebhookOutcome =
  'succeeded' | 'retry-scheduled' | 'dead' | 'failed' | 'skipped' | 'not-due'

/**
 * Makes one delivery attempt, under the delivery's organization. The delivery row stays locked
 * for the attempt, so two workers never attempt one delivery at once; whatever happens is
 * written in the same transaction as the job of the next attempt or the dead letter.
 */
export async function deliverWebhook(
  deps: WebhookDeliverDeps,
  payload: JobPayload<'webhook-deliver'>,
): Promise<WebhookOutcome> {
  const now = deps.now ?? (() => new Date())
  const random = deps.random ?? Math.random
  const { settings, logger } = deps
  return inScope(deps.orm, { organizationId: payload.organizationId }, async (em) => {
    const delivery = await em.findOne(
      WebhookDeliverySchema,
      { id: payload.deliveryId, organizationId: payload.organizationId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    )
    if (!delivery) {
      logger.warn({ deliveryId: payload.deliveryId }, 'webhook job for a missing delivery')
      return 'skipped'
    }
    if (delivery.status !== 'pending') return 'skipped'
    if (
      delivery.nextAttemptAt &&
      delivery.nextAttemptAt.getTime() - now().getTime() > EARLY_TOLERANCE_MS
    ) {
      logger.info({ deliveryId: delivery.id }, 'webhook job ahead of its attempt; nothing to do')
      return 'not-due'
    }
    const endpoint = await em.findOne(WebhookEndpointSchema, {
      id: delivery.endpointId,
      organizationId: payload.organizationId,
    })
    if (!endpoint?.enabled) {
      delivery.status = 'failed'
      delivery.nextAttemptAt = null
      delivery.lastError = 'Not sent: the endpoint is disabled.'
      return 'failed'
    }

    const sequence = await nextAttemptNumber(em, delivery.id)
    const startedAt = now()
    const started = performance.now()
    const body = JSON.stringify(delivery.payload)
    let answer: Answer | null = null
    let error: string | null = null
    try {
      const url = checkUrlShape(endpoint.url, settings.allowedHosts)
      answer = await post(
        url,
        body,
        {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          ...signatureHeaders({
            id: delivery.messageId,
            timestamp: Math.floor(startedAt.getTime() / 1000),
            body,
            secret: endpoint.secret,
          }),
        },
        settings,
      )
    } catch (failure) {
      error = describeError(failure)
    }
    const durationMs = Math.round(performance.now() - started)
    const succeeded = answer !== null && answer.statusCode >= 200 && answer.statusCode < 300
    if (answer && !succeeded) error = describeAnswer(answer)

    delivery.attempts += 1
    delivery.lastAttemptAt = startedAt
    delivery.lastStatusCode = answer?.statusCode ?? null
    delivery.lastError = error
    const attempt = em.create(WebhookAttemptSchema, {
      organizationId: delivery.organizationId,
      deliveryId: delivery.id,
      attempt: sequence,
      attemptedAt: startedAt,
      durationMs,
      statusCode: answer?.statusCode ?? null,
      error,
      retryAt: null,
    })
    const context = { deliveryId: delivery.id, attempt: sequence, statusCode: answer?.statusCode }

    if (succeeded) {
      delivery.status = 'succeeded'
      delivery.deliveredAt = now()
      delivery.nextAttemptAt = null
      logger.info(context, 'webhook delivered')
      return 'succeeded'
    }

    if (answer?.statusCode === 410) {
      // 410 Gone is the receiver saying the endpoint is no more: stop sending to it.
      endpoint.enabled = false
      endpoint.disabledReason = `The endpoint answered 410 Gone on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`
      delivery.status = 'failed'
      delivery.nextAttemptAt = null
      logger.warn(context, 'webhook endpoint answered 410 Gone; endpoint disabled')
      return 'failed'
    }

    const retryAfter =
      answer && (answer.statusCode === 429 || answer.statusCode === 503) ? answer.retryAfter : null
    const delay = nextDelay(delivery.attempts, settings.retrySchedule, retryAfter, random, now())
    const db = await transactionExecutor(em)
    if (delay === null) {
      delivery.status = 'dead'
      delivery.nextAttemptAt = null
      const reason = `Gave up after ${delivery.attempts} attempts. Last: ${error ?? 'unknown error'}`
      await em.flush()
      await sendJob(
        deps.boss,
        'dead-letter',
        {
          deliveryId: delivery.id,
          organizationId: delivery.organizationId,
          reason: reason.slice(0, 2000),
        },
        { db },
      )
      logger.warn({ ...context, error }, 'webhook delivery dead: retry schedule exhausted')
      return 'dead'
    }
    const retryAt = new Date(now().getTime() + delay * 1000)
    attempt.retryAt = retryAt
    delivery.nextAttemptAt = retryAt
    await em.flush()
    await sendJob(
      deps.boss,
      'webhook-deliver',
      { deliveryId: delivery.id, organizationId: delivery.organizationId },
      {
        db,
        startAfter: retryAt,
        singletonKey: `${delivery.id}:${sequence + 1}`,
        expireInSeconds: settings.expireInSeconds,
      },
    )
    logger.info({ ...context, error, retryAt }, 'webhook attempt failed; retry scheduled')
    return 'retry-scheduled'
  })
}
