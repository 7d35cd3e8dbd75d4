import {
  deliverChat,
  type ChatDeliverDeps,
  type ChatOutcome,
} from '~/domain/chat/chat-delivery.server'
import type { JobPayload } from '~/queue/queues'

/**
 * A `chat-deliver` job: deliver one incident's waiting Slack or Teams deliveries in order
 * (app/domain/chat/chat-delivery.server.ts), which also queues the job for the next one due.
 */
export async function handleChatJob(
  deps: ChatDeliverDeps,
  payload: JobPayload<'chat-deliver'>,
  jobId: string,
): Promise<ChatOutcome[]> {
  const outcomes = await deliverChat(deps, payload)
  deps.logger.debug(
    { jobId, incidentId: payload.incidentId, provider: payload.provider, outcomes },
    'chat-deliver done',
  )
  return outcomes
}
