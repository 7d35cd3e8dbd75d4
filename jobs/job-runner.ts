import type PgBoss from 'pg-boss'
import { queues, requestIdOf, type JobPayload, type QueueName } from '~/queue/queues'
import type { Logger } from '~/utils/logger.server'
import { withRequestId } from '~/utils/request-id.server'
import type { WorkerMetrics } from './metrics'

/**
 * How the worker runs its queues' handlers: each job as work of the request that caused it,
 * counted and timed per queue, one at a time or in batches, with a log line per job.
 */
export function createJobRunner({
  boss,
  metrics,
  logger,
}: {
  boss: PgBoss
  metrics: WorkerMetrics
  logger: Logger
}) {
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

  return { runJob, workEach, workBatches }
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
