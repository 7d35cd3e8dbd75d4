import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import express from 'express'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { slackHooksRouter } from '~/domain/chat/slack-inbound/router.server'
import { slackSignature } from '~/domain/chat/slack-inbound/signature'
import { now as clockNow } from '~/utils/clock'
import { sealSecret } from '~/utils/secret-box.server'
import { silentLogger, testEnv } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { addMember } from '../support/incidents'
import { DOUBLE_BOT_USER_ID, startSlackDouble, type SlackDouble } from '../support/slack-double'
import { describeWorkers, killAllWorkers, startWorker, waitFor } from '../support/worker-process'

// `/incident declare` the whole way: the signed command reaches the Slack router, which answers
// at once and queues the job; a real worker process declares the incident as the member, reports
// back through the response URL, and the outbound half makes the incident's channel.

const db = setUpTestDatabase('slack_declare_worker')
const KEY = randomBytes(32)
const SIGNING_SECRET = '0f1e2d3c4b5a69788796a5b4c3d2e1f0'

let slack: SlackDouble
let dataDir: string
let server: Server
let baseUrl: string

beforeAll(async () => {
  slack = await startSlackDouble()
  dataDir = await mkdtemp(path.join(tmpdir(), 'incidentflow-slack-declare-'))
  const env = testEnv(db, { SLACK_API_URL: slack.url, SECRETS_ENCRYPTION_KEY: KEY.toString('hex') })
  const app = express()
  app.use(
    slackHooksRouter({ orm: db.orm, boss: db.boss, env, logger: silentLogger, now: clockNow }),
  )
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterEach(killAllWorkers)
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
  await slack?.stop()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

it('declares from Slack through the worker, as the member, and the incident gets its channel', async () => {
  const engineer = await addMember(db, db.organizationId, 'engineer', { name: 'Eve Engineer' })
  slack.users.UEVE = { email: engineer.user.email, name: 'Eve' }
  await db.query(
    `insert into slack_installation
       (organization_id, team_id, team_name, bot_user_id, bot_token_ciphertext,
        signing_secret_ciphertext, install_method, installed_at, updated_at)
     values ($1, $2, 'Double', $3, $4, $5, 'manifest', now(), now())`,
    [
      db.organizationId,
      slack.team.id,
      DOUBLE_BOT_USER_ID,
      sealSecret('xoxb-declare-worker', KEY),
      sealSecret(SIGNING_SECRET, KEY),
    ],
  )
  const worker = startWorker('worker', {
    DATABASE_URL: db.url,
    DATA_DIR: dataDir,
    SLACK_API_URL: slack.url,
    SECRETS_ENCRYPTION_KEY: KEY.toString('hex'),
    APP_URL: 'https://incidents.example.test',
    EVENT_RELAY_INTERVAL_MS: '100',
    LOG_LEVEL: 'warn',
  })

  const body = new URLSearchParams({
    team_id: slack.team.id,
    user_id: 'UEVE',
    channel_id: 'CGENERAL01',
    command: '/incident',
    text: 'declare SEV-2 Queue backlog growing',
    response_url: slack.responseUrl('declare'),
    trigger_id: `trig.${randomBytes(6).toString('hex')}`,
  }).toString()
  const timestamp = String(Math.floor(Date.now() / 1000))
  const response = await fetch(`${baseUrl}/hooks/slack/commands`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': timestamp,
      'X-Slack-Signature': slackSignature(SIGNING_SECRET, timestamp, body),
    },
    body,
  })
  expect(response.status).toBe(200)
  expect(((await response.json()) as { text: string }).text).toContain('Declaring')

  const incident = await waitFor(
    'the incident declared by the worker',
    async () => {
      const [row] = await db.query<{ id: string; number: number; declared_by_id: string }>(
        `select id, number, declared_by_id from incident
          where organization_id = $1 and title = 'Queue backlog growing'`,
        [db.organizationId],
      )
      return row
    },
    { timeoutMs: 60_000, workers: [worker] },
  )
  expect(incident.declared_by_id).toBe(engineer.user.id)

  await waitFor(
    'the report through the response URL and the incident channel',
    async () => {
      const reported = slack
        .callsOf('response_url')
        .some((c) => String(c.body.text).includes(`declared INC-${incident.number}`))
      const [channel] = await db.query(
        'select 1 from slack_incident_channel where incident_id = $1',
        [incident.id],
      )
      return reported && channel ? true : undefined
    },
    { timeoutMs: 60_000, workers: [worker] },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${describeWorkers([worker])}`)
  })
  expect(slack.callsOf('conversations.create')).toHaveLength(1)
}, 120_000)
