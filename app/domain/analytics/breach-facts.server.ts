import type { EntityManager } from '@mikro-orm/postgresql'
import type { StoredEvent } from '~/domain/incident/events'

/**
 * Brings an incident's analytics fact up to date with an SLA breach the sweep recorded. The sweep
 * leaves this to the event relay (decision 041, migration 0024) so its transaction does not pay
 * for one refresh per breach; until the relay gets here the fact says "not reached, due at <a time
 * that has passed>", which the dashboard counts as breached already. Any other event needs nothing:
 * the triggers on `incident` and `sla_signal` refresh in the writer's own transaction.
 *
 * Runs in the relay's transaction, under the event's organization.
 */
export async function refreshBreachFact(em: EntityManager, event: StoredEvent) {
  if (event.type !== 'sla.breached') return
  await em.execute(`select analytics_refresh(array[?]::uuid[])`, [event.incidentId])
}
