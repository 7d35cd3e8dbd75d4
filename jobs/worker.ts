import PgBoss from 'pg-boss'
import { loadEnvOrExit, workerEnvSchema } from '../app/utils/env.server'
import { createLogger } from '../app/utils/logger.server'
import { createMailer } from '../app/utils/mailer.server'
import { describeDatabaseUrl, resolveDatabase } from '../db/database'
import { initORM } from '../db/orm'
import { createQueues } from './boss'
import { JOB_SCHEMA, queues } from './queues'
import { deliverEmail } from './handlers/email-deliver'

const env = loadEnvOrExit(workerEnvSchema)
const logger = createLogger({
  name: 'worker',
  level: env.LOG_LEVEL,
  pretty: env.NODE_ENV === 'development',
})

async function main() {
  const database = await resolveDatabase(env, 'share', 'worker')
  logger.info({ database: describeDatabaseUrl(database.url) }, 'worker connecting')
  const orm = await initORM(database.url, { pool: { min: 0, max: env.WORKER_CONCURRENCY + 2 } })
  const boss = new PgBoss({
    connectionString: database.url,
    schema: JOB_SCHEMA,
    // Schema changes belong to `npm run db:migrate`; a worker of an older release must not
    // upgrade the queue schema under a newer one, or the reverse.
    migrate: false,
    max: env.WORKER_CONCURRENCY + 2,
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

  const mailer = createMailer(env)
  await boss.work('email-deliver', { batchSize: 1, pollingIntervalSeconds: 1 }, async ([job]) => {
    if (!job) return
    const payload = queues['email-deliver'].payload.parse(job.data)
    const outcome = await deliverEmail({ orm, mailer, from: env.EMAIL_FROM, logger }, payload)
    logger.debug({ jobId: job.id, outcome }, 'email-deliver done')
  })
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
    await boss.stop({ graceful: true, timeout: 30_000, wait: true })
    await orm.close(true)
    await database.stop()
    logger.info('worker stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, error instanceof Error ? error.message : 'worker failed to start')
  process.exit(1)
})
