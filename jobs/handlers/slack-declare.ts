import type { MikroORM } from '@mikro-orm/postgresql'
import { runSlackDeclare } from '~/domain/chat/slack-inbound/declare-job.server'
import type { SlackEnv } from '~/domain/chat/slack-installation.server'
import type { JobPayload } from '~/queue/queues'
import { now } from '~/utils/clock'
import type { Logger } from '~/utils/logger.server'

/** `/incident declare` from Slack: one domain call, then a log line (no title, no URL). */
export async function declareFromSlack(
  deps: { orm: MikroORM; env: SlackEnv; logger: Logger },
  payload: JobPayload<'slack-declare'>,
  jobId: string,
) {
  const outcome = await runSlackDeclare(deps, payload, now())
  deps.logger.info({ jobId, organizationId: payload.organizationId, outcome }, 'slack-declare done')
  return outcome
}
