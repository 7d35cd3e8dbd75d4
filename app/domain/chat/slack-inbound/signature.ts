import { createHmac, timingSafeEqual } from 'node:crypto'

/** Slack signs every request it sends; one older than this (either way) is refused. */
export const SIGNATURE_WINDOW_SECONDS = 5 * 60

/**
 * Slack's v0 request signature: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` under the
 * app's signing secret, sent as `X-Slack-Signature` with `X-Slack-Request-Timestamp`. The raw
 * bytes are what is signed, so this runs before any parsing; the comparison takes the same time
 * whatever the difference.
 */
export function verifySlackSignature(input: {
  signingSecret: string
  timestamp: string | undefined
  signature: string | undefined
  rawBody: Buffer
  now: Date
}): boolean {
  const { timestamp, signature } = input
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false
  const age = Math.abs(Math.floor(input.now.getTime() / 1000) - Number(timestamp))
  if (age > SIGNATURE_WINDOW_SECONDS) return false
  const expected = Buffer.from(slackSignature(input.signingSecret, timestamp, input.rawBody))
  const given = Buffer.from(signature)
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** The `X-Slack-Signature` value for a body (tests sign requests with it too). */
export function slackSignature(signingSecret: string, timestamp: string, rawBody: Buffer | string) {
  const hmac = createHmac('sha256', signingSecret)
  hmac.update(`v0:${timestamp}:`)
  hmac.update(rawBody)
  return `v0=${hmac.digest('hex')}`
}
