import type { MikroORM } from '@mikro-orm/postgresql'
import {
  flushAlertRepeats,
  markReceiptFailed,
  processAlertReceipts,
  type ProcessedReceipt,
} from '~/domain/alerts/process.server'
import type { Logger } from '~/utils/logger.server'
import { failJobs, parseBatch } from '../boss'
import type { PgBoss } from '~/queue/send.server'
import type { JobPayload } from '~/queue/queues'

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
 * resolve; see app/domain/alerts/process.server.ts). A receipt that failed is written as failed
 * for the integration's page and its job is failed, so pg-boss retries just that one; a later
 * attempt that succeeds replaces it. Payloads are never logged.
 */
export async function handleAlertJobs(
  deps: AlertIngestDeps,
  jobs: ReadonlyArray<{ id: string; data: unknown }>,
): Promise<ProcessedReceipt[]> {
  const now = deps.now?.() ?? new Date()
  const parsed = await parseBatch(deps.boss, 'alert-ingest', jobs)
  const results = await processAlertReceipts(
    deps,
    parsed.map((j) => j.payload),
    now,
  )
  const failed: Array<{ jobId: string; error: string }> = []
  for (const [i, result] of results.entries()) {
    if (!result.error) continue
    const { error } = result
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    await markReceiptFailed(deps.orm, parsed[i]!.payload, message, now).catch(() => {})
    deps.logger.warn(
      { receiptId: result.receiptId, errName: error instanceof Error ? error.name : typeof error },
      'alert receipt failed; the job will be retried',
    )
    failed.push({ jobId: parsed[i]!.id, error: message.slice(0, 500) })
  }
  await failJobs(deps.boss, 'alert-ingest', failed)
  deps.logger.debug(
    { jobs: jobs.length, failed: failed.length, outcomes: countActions(results) },
    'alert-ingest batch done',
  )
  return results
}

/** One receipt's job, as the batch handler runs it (tests, and a batch of one). */
export async function ingestAlertReceipt(
  deps: AlertIngestDeps,
  payload: JobPayload<'alert-ingest'>,
): Promise<ProcessedReceipt['result']> {
  const now = deps.now?.() ?? new Date()
  const [result] = await processAlertReceipts(deps, [payload], now)
  if (result!.error) {
    const { error } = result!
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    await markReceiptFailed(deps.orm, payload, message, now).catch(() => {})
    throw error
  }
  return result!.result
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

function countActions(results: ReadonlyArray<ProcessedReceipt>) {
  const counts: Record<string, number> = {}
  for (const { outcome } of results)
    for (const { action } of outcome) counts[action] = (counts[action] ?? 0) + 1
  return counts
}
