/**
 * The one way outbound code calls Slack: any client with `apiCall` (the `WebClient` of
 * app/domain/chat/slack-client.server.ts, SDK retries off and rate-limited calls rejected), with
 * its failures sorted into what the delivery loop does next.
 */

export interface SlackApi {
  apiCall(method: string, options?: Record<string, unknown>): Promise<object>
}

/** A failed Slack call: the method, Slack's error code (`name_taken`, …) and any Retry-After. */
export class SlackCallError extends Error {
  constructor(
    readonly method: string,
    /** Slack's `error` for an answer with `ok: false`; null for HTTP or network failures. */
    readonly slackError: string | null,
    message: string,
    /** Seconds Slack asked us to wait (HTTP 429). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message)
    this.name = 'SlackCallError'
  }
}

interface SdkError {
  code?: string
  data?: { error?: string }
  retryAfter?: number
  statusCode?: number
  message?: string
}

/** Calls `method`; a failure becomes a SlackCallError naming the method and Slack's error code. */
export async function callSlack<T extends Record<string, unknown>>(
  api: SlackApi,
  method: string,
  options: Record<string, unknown> = {},
): Promise<T> {
  try {
    const answer = (await api.apiCall(method, options)) as Record<string, unknown>
    if (answer.ok === false) {
      const error = typeof answer.error === 'string' ? answer.error : 'unknown_error'
      throw new SlackCallError(method, error, `Slack ${method}: ${error}`)
    }
    return answer as T
  } catch (failure) {
    if (failure instanceof SlackCallError) throw failure
    const e = (failure ?? {}) as SdkError
    if (e.code === 'slack_webapi_rate_limited_error')
      throw new SlackCallError(
        method,
        'ratelimited',
        `Slack ${method}: rate limited (Retry-After ${e.retryAfter ?? '?'} s)`,
        typeof e.retryAfter === 'number' ? e.retryAfter : 60,
      )
    if (e.code === 'slack_webapi_platform_error') {
      const error = e.data?.error ?? 'unknown_error'
      throw new SlackCallError(method, error, `Slack ${method}: ${error}`)
    }
    const detail = e.statusCode ? `HTTP ${e.statusCode}` : (e.message ?? String(failure))
    throw new SlackCallError(method, null, `Slack ${method}: ${detail}`)
  }
}

/** Whether the failure is Slack's `error` code `code` (e.g. `name_taken`). */
export const isSlackError = (failure: unknown, ...codes: string[]) =>
  failure instanceof SlackCallError &&
  failure.slackError !== null &&
  codes.includes(failure.slackError)
