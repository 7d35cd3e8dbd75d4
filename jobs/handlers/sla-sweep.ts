import type { MikroORM } from '@mikro-orm/postgresql'
import { sweepSla, type SweepResult } from '~/domain/sla/sweep.server'
import type { Logger } from '~/utils/logger.server'
import type { JobPayload } from '~/queue/queues'

export interface SweepDeps {
  orm: MikroORM
  logger: Logger
  now?: () => Date
}

/**
 * One SLA sweep (see app/domain/sla/sweep.server.ts) at the payload's `at`, or now for the
 * minute's cron job.
 */
export async function runSlaSweep(
  deps: SweepDeps,
  payload: JobPayload<'sla-sweep'>,
): Promise<SweepResult> {
  const at = payload.at ? new Date(payload.at) : (deps.now?.() ?? new Date())
  const result = await sweepSla(deps.orm, at)
  if (result.warnings + result.breaches > 0)
    deps.logger.info({ ...result, at: at.toISOString() }, 'sla sweep recorded signals')
  return result
}
