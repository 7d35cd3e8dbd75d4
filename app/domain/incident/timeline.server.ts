import type { EntityManager } from '@mikro-orm/postgresql'
import { transactionExecutor } from '../../../db/transaction'
import { renderMarkdown } from '~/utils/markdown.server'
import type { StoredEvent } from './events'
import { markdownOf, runKeyOf, supersedesOf, type EntrySource } from './timeline-runs'

/**
 * The incident page's read model of the timeline, `incident_timeline_entry`: one row per event,
 * written with the event (or by `fillTimelineEntries` for events written any other way). It holds
 * what a page would otherwise have to work out from every event before the ones it shows — the run
 * an entry belongs to, the comment a correction supersedes — and the entry's Markdown rendered
 * and sanitised once. The events themselves stay the record: this table can be dropped and
 * filled again from them at any time.
 */

/** Entries (runs) on one page of the timeline. */
export const TIMELINE_PAGE_SIZE = 100
/**
 * The newest entries of a run listed inside it (enough for a burst of SLA signals: three targets,
 * each warned and breached); the rest are counted.
 */
export const RUN_PREVIEW = 6

export type TimelineWindow =
  | { kind: 'newest' }
  /** The page of runs that start before this seq. */
  | { kind: 'before'; seq: number }
  /** The page of runs that start after this seq. */
  | { kind: 'after'; seq: number }
  /** Every entry, one by one, without runs. */
  | { kind: 'all' }

const MAX_SEQ = 2_147_483_647

/** The window a page URL asks for: `?before=<seq>`, `?after=<seq>`, `?timeline=all`. */
export function timelineWindowFrom(url: URL): TimelineWindow {
  if (url.searchParams.get('timeline') === 'all') return { kind: 'all' }
  const cursor = (name: string) => {
    const value = url.searchParams.get(name)
    if (value === null || !/^\d{1,10}$/.test(value)) return null
    const seq = Number(value)
    return seq <= MAX_SEQ ? seq : null
  }
  const before = cursor('before')
  if (before !== null) return { kind: 'before', seq: before }
  const after = cursor('after')
  if (after !== null) return { kind: 'after', seq: after }
  return { kind: 'newest' }
}

/** The query that asks for `window` again (empty for the newest entries). */
export function timelineWindowQuery(window: TimelineWindow): string {
  if (window.kind === 'all') return 'timeline=all'
  if (window.kind === 'newest') return ''
  return `${window.kind}=${window.seq}`
}

interface EntryInput extends EntrySource {
  organizationId: string
  incidentId: string
  seq: number
}

function derivedOf(entry: EntryInput) {
  const markdown = markdownOf(entry)
  return {
    runKey: runKeyOf(entry),
    html: markdown ? renderMarkdown(markdown.source) : null,
    htmlOf: markdown?.of ?? null,
    supersedesSeq: supersedesOf(entry),
  }
}

/**
 * Writes the read-model rows of events being appended, in the appending transaction and in one
 * statement. The caller holds each incident's row lock, so the entry before an incident's first
 * one here is already written and cannot change: an entry with the same run key as that one
 * continues its run. Each incident's entries come in chain order; one that continues a run begun
 * earlier in this batch takes the start of the batch's first entry of that run (`anchor`), since
 * the statement cannot see the rows it inserts.
 */
export async function recordTimelineEntries(em: EntityManager, entries: readonly EntryInput[]) {
  if (entries.length === 0) return
  const rows: Array<Record<string, unknown>> = []
  /** Per incident, the batch's latest entry so far. */
  const latest = new Map<string, { seq: number; runKey: string | null; anchor: number }>()
  for (const entry of entries) {
    const derived = derivedOf(entry)
    const previous = latest.get(entry.incidentId)
    const anchor =
      derived.runKey !== null &&
      previous !== undefined &&
      previous.seq === entry.seq - 1 &&
      previous.runKey === derived.runKey
        ? previous.anchor
        : entry.seq
    rows.push({
      organization_id: entry.organizationId,
      incident_id: entry.incidentId,
      seq: entry.seq,
      run_key: derived.runKey,
      anchor,
      html: derived.html,
      html_of: derived.htmlOf,
      supersedes_seq: derived.supersedesSeq,
    })
    latest.set(entry.incidentId, { seq: entry.seq, runKey: derived.runKey, anchor })
  }
  const { executeSql } = await transactionExecutor(em)
  await executeSql(
    `insert into incident_timeline_entry
       (organization_id, incident_id, seq, run_key, run_start, html, html_of, supersedes_seq)
     select x.organization_id, x.incident_id, x.seq, x.run_key,
            coalesce((select p.run_start from incident_timeline_entry p
                       where p.incident_id = x.incident_id and p.seq = x.anchor - 1
                         and p.run_key = x.run_key), x.anchor),
            x.html, x.html_of, x.supersedes_seq
       from json_to_recordset($1::json) as x(organization_id uuid, incident_id uuid, seq integer,
            run_key text, anchor integer, html text, html_of text, supersedes_seq integer)`,
    [JSON.stringify(rows)],
  )
}

