import PgBoss from 'pg-boss'
import { currentRequestId } from '~/utils/request-id.server'
import { JOB_SCHEMA, queues, REQUEST_ID_FIELD, type JobPayload, type QueueName } from './queues'

/**
 * The sending side of the queue contract: what the web process, the domain services and the
 * worker's handlers use to enqueue. Creating the queues and running their handlers belong to the
 * worker.
 */

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
  const data = stampRequestId(queues[queue].payload.parse(payload) as object)
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

/** One job for `sendJobs`. */
export interface JobToSend<Q extends QueueName = QueueName> {
  queue: Q
  payload: JobPayload<Q>
  singletonKey?: string
  startAfter?: Date
  /** Overrides the queue's expiry. */
  expireInSeconds?: number
}

/**
 * Enqueues several jobs, of any queues, in one statement; each takes its queue's options (retries,
 * dead letters, expiry) as pg-boss stores them. Pass `db` to enqueue inside an open transaction,
 * as with `sendJob`.
 */
export async function sendJobs(
  boss: PgBoss,
  jobs: ReadonlyArray<JobToSend>,
  options: { db?: SqlExecutor } = {},
): Promise<void> {
  if (jobs.length === 0) return
  const rows = jobs.map((job) => ({
    name: job.queue,
    data: stampRequestId(queues[job.queue].payload.parse(job.payload) as object),
    ...(job.singletonKey ? { singletonKey: job.singletonKey } : {}),
    ...(job.startAfter ? { startAfter: job.startAfter.toISOString() } : {}),
    ...(job.expireInSeconds ? { expireInSeconds: job.expireInSeconds } : {}),
  }))
  if (options.db) await boss.insert(rows, { db: options.db })
  else await boss.insert(rows)
}

/**
 * A job's data: its checked payload, and the id of the request it is enqueued for, when there is
 * one (the web request, or the job a request caused), so the worker logs the job under that id.
 */
function stampRequestId(payload: object): object {
  const requestId = currentRequestId()
  return requestId ? { ...payload, [REQUEST_ID_FIELD]: requestId } : payload
}
