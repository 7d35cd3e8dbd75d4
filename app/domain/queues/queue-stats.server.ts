import type { MikroORM } from '@mikro-orm/postgresql'
import { readScope } from '../../../db/tenant'
import { DEAD_LETTER_QUEUE, queueNames, type QueueName } from '~/queue/queues'

/**
 * How the job queues are doing: the numbers behind the admins' "Jobs" section and the queue
 * metrics of /metrics, from one place so both always agree.
 *
 * Counts are of the shared service (every organization's jobs together): they say whether the
 * worker keeps up, and name nothing of anyone. The newest dead letter is the viewing
 * organization's own. Both are read through `SECURITY DEFINER` functions (migration 0016), since
 * the application role cannot read pg-boss's tables.
 */

/**
 * A waiting job older than this (seconds since it became due) means its queue is stuck: no worker
 * runs it, or the workers cannot keep up. The sweeps run every minute (every ten minutes for
 * action items), so a sweep waiting a few minutes is already news; reports and drafts take longer
 * by nature.
 */
export const STUCK_AFTER_SECONDS: Partial<Record<QueueName, number>> = {
  [DEAD_LETTER_QUEUE]: 10 * 60,
  'email-deliver': 5 * 60,
  'webhook-deliver': 5 * 60,
  'sla-sweep': 3 * 60,
  'report-generate': 15 * 60,
  'postmortem-draft': 15 * 60,
  'alert-ingest': 5 * 60,
  'alert-repeats': 5 * 60,
  'action-item-sweep': 15 * 60,
}

/** For a queue not named above. */
const DEFAULT_STUCK_AFTER_SECONDS = 5 * 60

export interface QueueStat {
  queue: QueueName
  /** Created or retrying, and due: waiting for a worker. */
  waiting: number
  /** Created or retrying, due later (a retry's backoff, a delivery's next attempt). */
  scheduled: number
  /** Handed to a worker and not finished. */
  active: number
  /** Jobs that ran out of retries within the hour before `at`. */
  failedLastHour: number
  /** How long the oldest waiting job has been due, in whole seconds; null when none waits. */
  oldestWaitingSeconds: number | null
  stuckAfterSeconds: number
  /** The oldest waiting job is older than `stuckAfterSeconds`. */
  stuck: boolean
  /** Stuck, or jobs failed within the hour. */
  needsAttention: boolean
}

export interface DeadLetter {
  at: Date
  kind: 'email' | 'webhook'
  /** The e-mail's or the webhook delivery's id. */
  itemId: string | null
  /** Why the worker gave up, when it gave up by itself; null after pg-boss's own retries. */
  reason: string | null
  /** The dead-letter job's state: `completed` once the item is marked dead. */
  state: string
}

export interface QueueStats {
  at: Date
  queues: QueueStat[]
  /** The viewing organization's newest dead letter (pg-boss keeps finished jobs 12 hours). */
  newestDeadLetter: DeadLetter | null
}

interface StatRow {
  queue: string
  waiting: number
  scheduled: number
  active: number
  failed_last_hour: number
  oldest_seconds: number | null
}

interface DeadLetterRow {
  at_ms: number
  kind: string
  item_id: string | null
  reason: string | null
  state: string
}

/**
 * Every queue of the contract (those with no jobs as zeros), as of `now`. With `organizationId`,
 * also that organization's newest dead letter.
 */
export async function loadQueueStats(
  orm: MikroORM,
  options: { now: Date; organizationId?: string },
): Promise<QueueStats> {
  const { now, organizationId } = options
  const { rows, deadLetters } = await readScope(
    orm,
    { organizationId: organizationId ?? null },
    async (em) => {
      const rows = await em.execute<StatRow[]>(
        `select queue, waiting::int as waiting, scheduled::int as scheduled, active::int as active,
                failed_last_hour::int as failed_last_hour,
                round(extract(epoch from (?::timestamptz - oldest_waiting_since)))::float8
                  as oldest_seconds
           from job_queue_stats(?::timestamptz)`,
        [now.toISOString(), now.toISOString()],
      )
      const deadLetters = organizationId
        ? await em.execute<DeadLetterRow[]>(
            `select (extract(epoch from created_on) * 1000)::float8 as at_ms, kind, item_id, reason,
                    state
               from job_newest_dead_letter()`,
          )
        : []
      return { rows, deadLetters }
    },
  )
  const byQueue = new Map(rows.map((row) => [row.queue, row]))
  const queues = queueNames.map((queue): QueueStat => {
    const row = byQueue.get(queue)
    const stuckAfterSeconds = STUCK_AFTER_SECONDS[queue] ?? DEFAULT_STUCK_AFTER_SECONDS
    // A job due a moment after `now` by the database's clock is not waiting for minus seconds.
    const oldest = row?.oldest_seconds == null ? null : Math.max(0, row.oldest_seconds)
    const stuck = oldest !== null && oldest > stuckAfterSeconds
    const failedLastHour = row?.failed_last_hour ?? 0
    return {
      queue,
      waiting: row?.waiting ?? 0,
      scheduled: row?.scheduled ?? 0,
      active: row?.active ?? 0,
      failedLastHour,
      oldestWaitingSeconds: oldest,
      stuckAfterSeconds,
      stuck,
      needsAttention: stuck || failedLastHour > 0,
    }
  })
  const [dead] = deadLetters
  return {
    at: now,
    queues,
    newestDeadLetter: dead
      ? {
          at: new Date(dead.at_ms),
          kind: dead.kind === 'email' ? 'email' : 'webhook',
          itemId: dead.item_id,
          reason: dead.reason,
          state: dead.state,
        }
      : null,
  }
}

/** One queue's row as the admin page shows it. */
export interface JobQueueRow {
  queue: string
  waiting: number
  scheduled: number
  active: number
  failedLastHour: number
  /** Formatted ("12 min"); null when nothing waits. */
  oldestWaiting: string | null
  stuckAfter: string
  stuck: boolean
  needsAttention: boolean
}

/** What the admin page's "Jobs" section shows: the stats, formatted, with times as ISO text. */
export interface QueueStatsView {
  at: string
  queues: JobQueueRow[]
  newestDeadLetter: {
    at: string
    kind: 'email' | 'webhook'
    itemId: string | null
    reason: string | null
  } | null
}

export function queueStatsView(stats: QueueStats): QueueStatsView {
  const dead = stats.newestDeadLetter
  return {
    at: stats.at.toISOString(),
    queues: stats.queues.map((q) => ({
      queue: q.queue,
      waiting: q.waiting,
      scheduled: q.scheduled,
      active: q.active,
      failedLastHour: q.failedLastHour,
      oldestWaiting: q.oldestWaitingSeconds === null ? null : formatWait(q.oldestWaitingSeconds),
      stuckAfter: formatWait(q.stuckAfterSeconds),
      stuck: q.stuck,
      needsAttention: q.needsAttention,
    })),
    newestDeadLetter: dead
      ? { at: dead.at.toISOString(), kind: dead.kind, itemId: dead.itemId, reason: dead.reason }
      : null,
  }
}

/** "45 s", "12 min", "3 h 5 min", "2 d 4 h": a queue's wait, for the page. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`
  const days = Math.floor(hours / 24)
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`
}