/** Runs SQL with `?` placeholders: a migration's `execute`, or an EntityManager's. */
export type Execute = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>

/**
 * Writes the missing read-model rows of every organization's events, oldest first per incident:
 * for the migration that creates the table, and for anything that writes events without
 * `appendEvent` (bulk data generators). Runs as the table owner; row-level security is forced
 * on the owner too, so each organization is filled under its own tenant setting. Returns how
 * many rows it wrote.
 */
export async function fillTimelineEntries(execute: Execute, batchSize = 1000): Promise<number> {
  const tenants = await execute('select id from tenant order by id')
  let written = 0
  for (const tenant of tenants) {
    const organizationId = String(tenant.id)
    await execute(`select set_config('app.organization_id', ?, true)`, [organizationId])
    let cursor = { incidentId: '00000000-0000-0000-0000-000000000000', seq: 0 }
    let previous: {
      incidentId: string
      seq: number
      runKey: string | null
      runStart: number
    } | null = null
    for (;;) {
      const rows = await execute(
        `select e.incident_id, e.seq, e.type, e.actor_id, e.payload,
                t.seq is not null as present, t.run_key, t.run_start
           from incident_event e
           left join incident_timeline_entry t on t.incident_id = e.incident_id and t.seq = e.seq
          where e.organization_id = ? and (e.incident_id, e.seq) > (?::uuid, ?)
          order by e.incident_id, e.seq
          limit ?`,
        [organizationId, cursor.incidentId, cursor.seq, batchSize],
      )
      if (rows.length === 0) break
      const missing: Array<Record<string, unknown>> = []
      for (const row of rows) {
        const incidentId = String(row.incident_id)
        const seq = Number(row.seq)
        if (row.present) {
          previous = {
            incidentId,
            seq,
            runKey: (row.run_key as string | null) ?? null,
            runStart: Number(row.run_start),
          }
          continue
        }
        const derived = derivedOf({
          organizationId,
          incidentId,
          seq,
          type: String(row.type),
          actorId: (row.actor_id as string | null) ?? null,
          payload: row.payload,
        })
        const before = previous
        const runStart: number =
          derived.runKey !== null &&
          before !== null &&
          before.incidentId === incidentId &&
          before.seq === seq - 1 &&
          before.runKey === derived.runKey
            ? before.runStart
            : seq
        missing.push({
          incident_id: incidentId,
          seq,
          run_key: derived.runKey,
          run_start: runStart,
          html: derived.html,
          html_of: derived.htmlOf,
          supersedes_seq: derived.supersedesSeq,
        })
        previous = { incidentId, seq, runKey: derived.runKey, runStart }
      }
      if (missing.length > 0) {
        await execute(
          `insert into incident_timeline_entry
             (organization_id, incident_id, seq, run_key, run_start, html, html_of, supersedes_seq)
           select ?::uuid, x.incident_id, x.seq, x.run_key, x.run_start, x.html, x.html_of,
                  x.supersedes_seq
             from jsonb_to_recordset(?::jsonb) as x(incident_id uuid, seq integer, run_key text,
                  run_start integer, html text, html_of text, supersedes_seq integer)`,
          [organizationId, JSON.stringify(missing)],
        )
        written += missing.length
      }
      const last = rows[rows.length - 1]!
      cursor = { incidentId: String(last.incident_id), seq: Number(last.seq) }
    }
  }
  await execute(`select set_config('app.organization_id', '', true)`)
  return written
}

/** One entry of the page: an event, or the newest event of a run with the run's size. */
export interface TimelineItem {
  event: StoredEvent
  /** The comment's sanitised HTML, as rendered when it was written. */
  html: string | null
  /** The newest correction of this comment. */
  supersededBy: number | null
  run: {
    size: number
    firstSeq: number
    firstAt: string
    /** Up to RUN_PREVIEW - 1 entries of the run before the newest, oldest first. */
    earlier: StoredEvent[]
  } | null
}

export interface TimelinePage {
  /** Oldest first. */
  items: TimelineItem[]
  /** `?before=` for the page of older entries; null when these reach the first entry. */
  olderBefore: number | null
  /** `?after=` for the page of newer entries; null when these reach the newest entry. */
  newerAfter: number | null
  /** Events in the incident's chain. */
  total: number
  all: boolean
}

const iso = (value: unknown) =>
  (value instanceof Date ? value : new Date(String(value))).toISOString()

