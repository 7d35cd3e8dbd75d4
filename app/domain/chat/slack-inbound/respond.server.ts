import type { Logger } from '~/utils/logger.server'

/** How long a post to a response_url may take. */
const RESPONSE_TIMEOUT_MS = 5_000

/**
 * Whether Slack gave this `response_url`: https on hooks.slack.com, or on the origin of
 * SLACK_API_URL (a test double). Anything else is never posted to, so a forged payload cannot
 * make the server send requests elsewhere.
 */
export function isSlackResponseUrl(value: unknown, slackApiUrl: string): value is string {
  if (typeof value !== 'string' || value.length > 2000) return false
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  if (url.username || url.password) return false
  if (url.protocol === 'https:' && url.hostname === 'hooks.slack.com') return true
  return url.origin === new URL(slackApiUrl).origin
}

export interface SlackReply {
  text: string
  response_type?: 'ephemeral' | 'in_channel'
  replace_original?: boolean
}

/** Posts a reply to a response_url; failures are logged, never thrown (the change is made). */
export async function postToResponseUrl(
  deps: { env: { SLACK_API_URL: string }; logger: Logger },
  responseUrl: string,
  reply: SlackReply,
) {
  if (!isSlackResponseUrl(responseUrl, deps.env.SLACK_API_URL)) {
    deps.logger.warn('Slack response_url refused: not a Slack URL')
    return false
  }
  try {
    const response = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, ...reply }),
      signal: AbortSignal.timeout(RESPONSE_TIMEOUT_MS),
      redirect: 'error',
    })
    return response.ok
  } catch (error) {
    deps.logger.warn(
      { errName: error instanceof Error ? error.name : typeof error },
      'Slack response_url post failed',
    )
    return false
  }
}
