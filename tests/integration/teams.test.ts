import { randomBytes } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { deliverChat, type ChatDeliverDeps } from '~/domain/chat/chat-delivery.server'
import { ADAPTIVE_CARD_CONTENT_TYPE } from '~/domain/chat/teams/adaptive-card'
import {
  applyTeamsSettings,
  saveTeamsWebhook,
  teamsWebhookState,
  TeamsError,
} from '~/domain/chat/teams/teams-webhook.server'
import {
  addComment,
  declareIncident,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import { relayEvents } from '~/domain/notify/fanout.server'
import { silentLogger } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { addMember, type TestMember } from '../support/incidents'
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver'

// IncidentFlow → Microsoft Teams: an Adaptive Card per declared incident and status change,
// posted by the chat delivery loop to the organization's incoming webhook (here the loopback
// receiver), under the webhooks' SSRF rules.

const db = setUpTestDatabase('teams')
const KEY = randomBytes(32)
const APP_URL = 'https://incidents.example.test'
const ALLOWED = '127.0.0.1'

let receiver: WebhookReceiver
let clockOffsetMs = 0

beforeAll(async () => {
  receiver = await startWebhookReceiver()
})
afterEach(() => {
  receiver.reset()
  clockOffsetMs = 0
})
afterAll(async () => {
  await receiver?.close()
})

const now = () => new Date(Date.now() + clockOffsetMs)
const settings = { key: KEY, allowedHosts: ALLOWED, appUrl: APP_URL, timeoutMs: 5_000 }

function deps(overrides: Partial<ChatDeliverDeps> = {}): ChatDeliverDeps {
  return {
    orm: db.orm,
    boss: db.boss,
    logger: silentLogger,
    appUrl: APP_URL,
    secretsKey: KEY,
    slackClient: () => {
      throw new Error('no Slack in these tests')
    },
    retrySchedule: [60, 120],
    teams: { allowedHosts: ALLOWED, timeoutMs: 5_000 },
    now,
    random: () => 0.5,
    ...overrides,
  }
}

async function newOrg(options: { teams?: boolean } = {}) {
  const id = await db.createOrganization(`Org ${randomBytes(3).toString('hex')}`)
  const admin = await addMember(db, id, 'admin', { name: 'Ada Admin' })
  if (options.teams !== false)
    await saveTeamsWebhook(db.orm, admin, `${receiver.baseUrl}/teams/${id}`, settings)
  return { id, admin }
}

async function sync(org: { id: string }, overrides: Partial<ChatDeliverDeps> = {}) {
  await relayEvents({ orm: db.orm, boss: db.boss, logger: silentLogger, appUrl: APP_URL })
  const groups = await db.query<{ incident_id: string; provider: 'slack' | 'teams' }>(
    `select distinct incident_id, provider from chat_delivery
      where organization_id = $1 and status = 'pending'`,
    [org.id],
  )
  const outcomes: string[] = []
  for (const g of groups)
    outcomes.push(
      ...(await deliverChat(deps(overrides), {
        organizationId: org.id,
        incidentId: g.incident_id,
        provider: g.provider,
      })),
    )
  return outcomes
}

interface Card {
  type: string
  attachments: Array<{
    contentType: string
    content: {
      type: string
      version: string
      body: Array<{ type: string; text?: string; facts?: Array<{ title: string; value: string }> }>
      actions: Array<{ type: string; url: string; title: string }>
    }
  }>
}

const cards = () => receiver.requests.map((r) => JSON.parse(r.body) as Card)
const facts = (card: Card) =>
  Object.fromEntries(
    card.attachments[0]!.content.body.flatMap((b) => b.facts ?? []).map((f) => [f.title, f.value]),
  )
const texts = (card: Card) =>
  card.attachments[0]!.content.body.flatMap((b) => (b.text ? [b.text] : []))

async function declare(org: { admin: TestMember }, title: string) {
  return declareIncident(db.orm, org.admin, { title, summary: '', severity: 'SEV-2' })
}

describe('cards', () => {
  it('posts an Adaptive Card 1.4 for a declared incident and for each status change, and none for comments', async () => {
    const org = await newOrg()
    const { number } = await declare(org, 'Payments failing')
    expect(await sync(org)).toEqual(['delivered'])
    expect(receiver.requests).toHaveLength(1)
    expect(receiver.requests[0]!.path).toBe(`/teams/${org.id}`)
    expect(receiver.requests[0]!.headers['content-type']).toBe('application/json')
    const [declared] = cards()
    expect(declared!.type).toBe('message')
    expect(declared!.attachments[0]!.contentType).toBe(ADAPTIVE_CARD_CONTENT_TYPE)
    expect(declared!.attachments[0]!.content.type).toBe('AdaptiveCard')
    expect(declared!.attachments[0]!.content.version).toBe('1.4')
    expect(texts(declared!)).toEqual([`INC-${number}: Payments failing`, 'Incident declared'])
    expect(facts(declared!)).toEqual({
      Severity: 'SEV-2',
      Status: 'Detected',
      Commander: 'Ada Admin',
    })
    expect(declared!.attachments[0]!.content.actions).toEqual([
      {
        type: 'Action.OpenUrl',
        title: `Open INC-${number}`,
        url: `${APP_URL}/incidents/${number}`,
      },
    ])

    await addComment(db.orm, org.admin, number, { body: 'no card for this' })
    await transitionIncident(db.orm, org.admin, number, { action: 'start-investigating' })
    expect(await sync(org)).toEqual(['delivered'])
    expect(receiver.requests).toHaveLength(2)
    const changed = cards()[1]!
    expect(texts(changed)[1]).toBe('Detected → Investigating')
    expect(facts(changed).Status).toBe('Investigating')
  })

  it('sends nothing to Teams for an organization without a Teams webhook', async () => {
    const org = await newOrg({ teams: false })
    await declare(org, 'Quiet')
    expect(await sync(org)).toEqual([])
    expect(receiver.requests).toHaveLength(0)
  })

  it('honours Retry-After from Teams and retries a failure on the schedule', async () => {
    const org = await newOrg()
    receiver.replies.push({ status: 429, headers: { 'retry-after': '40' } })
    const before = now().getTime()
    const { id } = await declare(org, 'Throttled')
    expect(await sync(org)).toEqual(['rate-limited'])
    const [row] = await db.query<{ attempts: number; next_attempt_at: Date; status: string }>(
      `select attempts, next_attempt_at, status from chat_delivery where incident_id = $1`,
      [id],
    )
    expect(row!.status).toBe('pending')
    expect(row!.attempts).toBe(0)
    expect(row!.next_attempt_at.getTime()).toBeGreaterThanOrEqual(before + 40_000)
    clockOffsetMs = 30_000
    expect(await sync(org)).toEqual(['not-due'])
    expect(receiver.requests).toHaveLength(1)

    receiver.replies.push({ status: 500, body: 'boom' })
    clockOffsetMs = 41_000
    expect(await sync(org)).toEqual(['retry-scheduled'])
    const [failed] = await db.query<{ attempts: number; last_error: string }>(
      `select attempts, last_error from chat_delivery where incident_id = $1`,
      [id],
    )
    expect(failed).toEqual({ attempts: 1, last_error: 'Teams answered HTTP 500: boom' })
  })
})

describe('the webhook setting', () => {
  it('refuses a private address with a field error and stores nothing', async () => {
    const org = await newOrg({ teams: false })
    for (const url of [
      `${receiver.baseUrl}/teams`,
      'http://10.1.2.3/webhook',
      'https://[::1]/webhook',
      'http://localhost:8080/webhook',
    ]) {
      const refusal = await saveTeamsWebhook(db.orm, org.admin, url, {
        key: KEY,
        allowedHosts: undefined,
      }).catch((error: unknown) => error)
      expect(refusal).toBeInstanceOf(TeamsError)
      expect((refusal as TeamsError).field).toBe('teamsUrl')
      expect((refusal as TeamsError).message).toMatch(/Teams cards are only sent to public/)
    }
    expect(
      await db.query(`select 1 from teams_webhook where organization_id = $1`, [org.id]),
    ).toEqual([])
  })

  it('refuses a private address at delivery too, when the allow-list no longer covers it', async () => {
    const org = await newOrg()
    await declare(org, 'Moved inside')
    expect(await sync(org, { teams: { allowedHosts: undefined, timeoutMs: 5_000 } })).toEqual([
      'retry-scheduled',
    ])
    expect(receiver.requests).toHaveLength(0)
    const [row] = await db.query<{ last_error: string }>(
      `select last_error from chat_delivery where organization_id = $1`,
      [org.id],
    )
    expect(row!.last_error).toMatch(/127\.0\.0\.1 is .*public addresses/)
  })

  it('stores the URL sealed, shows only its host, and lets only admins change it', async () => {
    const org = await newOrg()
    const [row] = await db.query<{ url_ciphertext: string }>(
      `select url_ciphertext from teams_webhook where organization_id = $1`,
      [org.id],
    )
    expect(row!.url_ciphertext).toMatch(/^v1\./)
    expect(row!.url_ciphertext).not.toContain('127.0.0.1')
    expect(await teamsWebhookState(db.orm, org.admin, KEY)).toMatchObject({
      configured: true,
      host: `127.0.0.1:${receiver.port}`,
    })

    const engineer = await addMember(db, org.id, 'engineer')
    for (const change of [
      { intent: 'teams-save' as const, teamsUrl: `${receiver.baseUrl}/other` },
      { intent: 'teams-remove' as const },
      { intent: 'teams-test' as const },
    ])
      await expect(applyTeamsSettings(db.orm, engineer, change, settings)).rejects.toMatchObject({
        status: 403,
      })
    expect(receiver.requests).toHaveLength(0)
    const [after] = await db.query<{ url_ciphertext: string }>(
      `select url_ciphertext from teams_webhook where organization_id = $1`,
      [org.id],
    )
    expect(after!.url_ciphertext).toBe(row!.url_ciphertext)

    expect(await applyTeamsSettings(db.orm, org.admin, { intent: 'teams-remove' }, settings)).toBe(
      'Teams webhook removed.',
    )
    expect(await teamsWebhookState(db.orm, org.admin, KEY)).toEqual({
      configured: false,
      host: null,
      updatedAt: null,
    })
    await declare(org, 'After removal')
    expect(await sync(org)).toEqual([])
  })

  it('sends a test card, and says why when Teams refuses it', async () => {
    const org = await newOrg()
    expect(await applyTeamsSettings(db.orm, org.admin, { intent: 'teams-test' }, settings)).toBe(
      'Test card sent to Teams.',
    )
    const [card] = cards()
    expect(card!.attachments[0]!.contentType).toBe(ADAPTIVE_CARD_CONTENT_TYPE)
    expect(texts(card!)[0]).toBe('Test: a card from IncidentFlow')

    receiver.replies.push({ status: 400, body: 'Webhook message delivery failed' })
    const refusal = await applyTeamsSettings(
      db.orm,
      org.admin,
      { intent: 'teams-test' },
      settings,
    ).catch((error: unknown) => error)
    expect(refusal).toBeInstanceOf(TeamsError)
    expect((refusal as TeamsError).message).toBe(
      'The test card was not delivered. Teams answered HTTP 400: Webhook message delivery failed',
    )

    const empty = await newOrg({ teams: false })
    await expect(
      applyTeamsSettings(db.orm, empty.admin, { intent: 'teams-test' }, settings),
    ).rejects.toMatchObject({ status: 409 })
  })
})
