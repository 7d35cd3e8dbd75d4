import { checkUrlShape } from '~/domain/notify/ssrf.server'
import {
  sharedWebhookTransport,
  type Answer,
  type WebhookTransport,
} from '~/domain/notify/webhook-transport.server'

/**
 * One POST of a card to a Teams incoming webhook, under the webhooks' SSRF rules: the URL's shape
 * is checked, and every connection goes through the guarded transport, which refuses
 * non-public addresses (but for WEBHOOK_ALLOWED_HOSTS) when it connects, so a DNS change after the
 * URL was saved cannot point it inside.
 */

export const TEAMS_USER_AGENT = 'IncidentFlow-Teams'

export interface TeamsPostSettings {
  allowedHosts: string | undefined
  timeoutMs: number
  transport?: WebhookTransport
}

export async function postTeamsCard(
  url: string,
  card: object,
  settings: TeamsPostSettings,
): Promise<Answer> {
  const target = checkUrlShape(url, settings.allowedHosts)
  return (settings.transport ?? sharedWebhookTransport(settings.allowedHosts)).post(
    target,
    JSON.stringify(card),
    { 'content-type': 'application/json', 'user-agent': TEAMS_USER_AGENT },
    settings.timeoutMs,
  )
}

/** Words for an answer that is not a success. */
export function describeTeamsAnswer(answer: Answer) {
  const text = answer.body.replace(/\s+/g, ' ').trim()
  return `Teams answered HTTP ${answer.statusCode}${text ? `: ${text}` : ''}`
}

export const isSuccess = (answer: Answer) => answer.statusCode >= 200 && answer.statusCode < 300
