import type { MikroORM } from '@mikro-orm/postgresql'
import { inScope } from '../../../../db/tenant'
import {
  installationForTeam,
  signingSecretOf,
  type TeamInstallation,
} from '~/domain/chat/slack-installation.server'
import { handleCommand, type CommandForm } from './commands.server'
import { handleEvent, handleInteraction, type SlackEvent } from './interactions.server'
import { type SlackInboundDeps } from './context.server'
import { verifySlackSignature } from './signature'

export type { SlackInboundDeps }

/**
 * Requests from Slack (`/hooks/slack/commands|interactivity|events`). Each is verified before
 * anything else happens: the workspace (`team_id`) names the installation, whose signing secret
 * (or, for OAuth installs, SLACK_SIGNING_SECRET) must have signed the raw body within the last
 * five minutes. Anything that cannot be verified is answered 401 and nothing is done.
 */

export type SlackHookKind = 'commands' | 'interactivity' | 'events'

export interface SlackHookRequest {
  rawBody: Buffer
  timestamp: string | undefined
  signature: string | undefined
  contentType?: string | undefined
}

export interface SlackHookAnswer {
  status: number
  body: unknown
}

/** How long a request's receipt is kept (a retried event is recognised within it). */
const RECEIPT_KEEP_MS = 24 * 60 * 60 * 1000

const UNVERIFIED: SlackHookAnswer = { status: 401, body: { ok: false, error: 'invalid_signature' } }
const EMPTY: SlackHookAnswer = { status: 200, body: '' }

export async function handleSlackHook(
  deps: SlackInboundDeps,
  kind: SlackHookKind,
  request: SlackHookRequest,
): Promise<SlackHookAnswer> {
  const parsed = parseBody(kind, request.rawBody)
  if (!parsed) return { status: 400, body: { ok: false, error: 'invalid_payload' } }
  const now = deps.now()

  // Slack checks the events URL before any workspace installs the app, so the challenge carries
  // no team: with the app-wide secret set it must be signed with it; without one (manifest
  // setups) the challenge is echoed, which changes and reveals nothing.
  // Slack checks a command URL's certificate with an unsigned `ssl_check=1`: answered, nothing done.
  if (parsed.kind === 'ssl_check') return EMPTY

  if (parsed.kind === 'url_verification') {
    const secret = deps.env.SLACK_SIGNING_SECRET
    if (secret && !verified(secret, request, now)) return UNVERIFIED
    return { status: 200, body: { challenge: parsed.challenge } }
  }

  const installation = await installationForTeam(deps.orm, parsed.teamId)
  if (!installation) return UNVERIFIED
  const secret = signingSecretOf(deps.env, installation)
  if (!secret || !verified(secret, request, now)) return UNVERIFIED

  const receiptId = parsed.receiptId
  if (
    receiptId &&
    !(await claimReceipt(deps.orm, installation, parsed.teamId, receiptId, kind, now))
  )
    return EMPTY
  try {
    switch (parsed.kind) {
      case 'command':
        return {
          status: 200,
          body: await handleCommand(deps, installation.organizationId, parsed.form, now),
        }
      case 'interaction':
        await handleInteraction(deps, installation.organizationId, parsed.payload, now)
        return EMPTY
      case 'event':
        await handleEvent(deps, installation.organizationId, parsed.event, now)
        return EMPTY
      case 'ignored':
        return EMPTY
    }
  } catch (error) {
    // Let Slack's retry (or the person's next click) do it again.
    if (receiptId) await releaseReceipt(deps.orm, installation, parsed.teamId, receiptId)
    throw error
  }
}

function verified(secret: string, request: SlackHookRequest, now: Date) {
  return verifySlackSignature({
    signingSecret: secret,
    timestamp: request.timestamp,
    signature: request.signature,
    rawBody: request.rawBody,
    now,
  })
}

