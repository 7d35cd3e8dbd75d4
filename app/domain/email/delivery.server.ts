import type { MikroORM } from '@mikro-orm/postgresql'
import { enterOrganization, inScope } from '../../../db/tenant'
import { transactionExecutor } from '../../../db/transaction'
import type { JobPayload } from '~/queue/queues'
import type { Mailer } from '~/utils/mailer.server'
import type { Logger } from '~/utils/logger.server'
import {
  forEachLimited,
  groupByOrganization,
  jobOutcomes,
  markUnclaimed,
  outcomeKey,
} from '~/domain/notify/delivery-batch'
import { now as clockNow } from '~/utils/clock'

/** Sends to the provider at once per batch; the provider's own rate limit answers 429 beyond it. */
export const SEND_CONCURRENCY = 25

export interface EmailDeliverDeps {
  orm: MikroORM
  mailer: Mailer
  from: string
  logger: Logger
  /** Sends in flight at once for one batch (default SEND_CONCURRENCY). */
  concurrency?: number
}

export interface EmailJob {
  /** The pg-boss job id (any unique label in tests). */
  id: string
  payload: JobPayload<'email-deliver'>
}

/**
 * What became of one job: `sent` (or `held` by the local outbox), `failed` (refused for good),
 * `skipped` (already handled, or no such e-mail), `retry` (a temporary error, recorded on the
 * row: the job should be retried with backoff), `busy` (another worker holds the e-mail right
 * now: the job should be retried later, when it finds the e-mail handled or free).
 */
export type EmailOutcome = 'sent' | 'held' | 'failed' | 'skipped' | 'retry' | 'busy'

export interface EmailJobResult {
  jobId: string
  outboxId: string
  outcome: EmailOutcome
  /** Why a `retry` or `busy` job should run again. */
  error?: string
}

interface ClaimedEmail {
  id: string
  to_address: string
  subject: string
  body_text: string
  body_html: string | null
  headers: Record<string, string> | null
  idempotency_key: string
}

interface Recorded {
  status: 'pending' | 'sent' | 'held' | 'failed'
  providerMessageId: string | null
  deliveredAt: Date | null
  lastError: string | null
}

// The e-mails of the batch that are still pending and that no other worker holds. Each stays
// locked until the batch's outcomes are written, so no two workers send one e-mail at once.
const CLAIM_SQL = `
  select id, to_address, subject, body_text, body_html, headers, idempotency_key
    from email_outbox
   where id = any($1::uuid[]) and organization_id = $2 and status = 'pending'
   order by id
     for update skip locked`

// Only when some were not claimed: pending ones belong to another worker's batch right now.
const STATUS_SQL = `
  select id, status from email_outbox where id = any($1::uuid[]) and organization_id = $2`

const RECORD_SQL = `
  update email_outbox o
     set status = v.status,
         attempts = o.attempts + 1,
         provider_message_id = coalesce(v.provider_message_id, o.provider_message_id),
         delivered_at = coalesce(v.delivered_at, o.delivered_at),
         last_error = v.last_error
    from unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[])
           as v(id, status, provider_message_id, delivered_at, last_error)
   where o.id = v.id and o.organization_id = $6`

/**
 * Delivers the e-mails of a batch of jobs. Per organization of the batch (the jobs say whose
 * e-mail each is; the transaction moves to that organization, so row-level security applies to
 * every statement), one statement claims the pending e-mails; then they are sent concurrently,
 * each with its row's idempotency key, so a send repeated after a crash is not delivered twice;
 * then one statement per organization records every outcome. Everything happens in one
 * transaction that keeps the claimed rows locked: a worker killed mid-batch commits nothing, and
 * the jobs coming back send the same e-mails with the same keys.
 */
