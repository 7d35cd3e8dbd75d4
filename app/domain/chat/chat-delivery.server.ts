import type { MikroORM } from '@mikro-orm/postgresql'
import { inScope } from '../../../db/tenant'
import { transactionExecutor } from '../../../db/transaction'
import type { JobPayload } from '~/queue/queues'
import { sendJobs, type JobToSend, type PgBoss } from '~/queue/send.server'
import { nextDelay, parseRetryAfter } from '~/domain/notify/webhook-delivery.server'
import { now as clockNow } from '~/utils/clock'
import type { Logger } from '~/utils/logger.server'
import { openSecret } from '~/utils/secret-box.server'
import { KIND_ORDER } from './chat-deliveries.server'
import { deliverSlack, type SlackInstallationSettings } from './slack-outbound/deliver.server'
import { SlackCallError, type SlackApi } from './slack-outbound/slack-api'
import { postCard, teamsCardFor } from './teams/deliver.server'
import { describeTeamsAnswer, isSuccess, type TeamsPostSettings } from './teams/teams-post.server'

/**
 * Delivers one incident's waiting chat deliveries of one provider, in order (event, then channel
 * → entry → summary → archive), never inside a web request.
 *
 * Claim: one short transaction locks the incident's pending rows (`for update`, so two workers
 * take turns rather than skip past each other and break the order), and leases the leading rows
 * that are due by moving their `next_attempt_at` a few minutes ahead; then it commits. A row whose
 * `next_attempt_at` is ahead — leased by another worker, or waiting for a retry — blocks the rows
 * behind it, so the order holds across workers and retries; a job is queued for when it is due.
 *
 * Deliver: each row is attempted outside any transaction (Slack and Teams calls take their time),
 * and its outcome is written at once in its own transaction: delivered; waiting for its channel
 * (retried later, not counted as an attempt); rate limited (next attempt after Retry-After, not
 * counted up to RATE_LIMIT_CAP in a row); failed (next attempt on the retry schedule, `dead`
 * after it, shown under Failed deliveries). A worker that dies mid-row leaves its lease to run
 * out; the row is then tried again — the Slack steps pick up what the last attempt stored.
 */

export interface ChatDeliverDeps {
  orm: MikroORM
  boss: PgBoss
  logger: Logger
  appUrl: string
  /** Opens the sealed bot token and Teams URL (secretsKeyOf(env).key). */
  secretsKey: Buffer
  /** A Slack client for a bot token (`slackClient(token, env)`). */
  slackClient: (token: string) => SlackApi
  /** Seconds before each retry; after the last the delivery is dead (WEBHOOK_RETRY_SCHEDULE). */
  retrySchedule: readonly number[]
  teams: TeamsPostSettings
  now?: () => Date
  random?: () => number
}

export type ChatOutcome =
  | 'delivered'
  | 'skipped'
  | 'waiting'
  | 'rate-limited'
  | 'retry-scheduled'
  | 'dead'
  | 'failed'
  | 'not-due'

/** Rows leased by one claim. */
const BATCH = 10
/** How long a claim holds its rows; renewed after every row. */
const LEASE_MS = 3 * 60 * 1000
/** Claims per job; more work left after them is handed to a new job. */
const ROUNDS = 5
/** 429s in a row that are not counted as attempts; after them each one counts. */
export const RATE_LIMIT_CAP = 10
/** Longest wait a Retry-After can ask for. */
const MAX_RETRY_AFTER_SECONDS = 60 * 60
/** Longest pause of a delivery waiting for its channel. */
const MAX_WAIT_SECONDS = 60 * 60
/** How long a delivery waits for its channel before it is dead. */
const WAIT_LIMIT_SECONDS = 2 * 24 * 60 * 60
const RATE_LIMITED = /^Rate limited \((\d+) in a row\)/

interface Row {
  id: string
  kind: string
  event_seq: number
  attempts: number
  last_error: string | null
  next_ms: number | null
  created_ms: number
}

const ORDER_SQL = `case kind ${Object.entries(KIND_ORDER)
  .map(([kind, rank]) => `when '${kind}' then ${rank}`)
  .join(' ')} else 9 end`

