import {
  generateReport,
  type Attempt,
  type ReportGenerateDeps,
  type ReportOutcome,
} from '~/domain/report/generate.server'
import type { JobPayload } from '~/queue/queues'

/**
 * The `report-generate` job: makes the PDF report (see app/domain/report/generate.server.ts); on
 * the job's last attempt a failure is final and the report is marked failed.
 */
export async function runReportJob(
  deps: ReportGenerateDeps,
  payload: JobPayload<'report-generate'>,
  attempt: Attempt,
  jobId: string,
): Promise<ReportOutcome> {
  const { outcome } = await generateReport(deps, payload, attempt)
  deps.logger.debug({ jobId, outcome }, 'report-generate done')
  return outcome
}
