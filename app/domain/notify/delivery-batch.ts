import type { SqlExecutor } from '~/queue/send.server'

/**
 * Helpers shared by the batched e-mail and webhook deliveries: a batch of jobs is split by
 * organization (each organization's rows are read and written under its own tenant setting), and
 * its sends run a bounded number at a time.
 */

/** The items per organization, in the order each organization first appears. */
export function groupByOrganization<T>(
  items: readonly T[],
  organizationOf: (item: T) => string,
): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const organizationId = organizationOf(item)
    const group = groups.get(organizationId)
    if (group) group.push(item)
    else groups.set(organizationId, [item])
  }
  return groups
}

/**
 * Runs `work` on every item, at most `limit` at once, and resolves when all have finished.
 * `work` must not throw: a rejection is passed on only after every item has finished.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  let failure: { error: unknown } | null = null
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++]!
      try {
        await work(item)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, lane))
  if (failure) throw (failure as { error: unknown }).error
}

/** Outcomes are kept per organization and row: a job naming the wrong organization finds none. */
export const outcomeKey = (organizationId: string, id: string) => `${organizationId}:${id}`

/**
 * The rows a claim did not return, sorted: still `pending` (another worker holds them) or gone
 * (no such row under this organization). Rows found in any other status were handled already.
 */
export async function unclaimedRows(
  db: SqlExecutor,
  statusSql: string,
  organizationId: string,
  ids: readonly string[],
  claimed: ReadonlyArray<{ id: string }>,
): Promise<{ held: string[]; missing: string[] }> {
  const taken = new Set(claimed.map((row) => row.id))
  const { rows } = (await db.executeSql(statusSql, [
    ids.filter((id) => !taken.has(id)),
    organizationId,
  ])) as { rows: Array<{ id: string; status: string }> }
  const found = new Set(rows.map((row) => row.id))
  return {
    held: rows.filter((row) => row.status === 'pending').map((row) => row.id),
    missing: ids.filter((id) => !taken.has(id) && !found.has(id)),
  }
}

type Outcomes<O extends string> = Map<string, { outcome: O; error?: string }>

/**
 * Gives the rows a claim did not return their outcome: `busy` (with `busyError`) where another
 * worker holds them. Answers the ids of rows that are gone, for the caller to log.
 */
export async function markUnclaimed<O extends string>(
  db: SqlExecutor,
  statusSql: string,
  organizationId: string,
  ids: readonly string[],
  claimed: ReadonlyArray<{ id: string }>,
  outcomes: Outcomes<O | 'busy'>,
  busyError: string,
): Promise<string[]> {
  const { held, missing } = await unclaimedRows(db, statusSql, organizationId, ids, claimed)
  for (const id of held)
    outcomes.set(outcomeKey(organizationId, id), { outcome: 'busy', error: busyError })
  return missing
}

/**
 * Each job's outcome by its organization and row. A job repeated within the batch (the same row
 * twice) has nothing left to do: it is `skipped`, as is a job whose row was never claimed.
 */
export function jobOutcomes<O extends string>(outcomes: Outcomes<O>) {
  const seen = new Set<string>()
  return (organizationId: string, id: string): { outcome: O | 'skipped'; error?: string } => {
    const key = outcomeKey(organizationId, id)
    const known = seen.has(key) ? undefined : outcomes.get(key)
    seen.add(key)
    return { outcome: known?.outcome ?? 'skipped', error: known?.error }
  }
}
