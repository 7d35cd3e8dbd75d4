import * as z from 'zod'

/**
 * The contract between the web process and the worker: queue names, the payload each carries
 * (validated on both sides), and how each queue retries and expires. The domain and the worker
 * both import it (and `send.server.ts` beside it to enqueue); the domain never imports the
 * worker.
 */

export const JOB_SCHEMA = 'pgboss'

export const DEAD_LETTER_QUEUE = 'dead-letter'

export const queues = {
  // Listed first: the delivery queues below name it as their dead-letter queue, so it must exist
  // before them.
  [DEAD_LETTER_QUEUE]: {
    // What pg-boss moves here is the failed job's own payload: an e-mail's or a webhook
    // delivery's ids. `reason` is set when the worker gives up by itself (a webhook's schedule ran
    // out) rather than pg-boss after its retries.
    payload: z.union([
      z.object({
        outboxId: z.uuid(),
        organizationId: z.uuid(),
        reason: z.string().max(2000).optional(),
      }),
      z.object({
        deliveryId: z.uuid(),
        organizationId: z.uuid(),
        reason: z.string().max(2000).optional(),
      }),
    ]),
    options: {
      policy: 'standard',
      retryLimit: 5,
      retryDelay: 30,
      retryBackoff: true,
      expireInSeconds: 60,
      retentionDays: 30,
    },
  },
  'email-deliver': {
    payload: z.object({ outboxId: z.uuid(), organizationId: z.uuid() }),
    options: {
      policy: 'standard',
      retryLimit: 8,
      retryDelay: 15,
      retryBackoff: true,
      // Jobs run in batches of 50 sent 25 at a time, each send one HTTP call with a 10 s timeout
      // (about 20 s for a batch at worst); a job still active after this is from a worker that
      // died and goes back to the queue.
      expireInSeconds: 60,
      retentionDays: 14,
      deadLetter: DEAD_LETTER_QUEUE,
    },
  },
  'webhook-deliver': {
    payload: z.object({ deliveryId: z.uuid(), organizationId: z.uuid() }),
    options: {
      policy: 'standard',
      // The delivery schedule (backoff with jitter, Retry-After) is the handler's: each attempt
      // is its own job. These retries only cover a worker that died mid-attempt or a database
      // error; after them the job goes to the dead-letter queue.
      retryLimit: 5,
      retryDelay: 30,
      retryBackoff: true,
      expireInSeconds: 60,
      retentionDays: 14,
      deadLetter: DEAD_LETTER_QUEUE,
    },
  },
  'chat-deliver': {
    // One incident's waiting Slack or Teams deliveries, delivered in order
    // (app/domain/chat/chat-delivery.server.ts). The delivery schedule (backoff, Retry-After) is
    // the handler's: it queues the next job itself. These retries only cover a worker that died
    // or a database error.
    payload: z.object({
      organizationId: z.uuid(),
      incidentId: z.uuid(),
      provider: z.enum(['slack', 'teams']),
    }),
    options: {
      policy: 'standard',
      retryLimit: 5,
      retryDelay: 30,
      retryBackoff: true,
      // A pass delivers at most a few rows, each a few HTTP calls of 10 s at most.
      expireInSeconds: 300,
      retentionDays: 7,
    },
  },
  'slack-declare': {
    // `/incident declare` from Slack: the web answered at once; the worker declares the incident
    // as the member and reports back through Slack's response URL.
    payload: z.object({
      organizationId: z.uuid(),
      userId: z.uuid(),
      teamId: z.string().min(1).max(32),
      triggerId: z.string().min(1).max(200),
      title: z.string().min(1).max(200),
      severity: z.enum(['SEV-1', 'SEV-2', 'SEV-3', 'SEV-4']).nullable(),
      responseUrl: z.url().max(2000),
    }),
    options: {
      policy: 'standard',
      // Declaring is at most once per Slack command (app/domain/chat/slack-inbound/
      // declare-job.server.ts); these retries cover a database error before the declaration.
      retryLimit: 2,
      retryDelay: 5,
      retryBackoff: false,
      expireInSeconds: 60,
      retentionDays: 7,
    },
  },
  'sla-sweep': {
    // `at` moves the sweep's "now" (tests and the test-only clock control); the cron job has none.
    payload: z.object({ at: z.iso.datetime().optional() }),
    options: {
      // One sweep at a time, however many workers run; pg-boss's cron adds one job per minute.
      policy: 'singleton',
      retryLimit: 2,
      retryDelay: 5,
      retryBackoff: false,
      // A sweep interrupted by a database restart cannot be marked failed; until it expires the
      // singleton policy holds later sweeps back, so keep this short. A sweep stops itself after
      // SWEEP_BUDGET_MS (see app/domain/sla/sweep.server.ts), well inside it.
      expireInSeconds: 90,
      retentionDays: 1,
    },
  },
  'report-generate': {
    payload: z.object({ reportId: z.uuid(), organizationId: z.uuid() }),
    options: {
      policy: 'standard',
      // A retry starts the report over (same storage key, same e-mail key), so it is safe; the
      // last attempt marks the report failed with its reason.
      retryLimit: 2,
      retryDelay: 10,
      retryBackoff: false,
      // A 90-day report of 100k incidents takes a few seconds (`npm run bench:report`); a job
      // still active after this is from a worker that died.
      expireInSeconds: 300,
      retentionDays: 7,
    },
  },
  'postmortem-draft': {
    payload: z.object({ draftId: z.uuid(), organizationId: z.uuid() }),
    options: {
      policy: 'standard',
      // A retry starts the draft over; the last attempt marks it failed with its reason.
      retryLimit: 2,
      retryDelay: 10,
      retryBackoff: false,
      // A model call has its own timeout (LLM_TIMEOUT_MS, 60 s by default) well inside this.
      expireInSeconds: 180,
      retentionDays: 7,
    },
  },
  'alert-ingest': {
    payload: z.object({ receiptId: z.uuid(), organizationId: z.uuid() }),
    options: {
      policy: 'standard',
      retryLimit: 5,
      retryDelay: 5,
      retryBackoff: true,
      expireInSeconds: 60,
      retentionDays: 7,
    },
  },
  'alert-repeats': {
    // One alert's repeat window has closed: its counted firings become one timeline entry.
    payload: z.object({
      organizationId: z.uuid(),
      incidentId: z.uuid(),
      integrationId: z.uuid(),
      dedupKey: z.string().max(500),
    }),
    options: {
      policy: 'standard',
      retryLimit: 5,
      retryDelay: 5,
      retryBackoff: true,
      expireInSeconds: 60,
      retentionDays: 7,
    },
  },
  'action-item-sweep': {
    // `at` moves the sweep's "now" (tests); the cron job has none.
    payload: z.object({ at: z.iso.datetime().optional() }),
    options: {
      policy: 'singleton',
      retryLimit: 2,
      retryDelay: 30,
      retryBackoff: false,
      expireInSeconds: 120,
      retentionDays: 1,
    },
  },
} as const satisfies Record<string, QueueDefinition>

interface QueueDefinition {
  payload: z.ZodType
  options: {
    policy: 'standard' | 'singleton'
    retryLimit: number
    retryDelay: number
    retryBackoff: boolean
    expireInSeconds: number
    retentionDays: number
    deadLetter?: string
  }
}

/**
 * The id of the web request that caused a job, beside its payload in the job's data (see
 * `sendJob`): the worker logs the job's lines under it. Not part of any payload schema, so a
 * payload parsed for a handler never carries it.
 */
export const REQUEST_ID_FIELD = 'requestId'

/** The request id a job's data carries, if any. */
export function requestIdOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined
  const value = (data as Record<string, unknown>)[REQUEST_ID_FIELD]
  return typeof value === 'string' ? value : undefined
}

export type QueueName = keyof typeof queues
export type JobPayload<Q extends QueueName> = z.infer<(typeof queues)[Q]['payload']>
export const queueNames = Object.keys(queues) as QueueName[]
