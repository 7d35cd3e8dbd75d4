import type { MikroORM } from '@mikro-orm/postgresql'
import {
  AlertReceiptSchema,
  IntegrationSchema,
  INTEGRATION_KINDS,
  type IntegrationKind,
} from '../../../db/entities/integration'
import { inScope } from '../../../db/tenant'
import { transactionExecutor } from '../../../db/transaction'
import { findUnstorableText, UNSTORABLE_TEXT_MESSAGE } from '~/utils/storable-text'
import { sendJob, type PgBoss } from '~/queue/send.server'
import { integrationTokenHash, TOKEN_PATTERN } from './integrations.server'
import type { PayloadIssue } from './normalized'
import { verifyPagerDutySignature } from './pagerduty'
import { PARSERS } from './parsers'
import { now as clockNow } from '~/utils/clock'

/**
 * The web side of inbound alerts, kept to what must happen before answering: find the
 * integration by its token, count the request against its rate, read at most the size limit,
 * check the content type, the signature and the payload, then store the receipt and queue its
 * `alert-ingest` job in one transaction and answer 202. The worker does the rest
 * (process.server.ts).
 */

export const DEFAULT_ALERT_MAX_BYTES = 256 * 1024

export interface IngestDeps {
  orm: MikroORM
  boss: PgBoss
  /** Largest body accepted (ALERT_MAX_BYTES). */
  maxBytes: number
  now?: () => Date
}

export interface IngestRequest {
  kind: string
  token: string
  contentType: string | undefined
  contentLength: string | undefined
  /** `X-PagerDuty-Signature`. */
  signature: string | undefined
  /**
   * Reads the body, stopping as soon as it passes `limit` bytes: the bytes, or null when it is
   * larger than that.
   */
  readBody: (limit: number) => Promise<Buffer | null>
}

export interface IngestAnswer {
  status: number
  body: AcceptedBody | ErrorBody
  headers: Record<string, string>
}

export interface AcceptedBody {
  status: 'accepted'
  receipt: string
}

export interface ErrorBody {
  error: { code: string; message: string; issues?: PayloadIssue[] }
}

export type ErrorCode =
  | 'not_found'
  | 'invalid_token'
  | 'wrong_endpoint'
  | 'invalid_signature'
  | 'rate_limited'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'invalid_json'
  | 'invalid_payload'

export function refusal(
  status: number,
  code: ErrorCode,
  message: string,
  extra: { issues?: PayloadIssue[]; headers?: Record<string, string> } = {},
): IngestAnswer {
  return {
    status,
    body: { error: { code, message, ...(extra.issues ? { issues: extra.issues } : {}) } },
    headers: extra.headers ?? {},
  }
}

const isKind = (kind: string): kind is IntegrationKind =>
  (INTEGRATION_KINDS as readonly string[]).includes(kind)

/** `application/json` or any `application/…+json`, with or without parameters. */
export function isJsonContentType(value: string | undefined) {
  const type = value?.split(';', 1)[0]?.trim().toLowerCase() ?? ''
  return type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type)
}

const WINDOW_MS = 60_000

const invalidToken = () =>
  refusal(
    401,
    'invalid_token',
    'Unknown or inactive integration token. Copy the webhook URL again from Admin → Integrations.',
  )

