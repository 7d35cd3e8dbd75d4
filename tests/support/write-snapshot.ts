import type { TestDatabase } from './database'

/**
 * Bookkeeping a refused request may legitimately write: sign-in attempts and inbound-alert rate
 * windows are counted before the refusal, and sessions are touched once a minute.
 */
const CHURN_TABLES = new Set(['login_attempt', 'integration_rate', 'user_session'])
/** Columns a request touches without changing anything a person made. */
const CHURN_COLUMNS = ['last_seen_at', 'last_used_at']

/**
 * A fingerprint of everything stored in the database's own tables (row count and a hash of the
 * rows, per table), read as the owner: equal before and after a request means it wrote nothing.
 */
export async function writeSnapshot(db: TestDatabase): Promise<Record<string, string>> {
  const tables = await db.query<{ name: string }>(
    `select table_name as name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  )
  const minus = CHURN_COLUMNS.map((c) => ` - '${c}'`).join('')
  const parts = tables
    .map((t) => t.name)
    .filter((name) => !CHURN_TABLES.has(name) && /^[a-z_0-9]+$/.test(name))
    .map(
      (name) =>
        `select '${name}' as t, count(*) || ':' || md5(coalesce(string_agg(j, ',' order by j), '')) as h
           from (select (to_jsonb(x)${minus})::text as j from "${name}" x) s`,
    )
  const rows = await db.query<{ t: string; h: string }>(parts.join(' union all '))
  return Object.fromEntries(rows.map((r) => [r.t, r.h]))
}

/** The tables whose fingerprint differs between two snapshots. */
export function changedTables(before: Record<string, string>, after: Record<string, string>) {
  return Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t])
}
