/**
 * A file size in words: "900 B", "410 KB", "2.4 MB", or "—" when there is none. Reports round
 * kilobytes to whole numbers; evidence lists and timeline entries, where people compare files of
 * similar size, show one decimal ("1.5 KB") with `{ kilobyteDecimals: 1 }`.
 */
export function formatBytes(
  bytes: number | null | undefined,
  { kilobyteDecimals = 0 }: { kilobyteDecimals?: 0 | 1 } = {},
): string {
  if (bytes === null || bytes === undefined) return '—'
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) {
    const kilobytes = bytes / 1024
    return `${kilobyteDecimals ? kilobytes.toFixed(1) : Math.round(kilobytes)} KB`
  }
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`
}

/** Sizes as the incident page, its timeline and the API's event summaries show them. */
export const formatEvidenceBytes = (bytes: number) => formatBytes(bytes, { kilobyteDecimals: 1 })
