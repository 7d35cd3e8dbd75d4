import type { MikroORM } from '@mikro-orm/postgresql'
import {
  markReceiptFailed,
  processAlertReceipt,
  type ReceiptResult,
} from '../../app/domain/alerts/process.server'
import type { Logger } from '../../app/utils/logger.server'
import type { JobPayload } from '../queues'

export interface AlertIngestDeps {
  orm: MikroORM
  logger: Logger
  now?: () => Date
}

/**
 * Processes one stored alert receipt (declare, append or resolve; see process.server.ts).
 * A failure is written on the receipt for the integration's page and thrown, so pg-boss retries
 * the job; a later attempt that succeeds replaces it. Payloads are never logged.
 */
export async function ingestAlertReceipt(
  deps: AlertIngestDeps,
  payload: JobPayload<'alert-ingest'>,
): Promise<ReceiptResult> {
  const now = deps.now?.() ?? new Date()
  try {
    const { result, outcome } = await processAlertReceipt(deps.orm, payload, now)
    deps.logger.debug(
      {
        receiptId: payload.receiptId,
        result,
        actions: outcome.map(
          (o) => `${o.action}${o.incidentNumber ? ` INC-${o.incidentNumber}` : ''}`,
        ),
      },
      'alert receipt processed',
    )
    return result
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    await markReceiptFailed(deps.orm, payload, message, now).catch(() => {})
    deps.logger.warn(
      { receiptId: payload.receiptId, errName: error instanceof Error ? error.name : typeof error },
      'alert receipt failed; the job will be retried',
    )
    throw error
  }
}
