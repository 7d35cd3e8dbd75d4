import {
  deliverWebhooks,
  type WebhookDeliverDeps,
  type WebhookJobResult,
} from '~/domain/notify/webhook-delivery.server'
import { failJobs, parseBatch } from '../boss'

/**
 * A batch of `webhook-deliver` jobs: one attempt per delivery
 * (app/domain/notify/webhook-delivery.server.ts), which also queues the next attempts and dead
 * letters; then fail the jobs of deliveries another worker holds, so pg-boss runs them again
 * later. The others complete with the batch.
 */
export async function handleWebhookJobs(
  deps: WebhookDeliverDeps,
  jobs: ReadonlyArray<{ id: string; data: unknown }>,
): Promise<WebhookJobResult[]> {
  const parsed = await parseBatch(deps.boss, 'webhook-deliver', jobs)
  const results = await deliverWebhooks(deps, parsed)
  const again = results.filter((r) => r.outcome === 'busy')
  await failJobs(deps.boss, 'webhook-deliver', again)
  const counts: Record<string, number> = {}
  for (const { outcome } of results) counts[outcome] = (counts[outcome] ?? 0) + 1
  deps.logger.debug({ jobs: jobs.length, outcomes: counts }, 'webhook-deliver batch done')
  return results
}

/**
 * Jobs per batch: one claim and a few writes serve them all. A batch lasts at most about two
 * timeouts (waiting for a connection, then the attempt) whatever its size, as every attempt of it
 * starts at once.
 */
export const WEBHOOK_BATCH_SIZE = 50
