import { formatInZone } from './time'

/**
 * Times as pages show them, by organization, zone and instant: the incident list shows two or
 * three per row and the incident page a hundred, the same ones on every visit, and formatting one
 * costs a few microseconds of ICU work. Each organization has its own keys, so how quickly a page
 * is made says nothing across tenants. Emptied when full.
 */
const shownTimes = new Map<string, string>()
const SHOWN_TIMES_MAX = 100_000

export function shownTime(organizationId: string, timeZone: string, iso: string): string {
  const key = `${organizationId} ${timeZone} ${iso}`
  let text = shownTimes.get(key)
  if (text === undefined) {
    text = formatInZone(iso, timeZone)
    if (shownTimes.size >= SHOWN_TIMES_MAX) shownTimes.clear()
    shownTimes.set(key, text)
  }
  return text
}
