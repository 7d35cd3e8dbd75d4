import { LogLevel, WebClient } from '@slack/web-api'

/** What every Slack call needs from the environment. */
export interface SlackApiEnv {
  SLACK_API_URL: string
}

/** How long one Slack Web API call may take before it fails. */
const SLACK_TIMEOUT_MS = 10_000

/**
 * A Slack Web API client for one token, talking to SLACK_API_URL (Slack's own by default, a test
 * double in tests). Retries are the caller's: the SDK neither retries nor sleeps through a rate
 * limit inside a web request — a 429 is thrown at once (with its Retry-After) and the worker's
 * delivery loop decides when to try again. Absolute URLs as method names are refused, so no call
 * leaves SLACK_API_URL.
 */
export function slackClient(token: string | undefined, env: SlackApiEnv): WebClient {
  return new WebClient(token, {
    slackApiUrl: env.SLACK_API_URL,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    allowAbsoluteUrls: false,
    timeout: SLACK_TIMEOUT_MS,
    logLevel: LogLevel.ERROR,
  })
}

/** Slack's error code of a failed call (`invalid_auth`, `channel_not_found`, …), or null. */
export function slackErrorCode(error: unknown): string | null {
  const data = (error as { data?: { error?: unknown } } | null)?.data
  return typeof data?.error === 'string' ? data.error : null
}