export async function deliverEmails(
  deps: EmailDeliverDeps,
  jobs: readonly EmailJob[],
): Promise<EmailJobResult[]> {
  const { logger, mailer } = deps
  const groups = groupByOrganization(jobs, (job) => job.payload.organizationId)
  const [first] = groups.keys()
  if (first === undefined) return []
  const outcomes = new Map<string, { outcome: EmailOutcome; error?: string }>()

  await inScope(deps.orm, { organizationId: first }, async (em) => {
    const db = await transactionExecutor(em)
    let current = first
    const enter = async (organizationId: string) => {
      if (organizationId === current) return
      await enterOrganization(em, organizationId)
      current = organizationId
    }

    const claimed: Array<{ organizationId: string; rows: ClaimedEmail[] }> = []
    for (const [organizationId, group] of groups) {
      await enter(organizationId)
      const ids = [...new Set(group.map((job) => job.payload.outboxId))]
      const { rows } = (await db.executeSql(CLAIM_SQL, [ids, organizationId])) as {
        rows: ClaimedEmail[]
      }
      claimed.push({ organizationId, rows })
      if (rows.length < ids.length) {
        const busy = 'The e-mail is being sent by another worker'
        const gone = await markUnclaimed(db, STATUS_SQL, organizationId, ids, rows, outcomes, busy)
        if (gone.length > 0)
          logger.warn({ outboxIds: gone }, 'email job for a missing outbox row; nothing to do')
      }
    }

    const recorded = new Map<string, Recorded>()
    const all = claimed.flatMap(({ organizationId, rows }) =>
      rows.map((row) => ({ organizationId, row })),
    )
    await forEachLimited(
      all,
      deps.concurrency ?? SEND_CONCURRENCY,
      async ({ organizationId, row }) => {
        const key = outcomeKey(organizationId, row.id)
        const result = await mailer
          .send({
            id: row.id,
            from: deps.from,
            to: row.to_address,
            subject: row.subject,
            text: row.body_text,
            ...(row.body_html ? { html: row.body_html } : {}),
            ...(row.headers ? { headers: row.headers } : {}),
            idempotencyKey: row.idempotency_key,
          })
          // One e-mail's trouble (the local outbox's disk, say) is its own retry, not the batch's.
          .catch((error: unknown) => ({
            ok: false as const,
            error: String(error),
            retryable: true,
          }))
        if (result.ok) {
          const status = mailer.kind === 'local' ? 'held' : 'sent'
          recorded.set(row.id, {
            status,
            providerMessageId: result.providerId,
            deliveredAt: clockNow(),
            lastError: null,
          })
          outcomes.set(key, { outcome: status })
          return
        }
        const lastError = result.error.slice(0, 2000)
        if (!result.retryable) {
          recorded.set(row.id, {
            status: 'failed',
            providerMessageId: null,
            deliveredAt: null,
            lastError,
          })
          outcomes.set(key, { outcome: 'failed' })
          logger.error({ outboxId: row.id, error: result.error }, 'email refused by provider')
          return
        }
        // The attempt is recorded; the job runs again with pg-boss's backoff.
        recorded.set(row.id, {
          status: 'pending',
          providerMessageId: null,
          deliveredAt: null,
          lastError,
        })
        outcomes.set(key, { outcome: 'retry', error: result.error })
      },
    )

    for (const { organizationId, rows } of claimed) {
      if (rows.length === 0) continue
      await enter(organizationId)
      const values = rows.map((row) => recorded.get(row.id)!)
      await db.executeSql(RECORD_SQL, [
        rows.map((row) => row.id),
        values.map((v) => v.status),
        values.map((v) => v.providerMessageId),
        values.map((v) => v.deliveredAt),
        values.map((v) => v.lastError),
        organizationId,
      ])
    }
  })

  const outcomeOf = jobOutcomes(outcomes)
  const results = jobs.map((job): EmailJobResult => {
    const { outboxId, organizationId } = job.payload
    return { jobId: job.id, outboxId, ...outcomeOf(organizationId, outboxId) }
  })
  const sent = results.filter((r) => r.outcome === 'sent' || r.outcome === 'held').length
  if (sent > 0) logger.info({ count: sent, mailer: mailer.kind }, 'emails delivered')
  return results
}

export class RetryableDeliveryError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'RetryableDeliveryError'
  }
}

export type DeliveryOutcome = 'sent' | 'held' | 'skipped' | 'failed'

/**
 * Delivers one outbox e-mail (a batch of one). Throws RetryableDeliveryError when the job should
 * run again later, as pg-boss does for a job whose handler throws.
 */
export async function deliverEmail(
  deps: EmailDeliverDeps,
  payload: JobPayload<'email-deliver'>,
): Promise<DeliveryOutcome> {
  const [result] = await deliverEmails(deps, [{ id: payload.outboxId, payload }])
  if (!result) return 'skipped'
  if (result.outcome === 'retry' || result.outcome === 'busy')
    throw new RetryableDeliveryError(result.error ?? 'retry later')
  if (result.outcome === 'skipped')
    deps.logger.debug({ outboxId: payload.outboxId }, 'email job with nothing to send')
  return result.outcome
}
