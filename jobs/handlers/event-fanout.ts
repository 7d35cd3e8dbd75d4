import { relayEvents, type FanoutDeps } from '~/domain/notify/fanout.server'

export type { FanoutDeps }

/**
 * One pass of the event relay: fans out the events waiting in `event_outbox` (escalation rules,
 * e-mails, webhooks; see app/domain/notify/fanout.server.ts). Returns how many were handled, so
 * the worker's loop runs again at once while there is work.
 */
export async function relayWaitingEvents(deps: FanoutDeps): Promise<number> {
  const handled = await relayEvents(deps)
  if (handled > 0) deps.logger.debug({ handled }, 'event relay pass done')
  return handled
}
