import PgBoss from 'pg-boss'
import { JOB_SCHEMA, queueNames, queues, type JobPayload, type QueueName } from './queues'

export type { PgBoss }

/** Something that runs one SQL statement with `$n` parameters, e.g. an open transaction. */
export interface SqlExecutor {
  executeSql: (text: string, values: unknown[]) => Promise<{ rows: unknown[] }>
}

/**
 * A pg-boss client for processes that only enqueue (the web server, scripts): no maintenance,
 * no cron, no schema changes.
 */
export async function startSenderBoss(url: string): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: url,
    schema: JOB_SCHEMA,
    migrate: false,
    supervise: false,
    schedule: false,
    max: 4,
  })
  boss.on('error', (error) => process.stderr.write(`pg-boss: ${String(error)}\n`))
  await boss.start()
  return boss
}

/** Creates pg-boss's schema (or upgrades it) and every queue; part of `npm run db:migrate`. */
export async function ensureJobSchema(url: string) {
  const boss = new PgBoss({
    connectionString: url,
    schema: JOB_SCHEMA,
    supervise: false,
    schedule: false,
    max: 2,
  })
  await boss.start()
  try {
    await createQueues(boss)
  } finally {
    await boss.stop({ graceful: false, wait: true })
  }
}

/** Creates any missing queue and brings existing ones up to their declared options. */
export async function createQueues(boss: PgBoss) {
  const existing = new Set((await boss.getQueues()).map((q) => q.name))
  for (const name of queueNames) {
    const { options } = queues[name]
    const definition = { name, ...options }
    if (existing.has(name)) await boss.updateQueue(name, definition)
    else await boss.createQueue(name, definition)
  }
}

/**
 * Enqueues a job. Pass `db` (the open transaction, see `transactionExecutor`) so the job is only
 * visible if the transaction commits; a rollback leaves no job behind.
 */
export async function sendJob<Q extends QueueName>(
  boss: PgBoss,
  queue: Q,
  payload: JobPayload<Q>,
  options: {
    db?: SqlExecutor
    singletonKey?: string
    startAfter?: Date
    /** Overrides the queue's expiry, e.g. from the worker's configured delivery timeout. */
    expireInSeconds?: number
  } = {},
): Promise<string> {
  const data = queues[queue].payload.parse(payload) as object
  const id = await boss.send(queue, data, {
    ...queues[queue].options,
    ...(options.singletonKey ? { singletonKey: options.singletonKey } : {}),
    ...(options.startAfter ? { startAfter: options.startAfter } : {}),
    ...(options.expireInSeconds ? { expireInSeconds: options.expireInSeconds } : {}),
    ...(options.db ? { db: options.db } : {}),
  })
  if (!id && !options.singletonKey) {
    // pg-boss answers null, silently, for a queue that does not exist.
    throw new Error(`Job for queue "${queue}" was not created; has \`npm run db:migrate\` run?`)
  }
  return id ?? ''
}
