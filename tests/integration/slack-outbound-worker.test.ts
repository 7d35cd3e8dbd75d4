import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest'
import { addComment, declareIncident } from '~/domain/incident/incident-service.server'
import { sealSecret } from '~/utils/secret-box.server'
import { setUpTestDatabase } from '../support/database'
import { addMember } from '../support/incidents'
import { DOUBLE_BOT_USER_ID, startSlackDouble, type SlackDouble } from '../support/slack-double'
import { describeWorkers, killAllWorkers, startWorker, waitFor } from '../support/worker-process'

// The whole way through a real worker process: the relay loop writes the chat deliveries, the
// chat-deliver queue's handler calls Slack (the loopback double, through SLACK_API_URL) with the
// bot token it opens with SECRETS_ENCRYPTION_KEY.

const db = setUpTestDatabase('slack_outbound_worker')
const KEY = randomBytes(32)

let slack: SlackDouble
let dataDir: string

beforeAll(async () => {
  slack = await startSlackDouble()
  dataDir = await mkdtemp(path.join(tmpdir(), 'incidentflow-slack-worker-'))
})
afterEach(killAllWorkers)
afterAll(async () => {
  await slack?.stop()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

it('creates the channel, posts the summary and then a comment, from the worker', async () => {
  const admin = await addMember(db, db.organizationId, 'admin', { name: 'Ada Admin' })
  await db.query(
    `insert into slack_installation
       (organization_id, team_id, team_name, bot_user_id, bot_token_ciphertext, install_method,
        installed_at, updated_at)
     values ($1, $2, 'Double', $3, $4, 'manifest', now(), now())`,
    [db.organizationId, slack.team.id, DOUBLE_BOT_USER_ID, sealSecret('xoxb-worker', KEY)],
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
  const { id, number } = await declareIncident(db.orm, admin, {
    title: 'Worker made this',
    summary: '',
    severity: 'SEV-3',
  })
  const channel = await waitFor(
    'the channel and its summary',
    async () => {
      const [row] = await db.query<{ channel_id: string; summary_ts: string | null }>(
        `select channel_id, summary_ts from slack_incident_channel where incident_id = $1`,
        [id],
      )
      return row?.summary_ts ? row : undefined
    },
    { timeoutMs: 60_000, workers: [worker] },
  )
  expect(slack.channels.get(channel.channel_id)?.name).toBe(`inc-${number}-worker-made-this`)
  expect(slack.calls.every((c) => c.token === 'xoxb-worker')).toBe(true)

  await addComment(db.orm, admin, number, { body: 'posted by the worker' })
  await waitFor(
    'the comment in the channel',
    () =>
      slack
        .callsOf('chat.postMessage')
        .some((c) => String(c.body.text).includes('posted by the worker')),
    { timeoutMs: 60_000, workers: [worker] },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${describeWorkers([worker])}`)
  })
  expect(slack.callsOf('conversations.create')).toHaveLength(1)
}, 120_000)