const CLAIM_SQL = `
  select id, kind, event_seq, attempts, last_error,
         (extract(epoch from next_attempt_at) * 1000)::float8 as next_ms,
         (extract(epoch from created_at) * 1000)::float8 as created_ms
    from chat_delivery
   where organization_id = $1 and incident_id = $2 and provider = $3 and status = 'pending'
   order by event_seq, ${ORDER_SQL}, id
     for update`

const LEASE_SQL = `
  update chat_delivery set next_attempt_at = $1
   where id = any($2::uuid[]) and organization_id = $3 and status = 'pending'`

const RECORD_SQL = `
  update chat_delivery
     set status = $1, attempts = $2, next_attempt_at = $3, last_error = $4,
         delivered_at = coalesce($5, delivered_at)
   where id = $6 and organization_id = $7`

interface SlackConfig extends SlackInstallationSettings {
  botToken: string
}

type Claim =
  | { kind: 'empty' | 'not-due' }
  | { kind: 'claimed'; rows: Row[]; slack: SlackConfig | null; teamsUrl: string | null }

interface Written {
  outcome: ChatOutcome
  status: 'pending' | 'delivered' | 'failed' | 'dead'
  attempts: number
  nextAttemptAt: Date | null
  lastError: string | null
}

export async function deliverChat(
  deps: ChatDeliverDeps,
  payload: JobPayload<'chat-deliver'>,
): Promise<ChatOutcome[]> {
  const outcomes: ChatOutcome[] = []
  for (let round = 0; round < ROUNDS; round += 1) {
    const claim = await claimRows(deps, payload)
    if (claim.kind !== 'claimed') {
      if (claim.kind === 'not-due') outcomes.push('not-due')
      return outcomes
    }
    const stopped = await deliverRows(deps, payload, claim, outcomes)
    if (stopped) return outcomes
  }
  // More was due than a job takes on: hand the rest to a new job.
  await sendJobs(deps.boss, [{ queue: 'chat-deliver', payload }])
  return outcomes
}

async function claimRows(
  deps: ChatDeliverDeps,
  payload: JobPayload<'chat-deliver'>,
): Promise<Claim> {
  const now = (deps.now ?? clockNow)()
  const { organizationId, incidentId, provider } = payload
  return inScope(deps.orm, { organizationId }, async (em) => {
    const db = await transactionExecutor(em)
    const { rows } = (await db.executeSql(CLAIM_SQL, [organizationId, incidentId, provider])) as {
      rows: Row[]
    }
    const head = rows[0]
    if (!head) return { kind: 'empty' as const }
    if (head.next_ms !== null && head.next_ms > now.getTime()) {
      await sendJobs(deps.boss, [followUp(payload, new Date(head.next_ms))], { db })
      return { kind: 'not-due' as const }
    }
    const due: Row[] = []
    for (const row of rows) {
      if (due.length >= BATCH || (row.next_ms !== null && row.next_ms > now.getTime())) break
      due.push(row)
    }
    await db.executeSql(LEASE_SQL, [
      new Date(now.getTime() + LEASE_MS),
      due.map((r) => r.id),
      organizationId,
    ])
    let slack: SlackConfig | null = null
    let teamsUrl: string | null = null
    if (provider === 'slack') {
      const [found] = await em.execute<
        Array<{
          bot_token_ciphertext: string
          channel_mode: 'per_incident' | 'shared'
          shared_channel_id: string | null
          archive_on_close: boolean
        }>
      >(
        `select bot_token_ciphertext, channel_mode, shared_channel_id, archive_on_close
           from slack_installation where organization_id = ?`,
        [organizationId],
      )
      if (found)
        slack = {
          botToken: found.bot_token_ciphertext,
          channelMode: found.channel_mode,
          sharedChannelId: found.shared_channel_id,
          archiveOnClose: found.archive_on_close,
        }
    } else {
      const [found] = await em.execute<Array<{ url_ciphertext: string }>>(
        `select url_ciphertext from teams_webhook where organization_id = ?`,
        [organizationId],
      )
      teamsUrl = found?.url_ciphertext ?? null
    }
    return { kind: 'claimed' as const, rows: due, slack, teamsUrl }
  })
}

