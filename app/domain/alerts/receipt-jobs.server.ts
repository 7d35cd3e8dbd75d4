import {
  markReceiptFailed,
  processAlertReceipts,
  type AlertJob,
  type AlertProcessDeps,
  type ProcessedReceipt,
} from './process.server'
import { now as clockNow } from '~/utils/clock'

/**
 * Processes the receipts of a batch of jobs (see `processAlertReceipts`: one entry per job, in the
 * order given) and writes each one that failed as failed for the integration's page, with its
 * reason; a later attempt that succeeds replaces it. `failures` names the jobs that must run
 * again, by their place in `jobs`.
 */
export async function processReceiptJobs(
  deps: AlertProcessDeps,
  jobs: ReadonlyArray<AlertJob>,
  now: Date,
): Promise<{ results: ProcessedReceipt[]; failures: Array<{ index: number; message: string }> }> {
  const results = await processAlertReceipts(deps, jobs, now)
  const failures: Array<{ index: number; message: string }> = []
  for (const [index, { error }] of results.entries()) {
    if (!error) continue
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    await markReceiptFailed(deps.orm, jobs[index]!, message, now).catch(() => {})
    failures.push({ index, message })
  }
  return { results, failures }
}

/**
 * One receipt's job, as the batch handler runs it (tests, and a batch of one): a failed receipt
 * is written as failed and its error thrown.
 */
export async function ingestAlertReceipt(
  deps: AlertProcessDeps & { now?: () => Date },
  job: AlertJob,
): Promise<ProcessedReceipt['result']> {
  const { results } = await processReceiptJobs(deps, [job], deps.now?.() ?? clockNow())
  if (results[0]!.error) throw results[0]!.error
  return results[0]!.result
}
