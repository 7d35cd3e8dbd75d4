import { randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { slackHooksRouter } from '~/domain/chat/slack-inbound/router.server'
import { slackSignature } from '~/domain/chat/slack-inbound/signature'
import { runSlackDeclare } from '~/domain/chat/slack-inbound/declare-job.server'
import { connectWithManifest } from '~/domain/chat/slack-installation.server'
import { assignIncident, declareIncident } from '~/domain/incident/incident-service.server'
import type { JobPayload } from '~/queue/queues'
import { now as clockNow } from '~/utils/clock'
import { inScope } from '../../db/tenant'
import { silentLogger, testEnv } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { addMember, loadIncident, type TestMember } from '../support/incidents'
import { startSlackDouble, type SlackDouble } from '../support/slack-double'

/**
 * Slack → IncidentFlow over HTTP: the real Slack router (the same Express router the web process
 * mounts) on a test database, requests signed in the test with the installation's signing secret,
 * and the Slack Web API double answering users.info, conversations.history, chat.getPermalink and
 * the response URLs.
 */

const db = setUpTestDatabase('slack_inbound')

const SIGNING_SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'
const BOT_TOKEN = 'xoxb-1000-2000-inboundtesttoken'
const KEY = randomBytes(32).toString('hex')

let double: SlackDouble
let server: Server
let baseUrl: string
let env: ReturnType<typeof testEnv>
let admin: TestMember
let commander: TestMember
let bystander: TestMember
let incidentNumber: number
const CHANNEL = 'CINCIDENT1'

// Slack user ids of the workspace's people.
const U_COMMANDER = 'UCOMMANDER'
const U_BYSTANDER = 'UBYSTANDER'
const U_STRANGER = 'USTRANGER1'
const U_GUEST = 'UGUESTNOMEMBER'

beforeAll(async () => {
  double = await startSlackDouble()
  env = testEnv(db, { SLACK_API_URL: double.url, SECRETS_ENCRYPTION_KEY: KEY })
  const app = express()
  app.use(
    slackHooksRouter({ orm: db.orm, boss: db.boss, env, logger: silentLogger, now: clockNow }),
  )
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  admin = await addMember(db, db.organizationId, 'admin')
  commander = await addMember(db, db.organizationId, 'engineer', { name: 'Cora Commander' })
  bystander = await addMember(db, db.organizationId, 'engineer', { name: 'Bo Bystander' })
  await connectWithManifest(db.orm, env, admin, {
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
  })
})

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await double?.stop()
})

beforeEach(async () => {
  double.calls.length = 0
  double.messages.clear()
  for (const id of Object.keys(double.users)) delete double.users[id]
  // Slack reports addresses as people typed them: matching ignores case.
  double.users[U_COMMANDER] = { email: commander.user.email.toUpperCase(), name: 'Cora C.' }
  double.users[U_BYSTANDER] = { email: bystander.user.email, name: 'Bo B.' }
  double.users[U_STRANGER] = { email: 'stranger@elsewhere.test', name: 'Stranger' }
  double.users[U_GUEST] = { email: null, name: 'Guest Person' }
  await db.query('delete from slack_member')
  const incident = await declareIncident(db.orm, commander, {
    title: `Checkout errors ${randomBytes(2).toString('hex')}`,
    summary: '',
    severity: 'SEV-3',
  })
  incidentNumber = incident.number
  await db.query('delete from slack_incident_channel where organization_id = $1', [
    db.organizationId,
  ])
  await db.query(
    `insert into slack_incident_channel (organization_id, incident_id, channel_id, channel_name, created_at)
     values ($1, $2, $3, $4, now())`,
    [db.organizationId, incident.id, CHANNEL, `inc-${incident.number}-checkout`],
  )
})

// --- Request builders --------------------------------------------------------------------------

interface SendOptions {
  secret?: string
  timestamp?: number
  headers?: Record<string, string | null>
}

