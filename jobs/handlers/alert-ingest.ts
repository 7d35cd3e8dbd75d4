import type { MikroORM } from '@mikro-orm/postgresql'
import { flushAlertRepeats, type ProcessedReceipt } from '~/domain/alerts/process.server'
import { processReceiptJobs } from '~/domain/alerts/receipt-jobs.server'
import type { JobPayload } from '~/queue/queues'
import type { PgBoss } from '~/queue/send.server'
import type { Logger } from '~/utils/logger.server'
import { failJobs, parseBatch } from '../boss'

export interface AlertIngestDeps {
  orm: MikroORM
  boss: PgBoss
  logger: Logger
  /** ALERT_REPEAT_WINDOW_SECONDS in milliseconds. */
  repeatWindowMs: number
  now?: () => Date
}

/**
 * Jobs per batch: the receipts of a storm are processed together — one lock statement, one read
 * of the keys' incidents and counts, one write of the receipts — while a batch that declares
 * incidents (a few statements each) stays well inside the job expiry.
 */
export const ALERT_BATCH_SIZE = 100

/**
 * A batch of `alert-ingest` jobs: processes their stored receipts (declare, append, count or
 * resolve; see app/domain/alerts/receipt-jobs.server.ts). The job of a receipt that failed is
 * failed, so pg-boss retries just that one. Payloads are never logged.
 */
export async function handleAlertJobs(
  deps: AlertIngestDeps,
  jobs: ReadonlyArray<{ id: string; data: unknown }>,
): Promise<ProcessedReceipt[]> {
  const now = deps.now?.() ?? new Date()
  const parsed = await parseBatch(deps.boss, 'alert-ingest', jobs)
  const { results, failures } = await processReceiptJobs(
    deps,
    parsed.map((j) => j.payload),
    now,
  )
  for (const { index } of failures) {
    const { receiptId, error } = results[index]!
    deps.logger.warn(
      { receiptId, errName: error instanceof Error ? error.name : typeof error },
      'alert receipt failed; the job will be retried',
    )
  }
  const failed = failures.map((f) => ({
    jobId: parsed[f.index]!.id,
    error: f.message.slice(0, 500),
  }))
  await failJobs(deps.boss, 'alert-ingest', failed)
  const counts: Record<string, number> = {}
  for (const { outcome } of results)
    for (const { action } of outcome) counts[action] = (counts[action] ?? 0) + 1
  deps.logger.debug(
    { jobs: jobs.length, failed: failed.length, outcomes: counts },
    'alert-ingest batch done',
  )
  return results
}

/** An alert's repeat window closed: its counted firings become one timeline entry. */
export async function writeAlertRepeats(
  deps: Pick<AlertIngestDeps, 'orm' | 'logger' | 'now'>,
  payload: JobPayload<'alert-repeats'>,
): Promise<number> {
  const written = await flushAlertRepeats(deps.orm, payload, deps.now?.() ?? new Date())
  deps.logger.debug({ incidentId: payload.incidentId, firings: written }, 'alert repeats written')
  return written
}