const followUp = (
  payload: JobPayload<'chat-deliver'>,
  startAfter: Date,
): JobToSend<'chat-deliver'> => ({
  queue: 'chat-deliver',
  payload,
  startAfter,
  singletonKey: `${payload.incidentId}:${payload.provider}:${startAfter.getTime()}`,
})

/**
 * Attempts the claimed rows in order and writes each outcome. Returns true when the incident's
 * queue stopped (a row must wait), false when every row was settled and more may be due.
 */
async function deliverRows(
  deps: ChatDeliverDeps,
  payload: JobPayload<'chat-deliver'>,
  claim: Extract<Claim, { kind: 'claimed' }>,
  outcomes: ChatOutcome[],
): Promise<boolean> {
  const { organizationId, incidentId, provider } = payload
  const clock = deps.now ?? clockNow
  const random = deps.random ?? Math.random
  let api: SlackApi | null = null
  for (let index = 0; index < claim.rows.length; index += 1) {
    const row = claim.rows[index]!
    const now = clock()
    let written: Written
    try {
      const outcome =
        provider === 'slack'
          ? await attemptSlack(deps, payload, claim.slack, row, now, () => {
              api ??= deps.slackClient(openSecret(claim.slack!.botToken, deps.secretsKey))
              return api
            })
          : await attemptTeams(deps, payload, claim.teamsUrl, row)
      written =
        typeof outcome === 'object'
          ? 'waiting' in outcome
            ? waiting(row, outcome.waiting, now)
            : { ...failedFor(outcome.failed), attempts: row.attempts }
          : {
              outcome,
              status: 'delivered',
              attempts: row.attempts + 1,
              nextAttemptAt: null,
              lastError: null,
            }
    } catch (failure) {
      written = afterFailure(deps, row, failure, now, random)
    }
    outcomes.push(written.outcome)
    const rest = claim.rows.slice(index + 1).map((r) => r.id)
    const stops = written.status === 'pending'
    await inScope(deps.orm, { organizationId }, async (em) => {
      const db = await transactionExecutor(em)
      await db.executeSql(RECORD_SQL, [
        written.status,
        written.attempts,
        written.nextAttemptAt,
        written.lastError?.slice(0, 2000) ?? null,
        written.status === 'delivered' ? now : null,
        row.id,
        organizationId,
      ])
      // The rows behind: released when this one must wait (it blocks them), else kept leased.
      if (rest.length > 0)
        await db.executeSql(LEASE_SQL, [
          stops ? now : new Date(now.getTime() + LEASE_MS),
          rest,
          organizationId,
        ])
      if (stops && written.nextAttemptAt)
        await sendJobs(deps.boss, [followUp(payload, written.nextAttemptAt)], { db })
    })
    const log = { incidentId, provider, deliveryId: row.id, kind: row.kind, seq: row.event_seq }
    if (written.outcome === 'dead')
      deps.logger.warn({ ...log, error: written.lastError }, 'chat delivery dead')
    else if (stops)
      deps.logger.info(
        {
          ...log,
          outcome: written.outcome,
          error: written.lastError,
          retryAt: written.nextAttemptAt,
        },
        'chat delivery waits',
      )
    else deps.logger.debug({ ...log, outcome: written.outcome }, 'chat delivery done')
    if (stops) return true
  }
  return false
}

type AttemptOutcome = 'delivered' | 'skipped' | { waiting: string } | { failed: string }

async function attemptSlack(
  deps: ChatDeliverDeps,
  payload: JobPayload<'chat-deliver'>,
  slack: SlackConfig | null,
  row: Row,
  now: Date,
  api: () => SlackApi,
): Promise<AttemptOutcome> {
  if (!slack) return { failed: 'Not sent: Slack is no longer connected.' }
  return deliverSlack(
    {
      organizationId: payload.organizationId,
      incidentId: payload.incidentId,
      get api() {
        return api()
      },
      installation: slack,
      appUrl: deps.appUrl,
      now,
      inOrganization: (work) => inScope(deps.orm, { organizationId: payload.organizationId }, work),
    },
    { kind: row.kind, eventSeq: row.event_seq },
  )
}

