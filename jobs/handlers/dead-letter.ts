import {
  recordDeadLetter,
  type DeadLetterDeps,
  type DeadLetterOutcome,
} from '~/domain/notify/dead-letters.server'
import type { JobPayload } from '~/queue/queues'

/**
 * A `dead-letter` job: an e-mail or a webhook delivery that will not be attempted any more is
 * marked dead with its reason (see app/domain/notify/dead-letters.server.ts).
 */
export async function handleDeadLetter(
  deps: DeadLetterDeps,
  payload: JobPayload<'dead-letter'>,
  jobId: string,
): Promise<DeadLetterOutcome> {
  const outcome = await recordDeadLetter(deps, payload)
  deps.logger.debug({ jobId, outcome }, 'dead-letter done')
  return outcome
}