function send(kind: string, body: string, contentType: string, options: SendOptions = {}) {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000))
  const headers: Record<string, string> = {
    'Content-Type': contentType,
    'X-Slack-Request-Timestamp': timestamp,
    'X-Slack-Signature': slackSignature(options.secret ?? SIGNING_SECRET, timestamp, body),
  }
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === null) delete headers[name]
    else headers[name] = value
  }
  return fetch(`${baseUrl}/hooks/slack/${kind}`, { method: 'POST', headers, body })
}

function command(text: string, fields: Record<string, string> = {}, options: SendOptions = {}) {
  const body = new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: double.team.id,
    team_domain: double.team.domain,
    channel_id: CHANNEL,
    channel_name: 'inc',
    user_id: U_COMMANDER,
    user_name: 'cora',
    command: '/incident',
    text,
    response_url: double.responseUrl(),
    trigger_id: `trig.${randomBytes(6).toString('hex')}`,
    ...fields,
  }).toString()
  return send('commands', body, 'application/x-www-form-urlencoded', options)
}

async function commandReply(text: string, fields: Record<string, string> = {}) {
  const response = await command(text, fields)
  expect(response.status).toBe(200)
  return (await response.json()) as { text: string; response_type: string }
}

function interaction(payload: Record<string, unknown>, options: SendOptions = {}) {
  const body = new URLSearchParams({
    payload: JSON.stringify({
      team: { id: double.team.id, domain: double.team.domain },
      trigger_id: `trig.${randomBytes(6).toString('hex')}`,
      response_url: double.responseUrl(),
      ...payload,
    }),
  }).toString()
  return send('interactivity', body, 'application/x-www-form-urlencoded', options)
}

function event(
  inner: Record<string, unknown>,
  eventId = `Ev${randomBytes(5).toString('hex')}`,
  options: SendOptions = {},
) {
  const body = JSON.stringify({
    token: 'legacy',
    team_id: double.team.id,
    api_app_id: 'ADOUBLEAPP',
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    event: inner,
  })
  return send('events', body, 'application/json', options)
}

const pin = (user: string, ts: string, itemUser: string, type = 'reaction_added') => ({
  type,
  user,
  reaction: 'pushpin',
  item_user: itemUser,
  item: { type: 'message', channel: CHANNEL, ts },
  event_ts: ts,
})

async function incident(number = incidentNumber) {
  return loadIncident(db.orm, db.organizationId, number)
}

const responses = () => double.callsOf('response_url').map((c) => String(c.body.text))

async function slackJobs() {
  return db.query<{ data: JobPayload<'slack-declare'> }>(
    `select data from pgboss.job where name = 'slack-declare' order by created_on`,
  )
}

// --- Tests -------------------------------------------------------------------------------------

describe('/incident declare', () => {
  it('answers at once and the worker declares the incident as the matched member', async () => {
    const before = (await slackJobs()).length
    const reply = await commandReply('declare SEV-2 Payments API timing out')
    expect(reply.text).toContain('Declaring “Payments API timing out” as SEV-2')
    const jobs = await slackJobs()
    expect(jobs).toHaveLength(before + 1)
    const payload = jobs.at(-1)!.data
    expect(payload).toMatchObject({ userId: commander.user.id, severity: 'SEV-2' })

    const deps = { orm: db.orm, env, logger: silentLogger }
    expect(await runSlackDeclare(deps, payload, new Date())).toBe('declared')
    const [row] = await db.query<{ number: number; declared_by_id: string; severity: string }>(
      `select number, declared_by_id, severity from incident
        where organization_id = $1 and title = 'Payments API timing out'`,
      [db.organizationId],
    )
    expect(row).toMatchObject({ declared_by_id: commander.user.id, severity: 'SEV-2' })
    expect(responses().at(-1)).toContain(`declared INC-${row!.number}: Payments API timing out`)

    // The job handed out again declares nothing more.
    expect(await runSlackDeclare(deps, payload, new Date())).toBe('duplicate')
    const count = await db.query(
      `select 1 from incident where organization_id = $1 and title = 'Payments API timing out'`,
      [db.organizationId],
    )
    expect(count).toHaveLength(1)
  })

  it('refuses a title that is too short, queuing nothing', async () => {
    const before = (await slackJobs()).length
    const reply = await commandReply('declare SEV-1 ab')
    expect(reply.text).toContain('Give the incident a title')
    expect(await slackJobs()).toHaveLength(before)
  })

  it('tells a Slack user without a member account that nothing happened', async () => {
    const before = (await slackJobs()).length
    const reply = await commandReply('declare Something broke', { user_id: U_STRANGER })
    expect(reply.response_type).toBe('ephemeral')
    expect(reply.text).toContain('does not belong to an active IncidentFlow member')
    expect(await slackJobs()).toHaveLength(before)
    const members = await db.query('select 1 from slack_member where slack_user_id = $1', [
      U_STRANGER,
    ])
    expect(members).toHaveLength(0)
  })
})

