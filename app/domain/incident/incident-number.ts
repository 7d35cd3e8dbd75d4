/**
 * The incident number in a page's path (`/incidents/:number/…`). Anything but a whole number in
 * the range incidents are numbered in is an incident that does not exist: 404.
 */
export function requireIncidentNumber(value: string | undefined): number {
  const number = Number(value)
  if (!Number.isInteger(number) || number < 1 || number > 2_000_000_000)
    throw new Response('Incident not found', { status: 404 })
  return number
}
