import type { PgBoss } from '~/queue/send.server'
import { queues, type JobPayload, type QueueName } from '~/queue/queues'

/**
 * Takes every waiting job of `queue` off the queue, as the worker does, runs `handle` on its
 * parsed payload and completes the job. Returns each handler's outcome under the payload's `key`
 * (a report's or draft's id).
 */
export async function runWaitingJobs<Q extends QueueName>(
  boss: PgBoss,
  queue: Q,
  key: keyof JobPayload<Q>,
  handle: (payload: JobPayload<Q>) => Promise<string>,
): Promise<Record<string, string>> {
  const jobs = await boss.fetch<unknown>(queue, { batchSize: 50 })
  const outcomes: Record<string, string> = {}
  for (const job of jobs) {
    const payload = queues[queue].payload.parse(job.data) as JobPayload<Q>
    const outcome = await handle(payload)
    await boss.complete(queue, job.id)
    outcomes[String(payload[key])] = outcome
  }
  return outcomes
}