describe('when Slack cannot say who someone is', () => {
  it('answers that nothing was done', async () => {
    double.respond('users.info', () => ({ ok: false, error: 'account_inactive' }))
    try {
      const before = (await slackJobs()).length
      const reply = await commandReply('declare Checkout broken')
      expect(reply.text).toContain('nothing was done')
      expect(await slackJobs()).toHaveLength(before)
      expect((await commandReply('ack')).text).toContain('nothing was done')
      expect((await incident()).incident.status).toBe('detected')
    } finally {
      double.respond('users.info', () => undefined)
    }
  })
})

describe('commands in an incident channel', () => {
  it('ack, mitigated and resolved move the incident as the member', async () => {
    expect((await commandReply('ack')).text).toContain(`INC-${incidentNumber} is now Investigating`)
    expect((await commandReply('mitigated')).text).toContain('is now Mitigated')
    expect((await commandReply('resolved')).text).toContain('is now Resolved')
    const { incident: row, events } = await incident()
    expect(row.status).toBe('resolved')
    const changes = events.filter((e) => e.type === 'incident.status_changed')
    expect(changes.map((e) => e.actorId)).toEqual([
      commander.user.id,
      commander.user.id,
      commander.user.id,
    ])
  })

  it('explains a transition the lifecycle does not allow, changing nothing', async () => {
    const before = await incident()
    const reply = await commandReply('resolved')
    expect(reply.response_type).toBe('ephemeral')
    expect(reply.text).toMatch(/^Nothing changed: /)
    const after = await incident()
    expect(after.incident.status).toBe('detected')
    expect(after.events).toHaveLength(before.events.length)
  })

  it('refuses someone who is neither commander nor assignee, as the web form does', async () => {
    const reply = await commandReply('ack', { user_id: U_BYSTANDER })
    expect(reply.text).toMatch(/^Nothing changed: .*commander/)
    expect((await incident()).incident.status).toBe('detected')
    // Once assigned, the same person may.
    await assignIncident(db.orm, admin, incidentNumber, {
      commanderId: commander.user.id,
      assigneeIds: [bystander.user.id],
    })
    expect((await commandReply('ack', { user_id: U_BYSTANDER })).text).toContain('Investigating')
  })

  it('changes the severity with a reason, and explains a missing severity or reason', async () => {
    expect((await commandReply('severity')).text).toContain('Name the severity')
    expect((await commandReply('severity SEV-9 because')).text).toContain('Name the severity')
    expect((await commandReply('severity SEV-1')).text).toContain('Give a reason')
    expect((await commandReply('severity SEV-3 same as now')).text).toContain(
      'Nothing changed: That is already the severity.',
    )
    expect((await incident()).incident.severity).toBe('SEV-3')
    const reply = await commandReply('severity SEV-1 all regions <down>')
    expect(reply.text).toContain('is now SEV-1')
    expect(reply.text).toContain('all regions &lt;down&gt;')
    const { incident: row, events } = await incident()
    expect(row.severity).toBe('SEV-1')
    expect(events.at(-1)).toMatchObject({
      type: expect.stringMatching(/severity_changed|sla\.retargeted/),
    })
  })

  it('adds a note as a comment that records the channel it came from', async () => {
    const reply = await commandReply('note Rolled back deploy 4512')
    expect(reply.response_type).toBe('in_channel')
    const comment = (await incident()).events.find((e) => e.type === 'comment.added')
    expect(comment).toMatchObject({
      actorId: commander.user.id,
      payload: { body: 'Rolled back deploy 4512', source: { kind: 'slack', channelId: CHANNEL } },
    })
    expect((await commandReply('note')).text).toContain('Write the note')
  })

  it('shows the status, and help for an unknown subcommand', async () => {
    const status = await commandReply('status')
    expect(status.text).toContain(`INC-${incidentNumber}`)
    expect(status.text).toContain('Status: Detected · Severity: SEV-3 · Commander: Cora Commander')
    const help = await commandReply('dance')
    expect(help.text).toContain('I don’t know “dance”')
    expect(help.text).toContain('/incident declare')
  })

  it('needs INC-n outside an incident channel, and takes it anywhere', async () => {
    const elsewhere = { channel_id: 'CRANDOM001' }
    expect((await commandReply('ack', elsewhere)).text).toContain('not an incident’s channel')
    expect((await incident()).incident.status).toBe('detected')
    expect((await commandReply(`ack INC-${incidentNumber}`, elsewhere)).text).toContain(
      'Investigating',
    )
  })

  it("refuses another organization's incident, by channel or by number", async () => {
    const otherOrg = await db.createOrganization('Other Org')
    const otherCommander = await addMember(db, otherOrg, 'admin')
    const other = await declareIncident(db.orm, otherCommander, {
      title: 'Their incident',
      summary: '',
      severity: 'SEV-2',
    })
    await db.query(
      `insert into slack_incident_channel (organization_id, incident_id, channel_id, channel_name, created_at)
       values ($1, $2, 'COTHERORG1', 'inc-other', now())`,
      [otherOrg, other.id],
    )
    const byChannel = await commandReply('ack', { channel_id: 'COTHERORG1' })
    expect(byChannel.text).toContain('not an incident’s channel')
    const missing = 900_000 + other.number
    const byNumber = await commandReply(`ack INC-${missing}`)
    expect(byNumber.text).toContain(`INC-${missing} was not found`)
    const theirs = await loadIncident(db.orm, otherOrg, other.number)
    expect(theirs.incident.status).toBe('detected')
    expect(theirs.events).toHaveLength(1)
  })

  it('answers a member with no part in a private incident as for one that does not exist', async () => {
    const hidden = await declareIncident(db.orm, commander, {
      title: 'Private matter',
      summary: '',
      severity: 'SEV-3',
      private: true,
    })
    const elsewhere = { channel_id: 'CRANDOM001', user_id: U_BYSTANDER }
    for (const text of [`status INC-${hidden.number}`, `note INC-${hidden.number} hello`]) {
      const reply = await commandReply(text, elsewhere)
      expect(reply.text).toContain(`INC-${hidden.number} was not found`)
      expect(reply.text).not.toContain('Private matter')
    }
    expect((await loadIncident(db.orm, db.organizationId, hidden.number)).events).toHaveLength(1)
    const own = await commandReply(`status INC-${hidden.number}`, { channel_id: 'CRANDOM001' })
    expect(own.text).toContain('Private matter')
  })
})

