import {
  sweepOverdueActionItems,
  type ActionItemSweepDeps,
  type ActionItemSweepResult,
} from '~/domain/postmortem/overdue-sweep.server'
import type { JobPayload } from '~/queue/queues'

/**
 * The `action-item-sweep` job: tells the owners of overdue action items, at the payload's `at`
 * or now for the cron job (see app/domain/postmortem/overdue-sweep.server.ts).
 */
export async function runActionItemSweep(
  deps: ActionItemSweepDeps,
  payload: JobPayload<'action-item-sweep'>,
  jobId: string,
): Promise<ActionItemSweepResult> {
  const result = await sweepOverdueActionItems(deps, payload.at ? new Date(payload.at) : new Date())
  deps.logger.debug({ jobId, ...result }, 'action item sweep done')
  return result
}
