import {
  deliverEmails,
  type EmailDeliverDeps,
  type EmailJobResult,
} from '~/domain/email/delivery.server'
import { failJobs, parseBatch } from '../boss'
import type { PgBoss } from '~/queue/send.server'

export type { EmailDeliverDeps }

/**
 * A batch of `email-deliver` jobs: deliver them (app/domain/email/delivery.server.ts), then fail
 * the jobs to run again — a temporary provider error, or an e-mail another worker holds — so
 * pg-boss retries just those with backoff; the others complete with the batch.
 */
export async function handleEmailJobs(
  deps: EmailDeliverDeps & { boss: PgBoss },
  jobs: ReadonlyArray<{ id: string; data: unknown }>,
): Promise<EmailJobResult[]> {
  const parsed = await parseBatch(deps.boss, 'email-deliver', jobs)
  const results = await deliverEmails(deps, parsed)
  const again = results.filter((r) => r.outcome === 'retry' || r.outcome === 'busy')
  await failJobs(deps.boss, 'email-deliver', again)
  deps.logger.debug(
    { jobs: jobs.length, retried: again.length, outcomes: countOutcomes(results) },
    'email-deliver batch done',
  )
  return results
}

function countOutcomes(results: ReadonlyArray<{ outcome: string }>) {
  const counts: Record<string, number> = {}
  for (const { outcome } of results) counts[outcome] = (counts[outcome] ?? 0) + 1
  return counts
}

/**
 * Jobs per batch: one claim, one write and two queue statements serve them all, while a batch
 * stays small enough that its sends (SEND_CONCURRENCY at once) end well inside the job expiry.
 */
export const EMAIL_BATCH_SIZE = 50