/**
 * The statement that reads one page of an incident's timeline: the runs in the window, and for each
 * the newest few of its events with their stored HTML and newest correction, oldest first. Nothing
 * outside the window is read except the counts of the runs shown. `incidentId` is the SQL that
 * names the incident's id — a `?` bound to `incidentIdParams`, or a subquery of a larger statement
 * that reads the incident in the same round trip.
 */
export function timelineQuery(
  window: TimelineWindow,
  organizationId: string,
  incidentId: string,
  incidentIdParams: readonly unknown[],
): { sql: string; params: unknown[] } {
  const columns = `e.id, e.seq, e.type, e.actor_id, e.occurred_at, e.payload, e.prev_hash, e.hash,
       case when t.html_of = 'comment' then t.html end as html,
       case when t.html_of = 'comment' then
         (select max(c.seq) from incident_timeline_entry c
           where c.incident_id = e.incident_id and c.supersedes_seq = e.seq) end as superseded_by`
  // Under row-level security only leakproof comparisons become index conditions, so every bound
  // that needs arithmetic is computed in the CTE and joined on with plain comparisons.
  if (window.kind === 'all') {
    return {
      sql: `select e.seq as run_start, 1 as run_size, null as run_first_at, ${columns}
         from incident_event e
         join incident_timeline_entry t on t.incident_id = e.incident_id and t.seq = e.seq
        where e.organization_id = ? and e.incident_id = ${incidentId}
        order by e.seq`,
      params: [organizationId, ...incidentIdParams],
    }
  }
  const [condition, order, cursor] =
    window.kind === 'after'
      ? ['run_start > ?', 'asc', window.seq]
      : ['run_start < ?', 'desc', window.kind === 'before' ? window.seq : MAX_SEQ]
  return {
    sql: `with runs as materialized (
         select run_start, max(seq) as last_seq, greatest(run_start, max(seq) - ?) as preview_from,
                count(*)::int as size
           from incident_timeline_entry
          where organization_id = ? and incident_id = ${incidentId} and ${condition}
          group by run_start
          order by run_start ${order}
          limit ?
       )
       select r.run_start, r.size as run_size,
              case when r.size > 1 then
                (select f.occurred_at from incident_event f
                  where f.incident_id = ${incidentId} and f.seq = r.run_start) end as run_first_at,
              ${columns}
         from runs r
         join incident_event e
           on e.organization_id = ? and e.incident_id = ${incidentId}
          and e.seq >= r.preview_from and e.seq <= r.last_seq
         join incident_timeline_entry t on t.incident_id = e.incident_id and t.seq = e.seq
        order by e.seq`,
    params: [
      RUN_PREVIEW - 1,
      organizationId,
      ...incidentIdParams,
      cursor,
      TIMELINE_PAGE_SIZE,
      ...incidentIdParams,
      organizationId,
      ...incidentIdParams,
    ],
  }
}

/**
 * The page of the timeline that `timelineQuery`'s rows make, oldest first (from the driver, or
 * from the same rows as JSON: numbers, timestamps and payloads are read either way).
 */
export function timelinePageOf(
  rows: ReadonlyArray<Record<string, unknown>>,
  incident: { id: string; organizationId: string; lastEventSeq: number },
  window: TimelineWindow,
): TimelinePage {
  const { id: incidentId, organizationId } = incident
  const items: TimelineItem[] = []
  let earlier: StoredEvent[] = []
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    const event = {
      id: String(row.id),
      organizationId,
      incidentId,
      seq: Number(row.seq),
      type: String(row.type),
      actorId: (row.actor_id as string | null) ?? null,
      occurredAt: iso(row.occurred_at),
      payload: row.payload,
      prevHash: String(row.prev_hash),
      hash: String(row.hash),
    } as StoredEvent
    const runStart = Number(row.run_start)
    // Rows come oldest first; the last row of a run is its newest event.
    if (Number(rows[i + 1]?.run_start ?? -1) === runStart) {
      earlier.push(event)
      continue
    }
    const size = Number(row.run_size)
    items.push({
      event,
      html: (row.html as string | null) ?? null,
      supersededBy:
        row.superseded_by === null || row.superseded_by === undefined
          ? null
          : Number(row.superseded_by),
      run: size > 1 ? { size, firstSeq: runStart, firstAt: iso(row.run_first_at), earlier } : null,
    })
    earlier = []
  }

  const oldest = items[0]
  const newest = items[items.length - 1]
  const firstSeq = oldest ? (oldest.run?.firstSeq ?? oldest.event.seq) : null
  const lastSeq = newest?.event.seq ?? null
  return {
    items,
    olderBefore: firstSeq !== null && firstSeq > 1 ? firstSeq : null,
    newerAfter: lastSeq !== null && lastSeq < incident.lastEventSeq ? lastSeq : null,
    total: incident.lastEventSeq,
    all: window.kind === 'all',
  }
}