export async function ingestAlert(deps: IngestDeps, request: IngestRequest): Promise<IngestAnswer> {
  const now = deps.now?.() ?? clockNow()
  const { kind } = request
  if (!isKind(kind))
    return refusal(
      404,
      'not_found',
      `Unknown alert source "${kind.slice(0, 40)}". Use alertmanager, pagerduty or generic.`,
    )
  // A token of the wrong shape cannot match: no database work for it.
  if (!TOKEN_PATTERN.test(request.token)) return invalidToken()

  const windowStart = new Date(Math.floor(now.getTime() / WINDOW_MS) * WINDOW_MS)
  const tokenHash = integrationTokenHash(request.token)
  const found = await inScope(deps.orm, { tokenHash }, async (em) => {
    // The token's own policy (integration_by_token) opens exactly this row; no organization is
    // known until it is found.
    const integration = await em.findOne(IntegrationSchema, { tokenHash })
    if (!integration?.active) return null
    if (integration.kind !== kind) return { integration, hits: 0 }
    const [row] = await em.execute<Array<{ hits: number }>>(
      `insert into integration_rate (integration_id, window_start, hits) values (?, ?, 1)
         on conflict (integration_id, window_start)
           do update set hits = integration_rate.hits + 1
         returning hits`,
      [integration.id, windowStart],
    )
    const hits = row!.hits
    // The first request of a window clears the integration's earlier windows.
    if (hits === 1)
      await em.execute(
        `delete from integration_rate where integration_id = ? and window_start < ?`,
        [integration.id, windowStart],
      )
    return { integration, hits }
  })
  if (!found) return invalidToken()
  const { integration, hits } = found
  if (integration.kind !== kind)
    return refusal(
      401,
      'wrong_endpoint',
      `This token belongs to a ${integration.kind} integration: send to /hooks/${integration.kind}/<token>.`,
    )
  if (hits > integration.rateLimitPerMinute) {
    const retryAfter = Math.max(
      1,
      Math.ceil((windowStart.getTime() + WINDOW_MS - now.getTime()) / 1000),
    )
    return refusal(
      429,
      'rate_limited',
      `More than ${integration.rateLimitPerMinute} requests this minute for this integration. Retry after ${retryAfter} s.`,
      { headers: { 'Retry-After': String(retryAfter) } },
    )
  }

  if (!isJsonContentType(request.contentType))
    return refusal(
      415,
      'unsupported_media_type',
      'Send the alert as Content-Type: application/json.',
    )
  const tooLarge = () =>
    refusal(
      413,
      'payload_too_large',
      `The body is larger than ${deps.maxBytes} bytes, the most one request may carry.`,
    )
  const declared = Number(request.contentLength)
  if (request.contentLength !== undefined && Number.isFinite(declared) && declared > deps.maxBytes)
    return tooLarge()
  const raw = await request.readBody(deps.maxBytes)
  if (!raw) return tooLarge()

  // PagerDuty signs the bytes as sent: checked before they are interpreted at all.
  if (kind === 'pagerduty') {
    const secret = integration.signingSecret
    if (!secret)
      return refusal(
        401,
        'invalid_signature',
        'This PagerDuty integration has no signing secret yet: enter the one PagerDuty showed for the webhook subscription at Admin → Integrations.',
      )
    if (!request.signature || !verifyPagerDutySignature(raw, request.signature, secret))
      return refusal(
        401,
        'invalid_signature',
        request.signature
          ? 'X-PagerDuty-Signature does not match the body for this integration’s signing secret.'
          : 'X-PagerDuty-Signature is missing: PagerDuty signs every webhook.',
      )
  }

  const json = readJson(raw)
  if (!json.ok) return refusal(400, 'invalid_json', json.message)
  const unstorable = findUnstorableText(json.value)
  if (unstorable !== null)
    return refusal(
      422,
      'invalid_payload',
      'The payload contains a NUL character (\\u0000) or an unpaired surrogate (\\ud800–\\udfff).',
      { issues: [{ path: unstorable, message: UNSTORABLE_TEXT_MESSAGE }] },
    )
  const parsed = PARSERS[kind](json.value)
  if (!parsed.ok)
    return refusal(
      422,
      'invalid_payload',
      `The body is JSON but not a valid ${SOURCE_NAMES[kind]} payload.`,
      {
        issues: parsed.issues,
      },
    )

  const receiptId = await inScope(
    deps.orm,
    { organizationId: integration.organizationId },
    async (em) => {
      const receipt = em.create(AlertReceiptSchema, {
        organizationId: integration.organizationId,
        integrationId: integration.id,
        status: 'queued',
        payload: json.value,
        outcome: null,
        error: null,
        receivedAt: now,
        processedAt: null,
      })
      await em.flush()
      // Not through the entity: an alert arriving is not an admin's change of the integration.
      // At most once a second: in a storm every request would otherwise wait for the one before
      // it to commit, all of them writing the same row (a row that is not updated is not locked).
      await em.execute(
        `update integration set last_received_at = ?
          where id = ? and organization_id = ?
            and (last_received_at is null or last_received_at < ?::timestamptz - interval '1 second')`,
        [now, integration.id, integration.organizationId, now],
      )
      await sendJob(
        deps.boss,
        'alert-ingest',
        { receiptId: receipt.id, organizationId: integration.organizationId },
        { db: await transactionExecutor(em) },
      )
      return receipt.id
    },
  )
  return { status: 202, body: { status: 'accepted', receipt: receiptId }, headers: {} }
}

const SOURCE_NAMES: Record<IntegrationKind, string> = {
  alertmanager: 'Alertmanager (webhook version 4)',
  pagerduty: 'PagerDuty V3 webhook',
  generic: 'IncidentFlow generic alert',
}

function readJson(raw: Buffer): { ok: true; value: unknown } | { ok: false; message: string } {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw)
  } catch {
    return { ok: false, message: 'The body is not valid UTF-8.' }
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch (error) {
    return {
      ok: false,
      message: `The body is not valid JSON: ${error instanceof Error ? error.message.slice(0, 200) : 'parse error'}`,
    }
  }
}
