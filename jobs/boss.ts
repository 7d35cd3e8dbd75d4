import PgBoss from 'pg-boss'
import { JOB_SCHEMA, queueNames, queues, type JobPayload, type QueueName } from '~/queue/queues'

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
