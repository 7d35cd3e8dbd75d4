import PgBoss from 'pg-boss'
import { loadEnvOrExit, workerEnvSchema } from '~/utils/env.server'
import { createLogger } from '~/utils/logger.server'
import { createMailer } from '~/utils/mailer.server'
import { createObjectStore } from '~/utils/storage/create-store.server'
import { describeDatabaseUrl, resolveDatabase } from '../db/database'
import { initORM } from '../db/orm'
import { startMetricsServer } from '~/utils/metrics.server'
import { withRequestId } from '~/utils/request-id.server'
import { webhookSettings } from '~/domain/notify/webhook-delivery.server'
import { createQueues } from './boss'
import { createWorkerMetrics } from './metrics'
import {
  DEAD_LETTER_QUEUE,
  JOB_SCHEMA,
  queues,
  requestIdOf,
  type JobPayload,
  type QueueName,
} from '~/queue/queues'
import { runActionItemSweep } from './handlers/action-item-sweep'
import { ALERT_BATCH_SIZE, handleAlertJobs, writeAlertRepeats } from './handlers/alert-ingest'
import { handleDeadLetter } from './handlers/dead-letter'
import { EMAIL_BATCH_SIZE, handleEmailJobs } from './handlers/email-deliver'
import { relayWaitingEvents } from './handlers/event-fanout'
import { runReportJob } from './handlers/report-generate'
import { makePostmortemDraft } from './handlers/postmortem-draft'
import { runSlaSweep } from './handlers/sla-sweep'
import { handleWebhookJobs, WEBHOOK_BATCH_SIZE } from './handlers/webhook-deliver'

const env = loadEnvOrExit(workerEnvSchema)
const logger = createLogger({
  name: 'worker',
  level: env.LOG_LEVEL,
  pretty: env.NODE_ENV === 'development',
})

