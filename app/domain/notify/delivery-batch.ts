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