async function attemptTeams(
  deps: ChatDeliverDeps,
  payload: JobPayload<'chat-deliver'>,
  sealedUrl: string | null,
  row: Row,
): Promise<AttemptOutcome> {
  if (!sealedUrl) return { failed: 'Not sent: no Microsoft Teams webhook is set any more.' }
  const card = await inScope(deps.orm, { organizationId: payload.organizationId }, (em) =>
    teamsCardFor(em, payload.organizationId, payload.incidentId, row.event_seq, deps.appUrl),
  )
  if (!card) return 'skipped'
  const answer = await postCard(openSecret(sealedUrl, deps.secretsKey), card, deps.teams)
  if (isSuccess(answer)) return 'delivered'
  const retryAfter =
    answer.statusCode === 429 || answer.statusCode === 503
      ? parseRetryAfter(answer.retryAfter, (deps.now ?? clockNow)())
      : null
  throw new TeamsAnswerError(describeTeamsAnswer(answer), retryAfter)
}

class TeamsAnswerError extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number | null,
  ) {
    super(message)
    this.name = 'TeamsAnswerError'
  }
}

function failedFor(reason: string): Omit<Written, 'attempts'> {
  return { outcome: 'failed', status: 'failed', nextAttemptAt: null, lastError: reason }
}

/**
 * A delivery waiting for its channel: back off with its age (30 s … 1 h), no attempt counted;
 * dead once it has waited WAIT_LIMIT_SECONDS (the channel's own delivery gave up long ago and
 * nobody retried it).
 */
function waiting(row: Row, reason: string, now: Date): Written {
  const ageSeconds = Math.max(0, (now.getTime() - row.created_ms) / 1000)
  if (ageSeconds > WAIT_LIMIT_SECONDS)
    return {
      outcome: 'dead',
      status: 'dead',
      attempts: row.attempts,
      nextAttemptAt: null,
      lastError: `Gave up after waiting ${Math.round(WAIT_LIMIT_SECONDS / 86_400)} days. ${reason}`,
    }
  const delay = Math.min(MAX_WAIT_SECONDS, Math.max(30, Math.round(ageSeconds / 4)))
  return {
    outcome: 'waiting',
    status: 'pending',
    attempts: row.attempts,
    nextAttemptAt: new Date(now.getTime() + delay * 1000),
    lastError: reason,
  }
}

function afterFailure(
  deps: ChatDeliverDeps,
  row: Row,
  failure: unknown,
  now: Date,
  random: () => number,
): Written {
  const message = failure instanceof Error ? failure.message : String(failure)
  const retryAfter =
    failure instanceof SlackCallError || failure instanceof TeamsAnswerError
      ? failure.retryAfterSeconds
      : null
  if (retryAfter !== null) {
    const inARow = Number(RATE_LIMITED.exec(row.last_error ?? '')?.[1] ?? 0) + 1
    if (inARow <= RATE_LIMIT_CAP) {
      const seconds = Math.min(Math.max(retryAfter, 1), MAX_RETRY_AFTER_SECONDS)
      return {
        outcome: 'rate-limited',
        status: 'pending',
        attempts: row.attempts,
        nextAttemptAt: new Date(now.getTime() + seconds * 1000),
        lastError: `Rate limited (${inARow} in a row): ${message}`,
      }
    }
  }
  const attempts = row.attempts + 1
  const delay = nextDelay(attempts, deps.retrySchedule, null, random, now)
  if (delay === null)
    return {
      outcome: 'dead',
      status: 'dead',
      attempts,
      nextAttemptAt: null,
      lastError: `Gave up after ${attempts} attempts. Last: ${message}`,
    }
  return {
    outcome: 'retry-scheduled',
    status: 'pending',
    attempts,
    nextAttemptAt: new Date(now.getTime() + delay * 1000),
    lastError: message,
  }
}