async function main() {
  const database = await resolveDatabase(env, 'share', 'worker')
  logger.info({ database: describeDatabaseUrl(database.url) }, 'worker connecting')
  // E-mail and webhook deliveries each run WORKER_CONCURRENCY at once, holding a connection for
  // their row lock; the sweep and the event relay need one each.
  const orm = await initORM(database.url, {
    pool: { min: 0, max: env.WORKER_CONCURRENCY * 2 + 3 },
  })
  const boss = new PgBoss({
    connectionString: database.url,
    schema: JOB_SCHEMA,
    // Schema changes belong to `npm run db:migrate`; a worker of an older release must not
    // upgrade the queue schema under a newer one, or the reverse.
    migrate: false,
    max: env.WORKER_CONCURRENCY + 2,
    // How soon a job left active by a worker that died is put back in the queue.
    maintenanceIntervalSeconds: env.WORKER_MAINTENANCE_SECONDS,
  })
  boss.on('error', (error) => logger.error({ err: error }, 'pg-boss error'))
  try {
    await boss.start()
  } catch (error) {
    logger.fatal({ err: error }, 'job queue schema missing or outdated; run `npm run db:migrate`')
    await orm.close(true)
    await database.stop()
    process.exit(1)
  }
  await createQueues(boss)

  const metrics = createWorkerMetrics({ orm, logger })
  const metricsServer = env.WORKER_METRICS_PORT
    ? await startMetricsServer({
        port: env.WORKER_METRICS_PORT,
        host: env.WORKER_METRICS_HOST,
        token: env.METRICS_TOKEN,
        render: async () => ({
          contentType: metrics.registry.contentType,
          body: await metrics.registry.metrics(),
        }),
        logger,
      })
    : null

  /**
   * Runs one job's handler as work of the request that caused it (its log lines name it, the jobs
   * it queues carry it on), counted and timed per queue.
   */
  const runJob = async <T>(
    queue: QueueName,
    job: { data: unknown },
    run: () => Promise<T>,
  ): Promise<T> => {
    const timer = metrics.handlerDuration.startTimer({ queue })
    try {
      const result = await withRequestId(requestIdOf(job.data), run)
      metrics.jobsCompleted.inc({ queue })
      return result
    } catch (error) {
      metrics.jobsFailed.inc({ queue })
      throw error
    } finally {
      timer()
    }
  }

  /**
   * Runs a batch handler, then counts its jobs (those the handler failed for a retry as failed)
   * and deliveries or receipts by outcome, and logs one line per job under the id of the request
   * that caused it: a batch mixes the work of many requests.
   */
  const runBatch = async (
    queue: QueueName,
    jobs: PgBoss.Job<unknown>[],
    handle: (jobs: PgBoss.Job<unknown>[]) => Promise<unknown>,
  ) => {
    const timer = metrics.handlerDuration.startTimer({ queue })
    let results: unknown
    try {
      results = await handle(jobs)
    } catch (error) {
      metrics.jobsFailed.inc({ queue }, jobs.length)
      throw error
    } finally {
      timer()
    }
    const outcomes = batchOutcomes(jobs, results)
    const logJobs = logger.isLevelEnabled('info')
    let failed = 0
    for (const job of jobs) {
      const outcome = outcomes.get(job.id)
      if (outcome && RETRIED_OUTCOMES.has(outcome.outcome)) failed += 1
      if (outcome && queue === 'email-deliver')
        metrics.deliveries.inc({ channel: 'email', outcome: outcome.outcome })
      if (outcome && queue === 'webhook-deliver')
        metrics.deliveries.inc({ channel: 'webhook', outcome: outcome.outcome })
      if (outcome && queue === 'alert-ingest')
        metrics.alertReceipts.inc({ result: outcome.outcome })
      if (logJobs)
        withRequestId(requestIdOf(job.data), () =>
          logger.info({ queue, jobId: job.id, ...outcome }, `${queue} job done`),
        )
    }
    metrics.jobsFailed.inc({ queue }, failed)
    metrics.jobsCompleted.inc({ queue }, jobs.length - failed)
  }

  /**
   * Runs `handle` for each job of the queue, up to `concurrency` at once. pg-boss waits one
   * polling interval after every fetch; each worker asks for the next job at once while it keeps
   * finding work, so a busy queue is not held to one job per interval.
   */
  const workEach = async <Q extends QueueName>(
    name: Q,
    concurrency: number,
    pollingIntervalSeconds: number,
    handle: (payload: JobPayload<Q>, jobId: string) => Promise<unknown>,
  ) => {
    for (let i = 0; i < concurrency; i += 1) {
      let workerId = ''
      workerId = await boss.work(name, { batchSize: 1, pollingIntervalSeconds }, async ([job]) => {
        if (!job) return
        await runJob(name, job, () =>
          handle(queues[name].payload.parse(job.data) as JobPayload<Q>, job.id),
        )
        boss.notifyWorker(workerId)
      })
    }
  }

  /**
   * Runs `handle` on batches of up to `batchSize` jobs of the queue, `concurrency` batches at once.
   * A full batch suggests more are waiting, so that loop fetches again at once instead of after a
   * polling interval. The handler fails the jobs that must run again itself; the rest complete
   * when it returns, and all of them fail if it throws.
   */
  const workBatches = async (
    name: QueueName,
    concurrency: number,
    batchSize: number,
    handle: (jobs: PgBoss.Job<unknown>[]) => Promise<unknown>,
  ) => {
    for (let i = 0; i < concurrency; i += 1) {
      let workerId = ''
      workerId = await boss.work<unknown>(
        name,
        { batchSize, pollingIntervalSeconds: 1 },
        async (jobs) => {
          await runBatch(name, jobs, handle)
          if (jobs.length === batchSize) boss.notifyWorker(workerId)
        },
      )
    }
  }

  const mailer = createMailer(env)
  await workBatches('email-deliver', env.WORKER_CONCURRENCY, EMAIL_BATCH_SIZE, (jobs) =>
    handleEmailJobs({ orm, boss, mailer, from: env.EMAIL_FROM, logger }, jobs),
  )

  const webhooks = webhookSettings(env)
  await workBatches('webhook-deliver', env.WORKER_CONCURRENCY, WEBHOOK_BATCH_SIZE, (jobs) =>
    handleWebhookJobs({ orm, boss, logger, settings: webhooks }, jobs),
  )

  await workEach(DEAD_LETTER_QUEUE, 1, 2, (payload, jobId) =>
    handleDeadLetter({ orm, logger }, payload, jobId),
  )

  // Inbound alerts: declare, append, count or resolve incidents from stored webhook receipts, a
  // batch at a time; two batches at once, since they mostly wait on the same keys' locks.
  const alerts = { orm, boss, logger, repeatWindowMs: env.ALERT_REPEAT_WINDOW_SECONDS * 1000 }
  await workBatches('alert-ingest', Math.min(2, env.WORKER_CONCURRENCY), ALERT_BATCH_SIZE, (jobs) =>
    handleAlertJobs(alerts, jobs),
  )
  await workEach('alert-repeats', 1, 1, (payload) => writeAlertRepeats(alerts, payload))

  // Postmortem drafts: a template draft takes milliseconds, a model draft waits on the model
  // (LLM_TIMEOUT_MS at most), so two at once keep a slow model from holding up the next draft.
  await workEach('postmortem-draft', 2, 1, async (payload, jobId) => {
    const outcome = await makePostmortemDraft({ orm, logger, env }, payload)
    logger.debug({ jobId, outcome }, 'postmortem-draft done')
  })

  // Reports take seconds of CPU each (charts, PDF): one at a time per worker, so e-mails and
  // webhooks keep flowing beside them.
  const store = createObjectStore(env)
  await boss.work(
    'report-generate',
    { batchSize: 1, pollingIntervalSeconds: 1, includeMetadata: true },
    async ([job]) => {
      if (!job) return
      await runJob('report-generate', job, () =>
        runReportJob(
          { orm, boss, store, logger, appUrl: env.APP_URL },
          queues['report-generate'].payload.parse(job.data),
          { retryCount: job.retryCount, retryLimit: job.retryLimit },
          job.id,
        ),
      )
    },
  )

  // Every minute, one sweep job however many workers run (pg-boss keys cron jobs by minute);
  // the queue's singleton policy keeps a slow sweep from overlapping the next.
  await boss.schedule('sla-sweep', '* * * * *', {}, { tz: 'UTC' })
  await boss.work('sla-sweep', { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
    if (!job) return
    const sweep = metrics.slaSweepDuration.startTimer()
    const result = await runJob('sla-sweep', job, () =>
      runSlaSweep({ orm, logger }, queues['sla-sweep'].payload.parse(job.data)),
    )
    sweep()
    metrics.slaSignals.inc({ kind: 'warning' }, result.warnings)
    metrics.slaSignals.inc({ kind: 'breach' }, result.breaches)
    logger.debug({ jobId: job.id, ...result }, 'sla sweep done')
  })

  // Overdue action items: every 10 minutes, so an owner hears within minutes of their day ending.
  await boss.schedule('action-item-sweep', '*/10 * * * *', {}, { tz: 'UTC' })
  await boss.work(
    'action-item-sweep',
    { batchSize: 1, pollingIntervalSeconds: 2 },
    async ([job]) => {
      if (!job) return
      const payload = queues['action-item-sweep'].payload.parse(job.data)
      await runJob('action-item-sweep', job, () =>
        runActionItemSweep({ orm, boss, logger, appUrl: env.APP_URL }, payload, job.id),
      )
    },
  )

  // Events waiting in event_outbox are fanned out (escalations, e-mail, webhooks) by a loop in
  // every worker; rows are claimed with SKIP LOCKED, so workers share them without duplicates.
  const relay = startRelay(
    () =>
      relayWaitingEvents({
        orm,
        boss,
        logger,
        appUrl: env.APP_URL,
        webhookJobExpireSeconds: webhooks.expireInSeconds,
      }),
    env.EVENT_RELAY_INTERVAL_MS,
  )
  logger.info({ queues: Object.keys(queues), mailer: mailer.kind }, 'worker ready')

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'worker stopping: finishing active jobs')
    const forced = setTimeout(() => {
      logger.error('worker did not stop within 40 s; exiting')
      process.exit(1)
    }, 40_000)
    forced.unref()
    await relay.stop()
    await boss.stop({ graceful: true, timeout: 30_000, wait: true })
    metricsServer?.close()
    await orm.close(true)
    await database.stop()
    logger.info('worker stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

/** Batch outcomes after which the handler failed the job so that pg-boss runs it again. */
const RETRIED_OUTCOMES = new Set(['retry', 'busy', 'error'])

/**
 * What a batch handler says of each job: e-mail and webhook results name their job and an
 * `outcome`; alert receipts name their receipt and a `result` (or an `error`). Only these few
 * fields are kept (for labels and the per-job log line), never payloads or errors.
 */
function batchOutcomes(
  jobs: ReadonlyArray<{ id: string; data: unknown }>,
  results: unknown,
): Map<string, { outcome: string; outboxId?: string; deliveryId?: string; receiptId?: string }> {
  const byJob = new Map<string, Record<string, unknown>>()
  const byReceipt = new Map<string, Record<string, unknown>>()
  for (const result of Array.isArray(results) ? (results as unknown[]) : []) {
    if (typeof result !== 'object' || result === null) continue
    const r = result as Record<string, unknown>
    if (typeof r.jobId === 'string') byJob.set(r.jobId, r)
    else if (typeof r.receiptId === 'string') byReceipt.set(r.receiptId, r)
  }
  const outcomes = new Map<
    string,
    { outcome: string; outboxId?: string; deliveryId?: string; receiptId?: string }
  >()
  for (const job of jobs) {
    const receiptId = (job.data as { receiptId?: unknown } | null)?.receiptId
    const r =
      byJob.get(job.id) ?? (typeof receiptId === 'string' ? byReceipt.get(receiptId) : undefined)
    if (!r) continue
    const outcome =
      r.error !== undefined && r.error !== null
        ? 'error'
        : typeof r.outcome === 'string'
          ? r.outcome
          : typeof r.result === 'string'
            ? r.result
            : 'unknown'
    const ids: Record<string, string> = {}
    for (const key of ['outboxId', 'deliveryId', 'receiptId'] as const)
      if (typeof r[key] === 'string') ids[key] = r[key]
    outcomes.set(job.id, { outcome, ...ids })
  }
  return outcomes
}

/**
 * Runs `pass` every `intervalMs`, and again at once while it keeps finding work. A failing pass
 * (e.g. the database restarting) is logged and retried on the next tick.
 */
function startRelay(pass: () => Promise<number>, intervalMs: number) {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let stopped = false
  const tick = () => {
    running = (async () => {
      let handled = 0
      try {
        handled = await pass()
      } catch (error) {
        logger.error({ err: error }, 'event relay pass failed')
      }
      if (!stopped) timer = setTimeout(tick, handled > 0 ? 0 : intervalMs)
    })()
  }
  timer = setTimeout(tick, 0)
  return {
    stop: async () => {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}

// pg-boss settles some job states without awaiting them; if the database goes away at that
// moment the rejection is unhandled, and Node would end the worker. Log it and carry on: the job
// expires and is retried, and the pools reconnect when the database is back.
process.on('unhandledRejection', (reason) => {
  logger.error({ err: reason }, 'unhandled rejection (worker keeps running)')
})

main().catch((error: unknown) => {
  logger.fatal({ err: error }, error instanceof Error ? error.message : 'worker failed to start')
  process.exit(1)
})
