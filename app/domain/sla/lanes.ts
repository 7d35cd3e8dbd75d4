/** One transaction's share of a sweep: due incidents of one organization. */
export interface SweepChunk {
  organizationId: string
  ids: string[]
}

/**
 * Halves the largest chunk while there are fewer chunks than lanes and both halves would hold at
 * least `minChunk` incidents. The halves are disjoint sets of one organization's incidents; each
 * transaction locks its own in id order, so they cannot deadlock with each other either.
 */
export function splitForLanes(chunks: SweepChunk[], lanes: number, minChunk: number) {
  while (chunks.length < lanes) {
    let largest = 0
    for (let i = 1; i < chunks.length; i++)
      if (chunks[i]!.ids.length > chunks[largest]!.ids.length) largest = i
    const { organizationId, ids } = chunks[largest] ?? { organizationId: '', ids: [] }
    if (ids.length < 2 * Math.max(1, minChunk)) return
    const half = Math.ceil(ids.length / 2)
    chunks.splice(
      largest,
      1,
      { organizationId, ids: ids.slice(0, half) },
      { organizationId, ids: ids.slice(half) },
    )
  }
}