describe('summary message buttons', () => {
  it('run the same transitions and answer through the response URL', async () => {
    const click = (actionId: string, value = `INC-${incidentNumber}`, user = U_COMMANDER) =>
      interaction({
        type: 'block_actions',
        user: { id: user },
        channel: { id: CHANNEL },
        actions: [{ action_id: actionId, value, type: 'button' }],
      })
    expect((await click('incident_mark_mitigated')).status).toBe(200)
    expect(responses().at(-1)).toMatch(/^Nothing changed: /)
    expect((await incident()).incident.status).toBe('detected')

    expect((await click('incident_start_investigating')).status).toBe(200)
    expect(responses().at(-1)).toBe(`INC-${incidentNumber} is now Investigating.`)
    expect((await click('incident_mark_mitigated')).status).toBe(200)
    expect((await incident()).incident.status).toBe('mitigated')

    await click('incident_mark_resolved', `INC-${incidentNumber}`, U_STRANGER)
    expect(responses().at(-1)).toContain('does not belong to an active IncidentFlow member')
    expect((await incident()).incident.status).toBe('mitigated')
  })
})

describe('📌 and "Add to timeline"', () => {
  it('capture a message attributed to its author, with its permalink, once per event id', async () => {
    const ts = double.addMessage(CHANNEL, U_BYSTANDER, 'DB failover started at 10:02')
    const eventId = 'EvPINONCE01'
    const first = await event(pin(U_COMMANDER, ts, U_BYSTANDER), eventId)
    expect(first.status).toBe(200)
    // Slack retries an event it thinks went unanswered: same id, X-Slack-Retry-Num.
    const retry = await event(pin(U_COMMANDER, ts, U_BYSTANDER), eventId, {
      headers: { 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'http_timeout' },
    })
    expect(retry.status).toBe(200)
    const captured = (await incident()).events.filter((e) => e.type === 'chat.message_captured')
    expect(captured).toHaveLength(1)
    expect(captured[0]).toMatchObject({
      actorId: bystander.user.id,
      payload: {
        body: 'DB failover started at 10:02',
        author: { userId: bystander.user.id, chatUserId: U_BYSTANDER },
        capturedBy: { userId: commander.user.id, via: 'reaction' },
        source: {
          kind: 'slack',
          channelId: CHANNEL,
          messageTs: ts,
          permalink: `https://double.slack.com/archives/${CHANNEL}/p${ts.replace('.', '')}`,
        },
      },
    })
    // The retry was recognised by its event id and not processed again.
    expect(double.callsOf('conversations.history')).toHaveLength(1)
    const history = double.callsOf('conversations.history')[0]!.body
    expect(history).toMatchObject({ channel: CHANNEL, latest: ts, inclusive: 'true', limit: '1' })
    expect(
      await db.query('select kind from slack_inbound_receipt where receipt_id = $1', [eventId]),
    ).toEqual([{ kind: 'events' }])
  })

  it('renders the captured text like a comment, escaping markup', async () => {
    const ts = double.addMessage(CHANNEL, U_COMMANDER, 'Saw <script>alert(1)</script> **bold**')
    await event(pin(U_COMMANDER, ts, U_COMMANDER))
    const captured = (await incident()).events.find((e) => e.type === 'chat.message_captured')!
    const [entry] = await db.query<{ html: string; html_of: string }>(
      'select html, html_of from incident_timeline_entry where incident_id = $1 and seq = $2',
      [captured.incidentId, captured.seq],
    )
    expect(entry!.html_of).toBe('comment')
    expect(entry!.html).toContain('<strong>bold</strong>')
    expect(entry!.html).not.toContain('<script')
  })

  it('names an author without a member account and makes the capturing member the actor', async () => {
    const ts = double.addMessage(CHANNEL, U_GUEST, 'Customer reports 502s in EU')
    await event(pin(U_COMMANDER, ts, U_GUEST))
    const captured = (await incident()).events.find((e) => e.type === 'chat.message_captured')
    expect(captured).toMatchObject({
      actorId: commander.user.id,
      payload: { author: { userId: null, chatUserId: U_GUEST, name: 'Guest Person' } },
    })
  })

  it('records a correction when the 📌 is removed, keeping the entry', async () => {
    const ts = double.addMessage(CHANNEL, U_COMMANDER, 'Cause found: expired certificate')
    await event(pin(U_COMMANDER, ts, U_COMMANDER))
    await event(pin(U_COMMANDER, ts, U_COMMANDER, 'reaction_removed'))
    const events = (await incident()).events
    const captured = events.find((e) => e.type === 'chat.message_captured')!
    const retracted = events.filter((e) => e.type === 'chat.capture_retracted')
    expect(retracted).toHaveLength(1)
    expect(retracted[0]).toMatchObject({
      actorId: commander.user.id,
      payload: { capturedSeq: captured.seq, source: { messageTs: ts } },
    })
    // Removing again (nothing captured any more) adds nothing.
    await event(pin(U_COMMANDER, ts, U_COMMANDER, 'reaction_removed'))
    expect((await incident()).events).toHaveLength(events.length)
  })

  it('adds nothing for a message the app cannot read, and records an author Slack cannot name', async () => {
    const before = (await incident()).events.length
    // Slack refuses history the app cannot read (not in the channel).
    double.respond('conversations.history', () => ({ ok: false, error: 'not_in_channel' }))
    try {
      const response = await event(pin(U_COMMANDER, '1700000000.000001', U_COMMANDER))
      expect(response.status).toBe(200)
    } finally {
      double.respond('conversations.history', () => undefined)
    }
    expect((await incident()).events).toHaveLength(before)

    const ts = double.addMessage(CHANNEL, 'UDELETED01', 'Posted by someone since removed')
    expect((await event(pin(U_COMMANDER, ts, 'UDELETED01'))).status).toBe(200)
    const captured = (await incident()).events.find((e) => e.type === 'chat.message_captured')
    expect(captured).toMatchObject({
      actorId: commander.user.id,
      payload: { author: { userId: null, chatUserId: 'UDELETED01', name: 'unknown Slack user' } },
    })
  })

  it('captures a reply inside a thread of the incident channel', async () => {
    const parent = double.addMessage(CHANNEL, U_COMMANDER, 'Investigating the database')
    const reply = double.addMessage(CHANNEL, U_BYSTANDER, 'Replica lag is 40 s', parent)
    await event(pin(U_COMMANDER, reply, U_BYSTANDER))
    const captured = (await incident()).events.find((e) => e.type === 'chat.message_captured')
    expect(captured).toMatchObject({
      payload: { body: 'Replica lag is 40 s', source: { messageTs: reply } },
    })
    expect(double.callsOf('conversations.replies').at(-1)!.body).toMatchObject({
      channel: CHANNEL,
      ts: reply,
    })
  })

  it('in the shared channel, captures a reply for the incident whose summary starts the thread', async () => {
    const SHARED = 'CSHARED001'
    await db.query(
      `update slack_installation set channel_mode = 'shared', shared_channel_id = $2
        where organization_id = $1`,
      [db.organizationId, SHARED],
    )
    try {
      const other = await declareIncident(db.orm, commander, {
        title: 'Another incident in the shared channel',
        summary: '',
        severity: 'SEV-4',
      })
      const ours = double.addMessage(SHARED, 'UBOTDOUBLE', `INC-${incidentNumber} summary`)
      const theirs = double.addMessage(SHARED, 'UBOTDOUBLE', `INC-${other.number} summary`)
      const { incident: row } = await incident()
      await db.query(
        `update slack_incident_channel set channel_id = $3, summary_ts = $4
          where organization_id = $1 and incident_id = $2`,
        [db.organizationId, row.id, SHARED, ours],
      )
      await db.query(
        `insert into slack_incident_channel
           (organization_id, incident_id, channel_id, channel_name, summary_ts, created_at)
         values ($1, $2, $3, 'incidents', $4, now())`,
        [db.organizationId, other.id, SHARED, theirs],
      )
      const reply = double.addMessage(SHARED, U_BYSTANDER, 'Cache flushed', ours)
      const topLevel = double.addMessage(SHARED, U_BYSTANDER, 'Which incident is this?')
      const pinIn = (ts: string, user: string) => ({
        ...pin(U_COMMANDER, ts, user),
        item: { type: 'message', channel: SHARED, ts },
      })
      await event(pinIn(reply, U_BYSTANDER))
      await event(pinIn(topLevel, U_BYSTANDER))
      await event(pinIn(ours, 'UBOTDOUBLE'))
      const mine = (await incident()).events.filter((e) => e.type === 'chat.message_captured')
      expect(mine).toHaveLength(1)
      expect(mine[0]).toMatchObject({ payload: { body: 'Cache flushed' } })
      const theirEvents = (await incident(other.number)).events
      expect(theirEvents.some((e) => e.type === 'chat.message_captured')).toBe(false)
    } finally {
      await db.query(
        `update slack_installation set channel_mode = 'per_incident', shared_channel_id = null
          where organization_id = $1`,
        [db.organizationId],
      )
    }
  })

  it('ignores other reactions, other channels and people who are not members', async () => {
    const ts = double.addMessage(CHANNEL, U_COMMANDER, 'Just chatting')
    const before = (await incident()).events.length
    await event({ ...pin(U_COMMANDER, ts, U_COMMANDER), reaction: 'eyes' })
    await event({
      ...pin(U_COMMANDER, ts, U_COMMANDER),
      item: { type: 'message', channel: 'CRANDOM001', ts },
    })
    await event(pin(U_STRANGER, ts, U_COMMANDER))
    expect((await incident()).events).toHaveLength(before)
  })

  it('tells someone who may not change the incident privately, adding nothing', async () => {
    const ts = double.addMessage(CHANNEL, U_COMMANDER, 'Bystander pins this')
    const before = (await incident()).events.length
    await event(pin(U_BYSTANDER, ts, U_COMMANDER))
    expect((await incident()).events).toHaveLength(before)
    const ephemeral = double.callsOf('chat.postEphemeral').at(-1)!.body
    expect(ephemeral).toMatchObject({ channel: CHANNEL, user: U_BYSTANDER })
    expect(String(ephemeral.text)).toContain('Only the commander, an assignee or an admin')
  })

  it('the message shortcut captures the message from its payload', async () => {
    const ts = `${Math.floor(Date.now() / 1000)}.000100`
    const response = await interaction({
      type: 'message_action',
      callback_id: 'add_to_timeline',
      user: { id: U_COMMANDER },
      channel: { id: CHANNEL },
      message: { type: 'message', user: U_BYSTANDER, ts, text: 'Traffic back to normal' },
    })
    expect(response.status).toBe(200)
    expect(responses().at(-1)).toBe(`Added to INC-${incidentNumber}’s timeline.`)
    const captured = (await incident()).events.find((e) => e.type === 'chat.message_captured')
    expect(captured).toMatchObject({
      actorId: bystander.user.id,
      payload: { body: 'Traffic back to normal', capturedBy: { via: 'shortcut' } },
    })
  })
})

