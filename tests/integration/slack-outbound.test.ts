import { randomBytes } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { queueChatDeliveries } from '~/domain/chat/chat-deliveries.server'
import {
  deliverChat,
  RATE_LIMIT_CAP,
  type ChatDeliverDeps,
} from '~/domain/chat/chat-delivery.server'
import { listFailedChatDeliveries, retryChatDelivery } from '~/domain/chat/chat-failures.server'
import { slackClient } from '~/domain/chat/slack-client.server'
import { appendEvent, lockIncident } from '~/domain/incident/event-store.server'
import { toStoredEvent } from '~/domain/incident/event-store.server'
import {
  addComment,
  assignIncident,
  changeSeverity,
  declareIncident,
  declareIncidentAsSystem,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import { relayEvents } from '~/domain/notify/fanout.server'
import { assignIncidentRoles, listIncidentRoles } from '~/domain/incident/incident-roles.server'
import type { TransitionAction } from '~/domain/incident/lifecycle'
import { sealSecret } from '~/utils/secret-box.server'
import { IncidentEventSchema, IncidentSchema } from '../../db/entities/incident'
import { silentLogger } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { addMember, type TestMember } from '../support/incidents'
import { DOUBLE_BOT_USER_ID, startSlackDouble, type SlackDouble } from '../support/slack-double'

// IncidentFlow → Slack through the event relay and the chat delivery loop, against the loopback
// Slack Web API double with the real @slack/web-api client and real PostgreSQL.

const db = setUpTestDatabase('slack_outbound')
const KEY = randomBytes(32)
const APP_URL = 'https://incidents.example.test'

let slack: SlackDouble
/** The delivery loop's clock runs this far ahead of the real one (Retry-After, backoff). */
let clockOffsetMs = 0

beforeAll(async () => {
  slack = await startSlackDouble()
})
afterEach(() => {
  slack.reset()
  clockOffsetMs = 0
})
afterAll(async () => {
  await slack?.stop()
})

const now = () => new Date(Date.now() + clockOffsetMs)

function deps(overrides: Partial<ChatDeliverDeps> = {}): ChatDeliverDeps {
  return {
    orm: db.orm,
    boss: db.boss,
    logger: silentLogger,
    appUrl: APP_URL,
    secretsKey: KEY,
    slackClient: (token) => slackClient(token, { SLACK_API_URL: slack.url }),
    retrySchedule: [60, 120],
    teams: { allowedHosts: '127.0.0.1', timeoutMs: 5_000 },
    now,
    random: () => 0.5,
    ...overrides,
  }
}

interface Org {
  id: string
  admin: TestMember
  token: string
}

/** A new organization with an admin and (unless `slack: false`) a Slack installation. */
async function newOrg(
  options: {
    slack?: boolean
    mode?: 'per_incident' | 'shared'
    sharedChannelId?: string
    archiveOnClose?: boolean
  } = {},
): Promise<Org> {
  const id = await db.createOrganization(`Org ${randomBytes(3).toString('hex')}`)
  const admin = await addMember(db, id, 'admin', { name: 'Ada Admin' })
  const token = `xoxb-${randomBytes(6).toString('hex')}`
  if (options.slack !== false)
    await db.query(
      `insert into slack_installation
         (organization_id, team_id, team_name, bot_user_id, bot_token_ciphertext, install_method,
          channel_mode, shared_channel_id, archive_on_close, installed_at, updated_at)
       values ($1, $2, 'Double', $3, $4, 'manifest', $5, $6, $7, now(), now())`,
      [
        id,
        `T${randomBytes(5).toString('hex')}`,
        DOUBLE_BOT_USER_ID,
        sealSecret(token, KEY),
        options.mode ?? 'per_incident',
        options.sharedChannelId ?? null,
        options.archiveOnClose ?? true,
      ],
    )
  return { id, admin, token }
}

/** A member, and (with `slackId`) a Slack account with the same e-mail address. */
async function person(org: Org, role: 'admin' | 'manager' | 'engineer', slackId?: string) {
  const member = await addMember(db, org.id, role)
  if (slackId) slack.users[slackId] = { email: member.user.email.toUpperCase(), name: role }
  return member
}

/** What the worker does: the relay, then each incident's waiting chat deliveries. */
async function sync(org: Org) {
  await relayEvents({ orm: db.orm, boss: db.boss, logger: silentLogger, appUrl: APP_URL })
  return deliverWaiting(org)
}

async function deliverWaiting(org: Org, overrides: Partial<ChatDeliverDeps> = {}) {
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

async function declare(org: Org, title: string, commanderId?: string | null) {
  return declareIncident(db.orm, org.admin, {
    title,
    summary: 'Customers cannot pay.',
    severity: 'SEV-3',
    ...(commanderId !== undefined ? { commanderId } : {}),
  })
}

async function channelOf(org: Org, incidentId: string) {
  const [row] = await db.query<{
    channel_id: string
    channel_name: string
    summary_ts: string | null
    signals_thread_ts: string | null
    archived_at: Date | null
  }>(
    `select channel_id, channel_name, summary_ts, signals_thread_ts, archived_at
       from slack_incident_channel where organization_id = $1 and incident_id = $2`,
    [org.id, incidentId],
  )
  return row
}

async function deliveries(org: Org, incidentId: string) {
  return db.query<{
    id: string
    kind: string
    event_seq: number
    status: string
    attempts: number
    next_attempt_at: Date | null
    last_error: string | null
  }>(
    `select id, kind, event_seq, status, attempts, next_attempt_at, last_error
       from chat_delivery where organization_id = $1 and incident_id = $2
      order by event_seq, kind`,
    [org.id, incidentId],
  )
}

const blocksOf = (body: Record<string, unknown>) =>
  JSON.parse(String(body.blocks)) as Array<Record<string, unknown>>
const buttonIds = (body: Record<string, unknown>) =>
  blocksOf(body)
    .filter((b) => b.type === 'actions')
    .flatMap((b) =>
      (b.elements as Array<{ action_id: string; value: string }>).map((e) => e.action_id),
    )
const posts = (channel?: string) =>
  slack.callsOf('chat.postMessage').filter((c) => !channel || c.body.channel === channel)

async function move(org: Org, number: number, action: TransitionAction) {
  await transitionIncident(db.orm, org.admin, number, { action })
}

/** An entry as the system or the inbound half would append it. */
async function appendAs<T extends Parameters<typeof appendEvent>[2]>(
  org: Org,
  number: number,
  type: T,
  payload: Parameters<typeof appendEvent<T>>[3],
  actorId: string | null = null,
) {
  await db.inOrg(async (em) => {
    const incident = await lockIncident(em, org.id, number, undefined)
    await appendEvent(em, incident, type, payload, actorId, new Date())
  }, org.id)
}

describe('channel per incident', () => {
  it('creates inc-<n>-<slug>, invites the commander with a Slack account, and posts the summary with the allowed buttons', async () => {
    const org = await newOrg()
    const commander = await person(org, 'engineer', 'UCOMMANDER')
    const { id, number } = await declare(
      org,
      'Checkout is DOWN — café payments!',
      commander.user.id,
    )

    const outcomes = await sync(org)
    expect(outcomes).toEqual(['delivered'])

    const [create] = slack.callsOf('conversations.create')
    expect(create!.body.name).toBe(`inc-${number}-checkout-is-down-cafe-payments`)
    expect(create!.token).toBe(org.token)
    const channel = await channelOf(org, id)
    expect(channel!.channel_name).toBe(`inc-${number}-checkout-is-down-cafe-payments`)
    expect(slack.channels.get(channel!.channel_id)!.members).toContain('UCOMMANDER')
    expect(slack.callsOf('conversations.invite').map((c) => c.body.users)).toEqual(['UCOMMANDER'])

    const [summary] = posts(channel!.channel_id)
    expect(channel!.summary_ts).toBeTruthy()
    const text = JSON.stringify(blocksOf(summary!.body))
    expect(text).toContain(`INC-${number}: Checkout is DOWN — café payments!`)
    expect(text).toContain('*Status*\\nDetected')
    expect(text).toContain('*Severity*\\nSEV-3')
    expect(text).toContain('*Commander*\\n<@UCOMMANDER>')
    expect(text).toContain('*SLA*\\n')
    expect(text).toContain(`<${APP_URL}/incidents/${number}|Open INC-${number} in IncidentFlow>`)
    expect(buttonIds(summary!.body)).toEqual(['incident_start_investigating'])
    const [member] = await db.query<{ slack_user_id: string }>(
      `select slack_user_id from slack_member where organization_id = $1 and user_id = $2`,
      [org.id, commander.user.id],
    )
    expect(member!.slack_user_id).toBe('UCOMMANDER')
    expect((await deliveries(org, id)).map((d) => [d.kind, d.status])).toEqual([
      ['channel', 'delivered'],
    ])
  })

  it('invites incident-role holders: with the channel, and when they take a role later', async () => {
    const org = await newOrg()
    const lead = await person(org, 'manager', 'ULEAD')
    const scribe = await person(org, 'engineer', 'USCRIBE')
    const roles = await listIncidentRoles(db.orm, org.id)
    const role = (key: string) => roles.find((r) => r.key === key)!.id
    // A role taken before the first delivery: its holder is invited with the channel.
    const first = await declare(org, 'Checkout errors', null)
    await assignIncidentRoles(db.orm, org.admin, first.number, {
      holders: { [role('communications_lead')]: lead.user.id },
    })
    expect(await sync(org)).not.toContain('failed')
    const firstChannel = await channelOf(org, first.id)
    expect(slack.channels.get(firstChannel!.channel_id)!.members).toEqual([
      DOUBLE_BOT_USER_ID,
      'ULEAD',
    ])
    // A role taken once the channel exists: its holder joins then.
    await assignIncidentRoles(db.orm, org.admin, first.number, {
      holders: { [role('scribe')]: scribe.user.id },
    })
    expect(await sync(org)).not.toContain('failed')
    expect(slack.channels.get(firstChannel!.channel_id)!.members).toEqual([
      DOUBLE_BOT_USER_ID,
      'ULEAD',
      'USCRIBE',
    ])
  })

  it('skips members without a Slack account, and invites assignees added later', async () => {
    const org = await newOrg()
    const noSlack = await person(org, 'engineer')
    const withSlack = await person(org, 'engineer', 'UASSIGNEE')
    const { id, number } = await declare(org, 'Queue backlog', noSlack.user.id)
    expect(await sync(org)).toEqual(['delivered'])
    expect(slack.callsOf('users.lookupByEmail').map((c) => c.body.email)).toEqual([
      noSlack.user.email,
    ])
    expect(slack.callsOf('conversations.invite')).toHaveLength(0)
    const channel = await channelOf(org, id)
    expect(JSON.stringify(blocksOf(posts(channel!.channel_id)[0]!.body))).toContain(
      `*Commander*\\n${noSlack.user.displayName}`,
    )

    await assignIncident(db.orm, org.admin, number, {
      commanderId: noSlack.user.id,
      assigneeIds: [withSlack.user.id],
    })
    expect(await sync(org)).toEqual(['delivered', 'delivered'])
    expect(slack.callsOf('conversations.invite').map((c) => c.body.users)).toEqual(['UASSIGNEE'])
    expect(slack.channels.get(channel!.channel_id)!.members).toEqual([
      DOUBLE_BOT_USER_ID,
      'UASSIGNEE',
    ])

    // A known match is used from slack_member for a day; an unknown one is asked again.
    await assignIncident(db.orm, org.admin, number, {
      commanderId: withSlack.user.id,
      assigneeIds: [noSlack.user.id],
    })
    await sync(org)
    expect(slack.callsOf('users.lookupByEmail').map((c) => c.body.email)).toEqual([
      noSlack.user.email,
      noSlack.user.email,
      withSlack.user.email,
      noSlack.user.email,
    ])
  })

  it('updates the same summary message on status, severity and commander changes', async () => {
    const org = await newOrg()
    const other = await person(org, 'engineer', 'UOTHER')
    const { id, number } = await declare(org, 'Search is slow', org.admin.user.id)
    await sync(org)
    const channel = (await channelOf(org, id))!

    await move(org, number, 'start-investigating')
    expect(await sync(org)).toEqual(['delivered', 'delivered'])
    let [update] = slack.callsOf('chat.update')
    expect(update!.body.ts).toBe(channel.summary_ts)
    expect(update!.body.channel).toBe(channel.channel_id)
    expect(JSON.stringify(blocksOf(update!.body))).toContain('*Status*\\nInvestigating')
    expect(buttonIds(update!.body)).toEqual(['incident_mark_mitigated'])

    await changeSeverity(db.orm, org.admin, number, { severity: 'SEV-2', reason: 'Worse' })
    await sync(org)
    update = slack.callsOf('chat.update').at(-1)
    expect(update!.body.ts).toBe(channel.summary_ts)
    expect(JSON.stringify(blocksOf(update!.body))).toContain('*Severity*\\nSEV-2')

    await assignIncident(db.orm, org.admin, number, { commanderId: other.user.id, assigneeIds: [] })
    await sync(org)
    update = slack.callsOf('chat.update').at(-1)
    expect(update!.body.ts).toBe(channel.summary_ts)
    expect(JSON.stringify(blocksOf(update!.body))).toContain('*Commander*\\n<@UOTHER>')
    // Only the first summary was posted; every change rewrote it.
    expect(posts(channel.channel_id).filter((c) => c.body.blocks)).toHaveLength(1)
    expect(slack.callsOf('conversations.create')).toHaveLength(1)
  })

  it('posts every entry, threads system signals under one "System signals" message, and never echoes entries from the channel', async () => {
    const org = await newOrg()
    const { id, number } = await declare(org, 'Login errors', org.admin.user.id)
    await sync(org)
    const channel = (await channelOf(org, id))!

    await addComment(db.orm, org.admin, number, { body: 'Rolled back <b>deploy</b> 42 & watching' })
    const slaPayload = {
      target: 'acknowledge' as const,
      severity: 'SEV-3' as const,
      policyVersion: 1,
      targetSeconds: 3600,
      dueAt: new Date().toISOString(),
      warnAt: new Date().toISOString(),
    }
    await appendAs(org, number, 'sla.warning', slaPayload)
    await appendAs(org, number, 'sla.breached', slaPayload)
    const source = { kind: 'slack' as const, messageTs: '1.2', permalink: 'https://x.test/p' }
    await appendAs(
      org,
      number,
      'comment.added',
      { body: 'said in the channel', source: { ...source, channelId: channel.channel_id } },
      org.admin.user.id,
    )
    await appendAs(
      org,
      number,
      'comment.added',
      { body: 'said in another channel', source: { ...source, channelId: 'COTHER' } },
      org.admin.user.id,
    )
    const outcomes = await sync(org)
    expect(outcomes.filter((o) => o === 'skipped')).toHaveLength(1)

    const messages = posts(channel.channel_id).slice(1)
    const texts = messages.map((m) => String(m.body.text))
    expect(texts[0]).toBe(
      `*Ada Admin* commented\n>Rolled back &lt;b&gt;deploy&lt;/b&gt; 42 &amp; watching`,
    )
    expect(messages[0]!.body.thread_ts).toBeUndefined()
    expect(texts[1]).toBe('System signals')
    const parentTs = (await channelOf(org, id))!.signals_thread_ts
    expect(parentTs).toBe(slack.messages.get(channel.channel_id)![2]!.ts)
    const signals = messages.filter((m) => m.body.thread_ts === parentTs)
    expect(signals.map((m) => String(m.body.text).split('\n')[0])).toEqual([
      expect.stringMatching(/^_IncidentFlow_ SLA at risk/),
      expect.stringMatching(/^_IncidentFlow_ SLA breached/),
      // The breach fired the organization's default escalation rule: a signal too.
      expect.stringMatching(/^_IncidentFlow_ escalation rule “.+” fired/),
    ])
    expect(texts.some((t) => t.includes('said in the channel'))).toBe(false)
    expect(texts.some((t) => t.includes('said in another channel'))).toBe(true)
    // The signals moved the summary too (SLA state), in place.
    expect(slack.callsOf('chat.update').every((c) => c.body.ts === channel.summary_ts)).toBe(true)
    expect(slack.callsOf('chat.update')).toHaveLength(2)
  })

  it('archives the channel when the incident closes', async () => {
    const org = await newOrg()
    const { id, number } = await declare(org, 'Disk full', org.admin.user.id)
    for (const action of [
      'start-investigating',
      'mark-mitigated',
      'mark-resolved',
      'start-postmortem',
      'close',
    ] as const)
      await move(org, number, action)
    await sync(org)
    const channel = (await channelOf(org, id))!
    expect(slack.callsOf('conversations.archive').map((c) => c.body.channel)).toEqual([
      channel.channel_id,
    ])
    expect(channel.archived_at).not.toBeNull()
    expect(slack.channels.get(channel.channel_id)!.archived).toBe(true)
    // The archive came last, after the summary showed Closed.
    const methods = slack.calls.map((c) => c.method)
    expect(methods.at(-1)).toBe('conversations.archive')
    expect(JSON.stringify(blocksOf(slack.callsOf('chat.update').at(-1)!.body))).toContain(
      '*Status*\\nClosed',
    )
  })

  it('does not archive when archiving on close is off', async () => {
    const org = await newOrg({ archiveOnClose: false })
    const { id, number } = await declare(org, 'Cache miss storm', org.admin.user.id)
    for (const action of [
      'start-investigating',
      'mark-mitigated',
      'mark-resolved',
      'start-postmortem',
      'close',
    ] as const)
      await move(org, number, action)
    await sync(org)
    expect(slack.callsOf('conversations.archive')).toHaveLength(0)
    expect((await channelOf(org, id))!.archived_at).toBeNull()
    expect((await deliveries(org, id)).some((d) => d.kind === 'archive')).toBe(false)
  })
})

describe('shared channel', () => {
  it('posts each incident’s summary in the shared channel, threads its entries under it, and never archives it', async () => {
    const org = await newOrg({ mode: 'shared', sharedChannelId: 'CSHARED01' })
    const first = await declare(org, 'First', org.admin.user.id)
    const second = await declare(org, 'Second', org.admin.user.id)
    await sync(org)
    expect(slack.callsOf('conversations.create')).toHaveLength(0)
    expect(slack.callsOf('conversations.join').map((c) => c.body.channel)).toEqual([
      'CSHARED01',
      'CSHARED01',
    ])
    const a = (await channelOf(org, first.id))!
    const b = (await channelOf(org, second.id))!
    expect([a.channel_id, b.channel_id]).toEqual(['CSHARED01', 'CSHARED01'])
    expect(a.summary_ts).not.toBe(b.summary_ts)

    await addComment(db.orm, org.admin, second.number, { body: 'About the second' })
    for (const action of [
      'start-investigating',
      'mark-mitigated',
      'mark-resolved',
      'start-postmortem',
      'close',
    ] as const)
      await move(org, first.number, action)
    await sync(org)
    const comment = posts('CSHARED01').find((c) => String(c.body.text).includes('About the second'))
    expect(comment!.body.thread_ts).toBe(b.summary_ts)
    expect(slack.callsOf('conversations.archive')).toHaveLength(0)
    expect(slack.callsOf('conversations.invite')).toHaveLength(0)
  })
})

describe('any way of declaring', () => {
  it('gives an incident declared by an alert (the system, no commander) a channel too', async () => {
    const org = await newOrg()
    const incident = await db.inOrg(
      (em) =>
        declareIncidentAsSystem(em, org.id, {
          title: 'HighErrorRate firing',
          summary: 'From Alertmanager',
          severity: 'SEV-2',
        }),
      org.id,
    )
    // The declaration, and any entry a default escalation rule added after it.
    expect(new Set(await sync(org))).toEqual(new Set(['delivered']))
    const channel = await channelOf(org, incident.id)
    expect(channel!.channel_name).toBe(`inc-${incident.number}-higherrorrate-firing`)
    expect(JSON.stringify(blocksOf(posts(channel!.channel_id)[0]!.body))).toContain(
      '*Commander*\\nNobody',
    )
  })

  it('gives an incident declared through the API (an engineer’s token) a channel too', async () => {
    const org = await newOrg()
    const engineer = await person(org, 'engineer', 'UENGINEER')
    // The API route declares through the same command as the form, as the token's member.
    const { id, number } = await declareIncident(db.orm, engineer, {
      title: 'Declared by CI',
      summary: '',
      severity: 'SEV-4',
    })
    await sync(org)
    expect((await channelOf(org, id))!.channel_name).toBe(`inc-${number}-declared-by-ci`)
    expect(slack.callsOf('conversations.invite').map((c) => c.body.users)).toEqual(['UENGINEER'])
  })
})

describe('tenants', () => {
  it('writes no chat deliveries for an organization without Slack', async () => {
    const org = await newOrg({ slack: false })
    const { id, number } = await declare(org, 'No chat here', org.admin.user.id)
    await addComment(db.orm, org.admin, number, { body: 'hello' })
    await sync(org)
    expect(await deliveries(org, id)).toEqual([])
    const jobs = await db.query(
      `select 1 from pgboss.job where name = 'chat-deliver' and data->>'incidentId' = $1`,
      [id],
    )
    expect(jobs).toEqual([])
    expect(slack.calls).toEqual([])
  })

  it('uses each organization’s own installation, never another’s', async () => {
    const a = await newOrg()
    const b = await newOrg()
    const incident = await declare(b, 'Only in B', b.admin.user.id)
    await relayEvents({ orm: db.orm, boss: db.boss, logger: silentLogger, appUrl: APP_URL })
    // A job naming organization A for B's incident finds nothing under A's scope.
    expect(
      await deliverChat(deps(), {
        organizationId: a.id,
        incidentId: incident.id,
        provider: 'slack',
      }),
    ).toEqual([])
    expect(slack.calls).toEqual([])
    expect(await deliverWaiting(b)).toEqual(['delivered'])
    expect(slack.calls.length).toBeGreaterThan(0)
    expect(new Set(slack.calls.map((c) => c.token))).toEqual(new Set([b.token]))
  })
})

describe('exactly once', () => {
  it('makes one channel when the relay sees the declaration twice', async () => {
    const org = await newOrg()
    const { id } = await declare(org, 'Twice seen', org.admin.user.id)
    await relayEvents({ orm: db.orm, boss: db.boss, logger: silentLogger, appUrl: APP_URL })
    // The relay handling the same event again (a retried fan-out) adds nothing.
    const again = await db.inOrg(async (em) => {
      const incident = await em.findOneOrFail(IncidentSchema, { id })
      const event = await em.findOneOrFail(IncidentEventSchema, { incidentId: id, seq: 1 })
      return queueChatDeliveries(em, db.boss, { incident, event: toStoredEvent(event) })
    }, org.id)
    expect(again).toBe(0)
    await deliverWaiting(org)
    await deliverChat(deps(), { organizationId: org.id, incidentId: id, provider: 'slack' })
    expect(slack.callsOf('conversations.create')).toHaveLength(1)
    expect(await deliveries(org, id)).toHaveLength(1)
  })

  it('finds the channel an attempt made before it could store it, instead of making a second', async () => {
    const org = await newOrg()
    const { id, number } = await declare(org, 'Crash window', org.admin.user.id)
    // The earlier attempt's channel: Slack made it, the worker died before writing it down.
    slack.channels.set('CLOST0001', {
      name: `inc-${number}-crash-window`,
      archived: false,
      members: [DOUBLE_BOT_USER_ID],
    })
    // Someone else's channel with the name the next try would take is not ours.
    slack.channels.set('CHUMAN001', {
      name: `inc-${number}-crash-window-2`,
      archived: false,
      members: [],
    })
    slack.respond('users.conversations', () => ({
      ok: true,
      channels: [...slack.channels]
        .filter(([, c]) => c.members.includes(DOUBLE_BOT_USER_ID))
        .map(([cid, c]) => ({ id: cid, name: c.name })),
      response_metadata: { next_cursor: '' },
    }))
    expect(await sync(org)).toEqual(['delivered'])
    expect((await channelOf(org, id))!.channel_id).toBe('CLOST0001')
    expect(slack.channels.size).toBe(2)
  })

  it('takes the next free name when a channel that is not ours has the name', async () => {
    const org = await newOrg()
    const { id, number } = await declare(org, 'Name clash', org.admin.user.id)
    slack.channels.set('CHUMAN002', {
      name: `inc-${number}-name-clash`,
      archived: false,
      members: [],
    })
    slack.respond('users.conversations', () => ({ ok: true, channels: [] }))
    expect(await sync(org)).toEqual(['delivered'])
    expect((await channelOf(org, id))!.channel_name).toBe(`inc-${number}-name-clash-2`)
  })
})

describe('rate limits and failures', () => {
  it('honours Retry-After: the next attempt is not made before it, and the wait is not an attempt', async () => {
    const org = await newOrg()
    const { id, number } = await declare(org, 'Slow down', org.admin.user.id)
    await sync(org)
    await addComment(db.orm, org.admin, number, { body: 'first comment' })
    slack.rateLimitNext('chat.postMessage', 30)
    const before = now().getTime()
    expect(await sync(org)).toEqual(['rate-limited'])
    let [entry] = (await deliveries(org, id)).filter((d) => d.kind === 'entry')
    expect(entry!.status).toBe('pending')
    expect(entry!.attempts).toBe(0)
    expect(entry!.next_attempt_at!.getTime()).toBeGreaterThanOrEqual(before + 30_000)
    const job = await db.query<{ start_after: Date }>(
      `select start_after from pgboss.job where name = 'chat-deliver'
         and data->>'incidentId' = $1 order by start_after desc limit 1`,
      [id],
    )
    expect(job[0]!.start_after.getTime()).toBe(entry!.next_attempt_at!.getTime())

    const callsBefore = slack.calls.length
    clockOffsetMs = 20_000
    expect(await deliverWaiting(org)).toEqual(['not-due'])
    expect(slack.calls.length).toBe(callsBefore)

    clockOffsetMs = 31_000
    expect(await deliverWaiting(org)).toEqual(['delivered'])
    ;[entry] = (await deliveries(org, id)).filter((d) => d.kind === 'entry')
    expect(entry!.status).toBe('delivered')
    expect(posts().filter((c) => String(c.body.text).includes('first comment'))).toHaveLength(2)
  })

  it('keeps later entries behind a failing one, gives up after the schedule, and lists it under Failed deliveries for a retry', async () => {
    const org = await newOrg()
    const { id, number } = await declare(org, 'Broken posting', org.admin.user.id)
    await sync(org)
    let refuse = true
    slack.respond('chat.postMessage', () =>
      refuse ? { ok: false, error: 'not_in_channel' } : undefined,
    )
    await addComment(db.orm, org.admin, number, { body: 'one' })
    await addComment(db.orm, org.admin, number, { body: 'two' })
    expect(await sync(org)).toEqual(['retry-scheduled'])
    let rows = (await deliveries(org, id)).filter((d) => d.kind === 'entry')
    expect(rows.map((r) => [r.status, r.attempts])).toEqual([
      ['pending', 1],
      ['pending', 0],
    ])
    expect(rows[0]!.last_error).toBe('Slack chat.postMessage: not_in_channel')

    clockOffsetMs = 61_000
    expect(await deliverWaiting(org)).toEqual(['retry-scheduled'])
    clockOffsetMs = 61_000 + 121_000
    // The schedule is spent: the first is dead; the second, no longer blocked, fails in turn.
    expect(await deliverWaiting(org)).toEqual(['dead', 'retry-scheduled'])
    rows = (await deliveries(org, id)).filter((d) => d.kind === 'entry')
    expect(rows[0]!.status).toBe('dead')
    expect(rows[0]!.last_error).toBe(
      'Gave up after 3 attempts. Last: Slack chat.postMessage: not_in_channel',
    )

    const failed = await listFailedChatDeliveries(db.orm, org.admin)
    expect(failed).toEqual([
      expect.objectContaining({
        kind: 'slack',
        id: rows[0]!.id,
        status: 'dead',
        what: `INC-${number} · timeline entry`,
        attempts: 3,
      }),
    ])
    const engineer = await person(org, 'engineer')
    await expect(retryChatDelivery(db.orm, db.boss, engineer, rows[0]!.id)).rejects.toMatchObject({
      status: 403,
    })
    const other = await newOrg()
    await expect(
      retryChatDelivery(db.orm, db.boss, other.admin, rows[0]!.id),
    ).rejects.toMatchObject({
      status: 404,
    })

    refuse = false
    await retryChatDelivery(db.orm, db.boss, org.admin, rows[0]!.id)
    expect((await deliveries(org, id)).find((d) => d.id === rows[0]!.id)!.status).toBe('pending')
    clockOffsetMs += 61_000
    expect(await deliverWaiting(org)).toEqual(['delivered', 'delivered'])
    expect(await listFailedChatDeliveries(db.orm, org.admin)).toEqual([])
  })

  it('counts a 429 as an attempt once the cap of rate limits in a row is reached', async () => {
    const org = await newOrg()
    const { id, number } = await declare(org, 'Always throttled', org.admin.user.id)
    await sync(org)
    await addComment(db.orm, org.admin, number, { body: 'throttled' })
    await relayEvents({ orm: db.orm, boss: db.boss, logger: silentLogger, appUrl: APP_URL })
    await db.query(
      `update chat_delivery set last_error = $2
        where incident_id = $1 and kind = 'entry'`,
      [id, `Rate limited (${RATE_LIMIT_CAP} in a row): Slack chat.postMessage: rate limited`],
    )
    slack.rateLimitNext('chat.postMessage', 5)
    expect(await deliverWaiting(org)).toEqual(['retry-scheduled'])
    const [entry] = (await deliveries(org, id)).filter((d) => d.kind === 'entry')
    expect(entry!.attempts).toBe(1)
  })

  it('holds entries while their channel is missing: they wait without using attempts, then follow the retried channel', async () => {
    const org = await newOrg()
    let refuse = true
    slack.respond('conversations.create', () =>
      refuse ? { ok: false, error: 'restricted_action' } : undefined,
    )
    const { id, number } = await declare(org, 'No channel yet', org.admin.user.id)
    expect(await sync(org)).toEqual(['retry-scheduled'])
    clockOffsetMs = 61_000
    expect(await deliverWaiting(org)).toEqual(['retry-scheduled'])
    clockOffsetMs += 121_000
    await addComment(db.orm, org.admin, number, { body: 'waiting for the channel' })
    await relayEvents({ orm: db.orm, boss: db.boss, logger: silentLogger, appUrl: APP_URL })
    expect(await deliverWaiting(org)).toEqual(['dead', 'waiting'])
    let rows = await deliveries(org, id)
    const entry = rows.find((d) => d.kind === 'entry')!
    expect(entry).toMatchObject({
      status: 'pending',
      attempts: 0,
      last_error: 'Waiting for the incident’s Slack channel.',
    })
    expect(entry.next_attempt_at!.getTime()).toBeGreaterThan(now().getTime())

    refuse = false
    await retryChatDelivery(db.orm, db.boss, org.admin, rows.find((d) => d.kind === 'channel')!.id)
    clockOffsetMs += 60 * 60 * 1000
    expect(await deliverWaiting(org)).toEqual(['delivered', 'delivered'])
    rows = await deliveries(org, id)
    expect(rows.map((d) => d.status)).toEqual(['delivered', 'delivered'])
    const channel = (await channelOf(org, id))!
    expect(posts(channel.channel_id).map((c) => String(c.body.text))).toEqual([
      expect.stringContaining('No channel yet'),
      expect.stringContaining('waiting for the channel'),
    ])
  })

  it('gives up on an entry whose channel never came, after two days of waiting', async () => {
    const org = await newOrg()
    slack.respond('conversations.create', () => ({ ok: false, error: 'restricted_action' }))
    const { id, number } = await declare(org, 'Never a channel', org.admin.user.id)
    await sync(org)
    clockOffsetMs = 61_000
    await deliverWaiting(org)
    clockOffsetMs += 121_000
    await addComment(db.orm, org.admin, number, { body: 'nowhere to go' })
    await relayEvents({ orm: db.orm, boss: db.boss, logger: silentLogger, appUrl: APP_URL })
    expect(await deliverWaiting(org)).toEqual(['dead', 'waiting'])
    clockOffsetMs += 2 * 24 * 60 * 60 * 1000
    expect(await deliverWaiting(org)).toEqual(['dead'])
    const entry = (await deliveries(org, id)).find((d) => d.kind === 'entry')!
    expect(entry.status).toBe('dead')
    expect(entry.last_error).toBe(
      'Gave up after waiting 2 days. Waiting for the incident’s Slack channel.',
    )
  })

  it('delivers each entry once and in order when two workers take the same incident at once', async () => {
    const org = await newOrg()
    const { id, number } = await declare(org, 'Two workers', org.admin.user.id)
    for (const n of [1, 2, 3, 4, 5, 6])
      await addComment(db.orm, org.admin, number, { body: `comment ${n}` })
    await relayEvents({ orm: db.orm, boss: db.boss, logger: silentLogger, appUrl: APP_URL })
    const payload = { organizationId: org.id, incidentId: id, provider: 'slack' as const }
    const [a, b] = await Promise.all([deliverChat(deps(), payload), deliverChat(deps(), payload)])
    expect([...a, ...b].filter((o) => o === 'delivered')).toHaveLength(7)
    expect(slack.callsOf('conversations.create')).toHaveLength(1)
    const channel = (await channelOf(org, id))!
    expect(
      posts(channel.channel_id)
        .slice(1)
        .map((c) => String(c.body.text).split('>')[1]),
    ).toEqual(['comment 1', 'comment 2', 'comment 3', 'comment 4', 'comment 5', 'comment 6'])
  })
})