type Parsed =
  | { kind: 'ssl_check' }
  | { kind: 'url_verification'; challenge: string }
  | { kind: 'command'; teamId: string; receiptId: null; form: CommandForm }
  | {
      kind: 'interaction'
      teamId: string
      receiptId: string | null
      payload: Record<string, unknown>
    }
  | { kind: 'event'; teamId: string; receiptId: string; event: SlackEvent }
  | { kind: 'ignored'; teamId: string; receiptId: null }

function parseBody(kind: SlackHookKind, raw: Buffer): Parsed | null {
  const text = raw.toString('utf8')
  if (kind === 'events') {
    let body: Record<string, unknown>
    try {
      const value: unknown = JSON.parse(text)
      if (!value || typeof value !== 'object') return null
      body = value as Record<string, unknown>
    } catch {
      return null
    }
    if (body.type === 'url_verification')
      return typeof body.challenge === 'string' && body.challenge.length <= 200
        ? { kind: 'url_verification', challenge: body.challenge }
        : null
    const teamId = str(body.team_id)
    if (!teamId) return null
    const eventId = str(body.event_id)
    if (body.type !== 'event_callback' || !eventId || !body.event || typeof body.event !== 'object')
      return { kind: 'ignored', teamId, receiptId: null }
    return { kind: 'event', teamId, receiptId: eventId, event: body.event as SlackEvent }
  }
  const form = new URLSearchParams(text)
  if (kind === 'commands') {
    if (form.get('ssl_check') === '1') return { kind: 'ssl_check' }
    const teamId = form.get('team_id')
    if (!teamId) return null
    return {
      kind: 'command',
      teamId,
      receiptId: null,
      form: {
        userId: form.get('user_id') ?? '',
        channelId: form.get('channel_id') ?? '',
        text: form.get('text') ?? '',
        responseUrl: form.get('response_url') ?? '',
        triggerId: form.get('trigger_id') ?? '',
      },
    }
  }
  let payload: Record<string, unknown>
  try {
    const value: unknown = JSON.parse(form.get('payload') ?? '')
    if (!value || typeof value !== 'object') return null
    payload = value as Record<string, unknown>
  } catch {
    return null
  }
  const teamId = str((payload.team as { id?: unknown } | undefined)?.id)
  if (!teamId) return null
  const triggerId = str(payload.trigger_id)
  return {
    kind: 'interaction',
    teamId,
    receiptId: triggerId ? `trigger:${triggerId}` : null,
    payload,
  }
}

const str = (value: unknown) => (typeof value === 'string' && value.length <= 200 ? value : null)

/**
 * Records that this request is being handled; false when it was already (a retried event, a
 * repeated trigger). The insert that wins decides, so two deliveries racing count once.
 */
async function claimReceipt(
  orm: MikroORM,
  installation: TeamInstallation,
  teamId: string,
  receiptId: string,
  kind: SlackHookKind,
  now: Date,
) {
  const rows = await inScope(orm, { organizationId: installation.organizationId }, async (em) => {
    // Slack retries within the hour; a day's receipts are plenty to recognise them.
    await em.execute(
      'delete from slack_inbound_receipt where organization_id = ? and received_at < ?',
      [installation.organizationId, new Date(now.getTime() - RECEIPT_KEEP_MS)],
    )
    return em.execute<Array<{ receipt_id: string }>>(
      `insert into slack_inbound_receipt (team_id, receipt_id, organization_id, kind, received_at)
       values (?, ?, ?, ?, ?) on conflict do nothing returning receipt_id`,
      [teamId, receiptId, installation.organizationId, kind, now],
    )
  })
  return rows.length > 0
}

async function releaseReceipt(
  orm: MikroORM,
  installation: TeamInstallation,
  teamId: string,
  receiptId: string,
) {
  await inScope(orm, { organizationId: installation.organizationId }, (em) =>
    em.execute('delete from slack_inbound_receipt where team_id = ? and receipt_id = ?', [
      teamId,
      receiptId,
    ]),
  )
}
