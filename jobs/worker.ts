import PgBoss from 'pg-boss'
import { loadEnvOrExit, workerEnvSchema } from '~/utils/env.server'
import { createLogger } from '~/utils/logger.server'
import { createMailer } from '~/utils/mailer.server'
import { createObjectStore } from '~/utils/storage/create-store.server'
import { describeDatabaseUrl, resolveDatabase } from '../db/database'
import { initORM } from '../db/orm'
import { startMetricsServer } from '~/utils/metrics.server'
import { webhookSettings } from '~/domain/notify/webhook-delivery.server'
import { slackClient } from '~/domain/chat/slack-client.server'
import { secretsKeyOf } from '~/utils/secret-box.server'
import { createQueues } from './boss'
import { createJobRunner } from './job-runner'
import { createWorkerMetrics } from './metrics'
import { startRelay } from './relay-loop'
import { DEAD_LETTER_QUEUE, JOB_SCHEMA, queues } from '~/queue/queues'
import { runActionItemSweep } from './handlers/action-item-sweep'
import { handleChatJob } from './handlers/chat-deliver'
import { ALERT_BATCH_SIZE, handleAlertJobs, writeAlertRepeats } from './handlers/alert-ingest'
import { handleDeadLetter } from './handlers/dead-letter'
import { EMAIL_BATCH_SIZE, handleEmailJobs } from './handlers/email-deliver'
import { relayWaitingEvents } from './handlers/event-fanout'
import { runReportJob } from './handlers/report-generate'
import { makePostmortemDraft } from './handlers/postmortem-draft'
import { runSlaSweep } from './handlers/sla-sweep'
import { declareFromSlack } from './handlers/slack-declare'
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

  const { runJob, workEach, workBatches } = createJobRunner({ boss, metrics, logger })

  const mailer = createMailer(env)
  await workBatches('email-deliver', env.WORKER_CONCURRENCY, EMAIL_BATCH_SIZE, (jobs) =>
    handleEmailJobs({ orm, boss, mailer, from: env.EMAIL_FROM, logger }, jobs),
  )

  const webhooks = webhookSettings(env)
  await workBatches('webhook-deliver', env.WORKER_CONCURRENCY, WEBHOOK_BATCH_SIZE, (jobs) =>
    handleWebhookJobs({ orm, boss, logger, settings: webhooks }, jobs),
  )

  // Slack and Teams: each job delivers one incident's waiting chat deliveries in order. Without a
  // key to open the sealed tokens (production with neither SECRETS_ENCRYPTION_KEY nor
  // SESSION_SECRET) there is nothing it could send.
  if (env.SECRETS_ENCRYPTION_KEY || env.SESSION_SECRET) {
    const { key } = secretsKeyOf({ ...env, SESSION_SECRET: env.SESSION_SECRET ?? '' })
    const chat = {
      orm,
      boss,
      logger,
      appUrl: env.APP_URL,
      secretsKey: key,
      slackClient: (token: string) => slackClient(token, env),
      retrySchedule: webhooks.retrySchedule,
      teams: { allowedHosts: env.WEBHOOK_ALLOWED_HOSTS, timeoutMs: webhooks.timeoutMs },
    }
    await workEach(
      'chat-deliver',
      Math.min(2, env.WORKER_CONCURRENCY),
      1,
      async (payload, jobId) => {
        const outcomes = await handleChatJob(chat, payload, jobId)
        for (const outcome of outcomes)
          metrics.deliveries.inc({ channel: payload.provider, outcome })
      },
    )
  } else logger.error('chat deliveries off: set SECRETS_ENCRYPTION_KEY to open the Slack token')

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

  // `/incident declare` from Slack: the web answered Slack at once; the declaration is made here.
  await workEach('slack-declare', 1, 1, async (payload, jobId) => {
    await declareFromSlack({ orm, env, logger }, payload, jobId)
  })

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
    logger,
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