describe('verification', () => {
  async function nothingWritten(work: () => Promise<Response>) {
    const receipts = await db.query('select 1 from slack_inbound_receipt')
    const before = (await incident()).events.length
    const response = await work()
    expect(response.status).toBe(401)
    expect(await db.query('select 1 from slack_inbound_receipt')).toHaveLength(receipts.length)
    expect((await incident()).events).toHaveLength(before)
    expect(double.callsOf('users.info')).toHaveLength(0)
  }

  it('refuses a wrong signature, an old or future timestamp and missing headers with 401', async () => {
    await nothingWritten(() => command('ack', {}, { secret: 'not-the-signing-secret-0000000000' }))
    const now = Math.floor(Date.now() / 1000)
    await nothingWritten(() => command('ack', {}, { timestamp: now - 6 * 60 }))
    await nothingWritten(() => command('ack', {}, { timestamp: now + 6 * 60 }))
    await nothingWritten(() => command('ack', {}, { headers: { 'X-Slack-Signature': null } }))
    await nothingWritten(() =>
      command('ack', {}, { headers: { 'X-Slack-Request-Timestamp': null } }),
    )
    const ts = double.addMessage(CHANNEL, U_COMMANDER, 'forged pin')
    await nothingWritten(() =>
      event(pin(U_COMMANDER, ts, U_COMMANDER), 'EvFORGED01', { secret: 'wrong-secret-000000000' }),
    )
    await nothingWritten(() =>
      interaction(
        {
          type: 'block_actions',
          user: { id: U_COMMANDER },
          actions: [{ action_id: 'incident_start_investigating', value: `INC-${incidentNumber}` }],
        },
        { headers: { 'X-Slack-Signature': 'v0=' + '0'.repeat(64) } },
      ),
    )
    // A body changed after signing.
    const timestamp = String(now)
    await nothingWritten(() =>
      fetch(`${baseUrl}/hooks/slack/commands`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-www-form-urlencoded',
          'X-Slack-Request-Timestamp': timestamp,
          'X-Slack-Signature': slackSignature(SIGNING_SECRET, timestamp, 'text=status'),
        },
        body: new URLSearchParams({ team_id: double.team.id, user_id: U_COMMANDER, text: 'ack' }),
      }),
    )
    expect((await incident()).incident.status).toBe('detected')
  })

  it('refuses a workspace that is not connected', async () => {
    await nothingWritten(() => command('ack', { team_id: 'TUNKNOWN01' }))
  })

  it('answers Slack’s certificate check of the command URL, doing nothing', async () => {
    const response = await fetch(`${baseUrl}/hooks/slack/commands`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'ssl_check=1&token=legacy',
    })
    expect(response.status).toBe(200)
    expect(double.calls).toHaveLength(0)
  })

  it('forgets receipts after a day, keeping newer ones', async () => {
    await db.query(
      `insert into slack_inbound_receipt (team_id, receipt_id, organization_id, kind, received_at)
       values ($1, 'EvOLD', $2, 'events', now() - interval '25 hours'),
              ($1, 'EvRECENT', $2, 'events', now() - interval '2 hours')`,
      [double.team.id, db.organizationId],
    )
    await event({ type: 'reaction_added', reaction: 'eyes', user: U_COMMANDER, item: {} })
    const left = await db.query<{ receipt_id: string }>(
      `select receipt_id from slack_inbound_receipt where receipt_id in ('EvOLD', 'EvRECENT')`,
    )
    expect(left).toEqual([{ receipt_id: 'EvRECENT' }])
  })

  it('answers the Events API URL check with its challenge', async () => {
    const response = await send(
      'events',
      JSON.stringify({ token: 'x', challenge: 'challenge-3f9a', type: 'url_verification' }),
      'application/json',
    )
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ challenge: 'challenge-3f9a' })
  })

  it('opens an installation by team only through incidentflow_slack_team, never to the app role itself', async () => {
    const otherOrg = await db.createOrganization('Nosy Org')
    const seen = await inScope(db.orm, { organizationId: otherOrg }, async (em) => {
      await em.execute("select set_config('app.slack_team_id', ?, true)", [double.team.id])
      return em.execute('select team_id from slack_installation')
    })
    expect(seen).toEqual([])
    const found = await inScope(db.orm, {}, (em) =>
      em.execute('select * from incidentflow_slack_team(?)', [double.team.id]),
    )
    expect(found).toEqual([
      {
        organization_id: db.organizationId,
        signing_secret_ciphertext: expect.stringMatching(/^v1\./),
        install_method: 'manifest',
      },
    ])
    // The function leaves the caller's setting as it was.
    const after = await inScope(db.orm, {}, async (em) => {
      await em.execute('select * from incidentflow_slack_team(?)', [double.team.id])
      return em.execute("select current_setting('app.slack_team_id', true) as team")
    })
    expect(after).toEqual([{ team: '' }])
  })

  it('stores the bot token and signing secret sealed', async () => {
    const [row] = await db.query<{ bot: string; secret: string }>(
      `select bot_token_ciphertext as bot, signing_secret_ciphertext as secret
         from slack_installation where organization_id = $1`,
      [db.organizationId],
    )
    expect(row!.bot).toMatch(/^v1\./)
    expect(row!.bot).not.toContain(BOT_TOKEN)
    expect(row!.bot).not.toContain(BOT_TOKEN.slice(5, 20))
    expect(row!.secret).toMatch(/^v1\./)
    expect(row!.secret).not.toContain(SIGNING_SECRET)
  })
})
