/** A time on the members page: UTC, to the minute; "Never" when there is none. */
export function formatMinuteUtc(iso: string | null) {
  if (!iso) return 'Never'
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}
