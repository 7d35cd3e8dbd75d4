/**
 * Slack channel names for incidents: `inc-<n>-<slug of the title>`, within Slack's rules —
 * lowercase, at most 80 characters, only letters, digits, `-` and `_`.
 */

export const CHANNEL_NAME_MAX = 80

/** The title as a channel-name slug: accents dropped, runs of anything else become one `-`. */
export function titleSlug(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
}

/**
 * The channel name for incident `number`; `attempt` 1 is the plain name, later attempts (after
 * Slack answered `name_taken` for a channel that is not ours) end in `-<attempt>`. The slug is cut
 * so the whole name fits, never the number or the suffix.
 */
export function incidentChannelName(number: number, title: string, attempt = 1): string {
  const prefix = `inc-${number}`
  const suffix = attempt > 1 ? `-${attempt}` : ''
  const room = CHANNEL_NAME_MAX - prefix.length - suffix.length - 1
  const slug =
    room > 0
      ? titleSlug(title)
          .slice(0, room)
          .replace(/[-_]+$/, '')
      : ''
  return `${prefix}${slug ? `-${slug}` : ''}${suffix}`
}
