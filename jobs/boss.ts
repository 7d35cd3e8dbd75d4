import PgBoss from 'pg-boss'
import { currentRequestId } from '~/utils/request-id.server'
import {
  JOB_SCHEMA,
  queueNames,
  queues,
  REQUEST_ID_FIELD,
  type JobPayload,
  type QueueName,
} from './queues'

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
 * Running and failed jobs, for the queue figures (`job_queue_stats`, migration 0016): pg-boss
 * indexes only waiting ones, and counting the others would otherwise read every finished job
 * still in the table. On the partitioned table, so each queue's partition (and any created later)
 * gets it.
 */
const JOB_STATS_INDEX = `create index if not exists job_active_failed_stats
  on ${JOB_SCHEMA}.job (name, state, completed_on) where state in ('active', 'failed')`

/**
 * Creates pg-boss's schema (or upgrades it), every queue, and the index the queue figures read;
 * part of `npm run db:migrate`.
 */
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
    await boss.getDb().executeSql(JOB_STATS_INDEX, [])
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

/** A job of a batch with its payload checked against the queue's contract. */
export interface ParsedJob<Q extends QueueName> {
  id: string
  payload: JobPayload<Q>
}

/**
 * Checks each job's payload. A job whose payload does not fit the contract is failed on its own
 * (pg-boss retries it, then dead-letters it) instead of failing its whole batch.
 */
export async function parseBatch<Q extends QueueName>(
  boss: PgBoss,
  queue: Q,
  jobs: ReadonlyArray<{ id: string; data: unknown }>,
): Promise<ParsedJob<Q>[]> {
  const parsed: ParsedJob<Q>[] = []
  const invalid: Array<{ jobId: string; error: string }> = []
  for (const job of jobs) {
    const result = queues[queue].payload.safeParse(job.data)
    if (result.success) parsed.push({ id: job.id, payload: result.data as JobPayload<Q> })
    else invalid.push({ jobId: job.id, error: `Invalid payload: ${result.error.message}` })
  }
  await failJobs(boss, queue, invalid)
  return parsed
}

/**
 * Fails the given jobs of a batch, so pg-boss retries each with its queue's backoff (and
 * dead-letters it after the last retry), while the rest of the batch completes when the handler
 * returns. One statement per distinct error.
 */
export async function failJobs(
  boss: PgBoss,
  queue: QueueName,
  failures: ReadonlyArray<{ jobId: string; error?: string }>,
): Promise<void> {
  const byError = new Map<string, string[]>()
  for (const { jobId, error = 'retry later' } of failures) {
    const ids = byError.get(error)
    if (ids) ids.push(jobId)
    else byError.set(error, [jobId])
  }
  // pg-boss 10 keeps `data` as the failed jobs' output for an id array too; its typings only
  // declare it for a single id.
  const fail = boss.fail.bind(boss) as (name: string, ids: string[], data: object) => Promise<void>
  for (const [message, ids] of byError) await fail(queue, ids, { message })
}
