import { randomBytes } from 'node:crypto'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { slackSignature } from '~/domain/chat/slack-inbound/signature'
import { connectWithManifest } from '~/domain/chat/slack-installation.server'
import { testEnv } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { addMember } from '../support/incidents'
import { loadRemixBuild } from '../support/remix-build'
import { startSlackDouble, type SlackDouble } from '../support/slack-double'

// The Slack hooks as the web process mounts them (createHttpApp: origin check, request guard,
// compression, the alert hooks after them): a machine's POST without an Origin header reaches
// the Slack router, not the alert hooks' /hooks/<kind>/<token>.

const db = setUpTestDatabase('slack_hooks_http')
const SECRET = '00112233445566778899aabbccddeeff'
const KEY = randomBytes(32).toString('hex')

let build: ServerBuild
let app: RunningApp
let slack: SlackDouble

beforeAll(async () => {
  slack = await startSlackDouble()
  const overrides = { SLACK_API_URL: slack.url, SECRETS_ENCRYPTION_KEY: KEY }
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build, overrides)
  const admin = await addMember(db, db.organizationId, 'admin')
  slack.users.UADMIN = { email: admin.user.email, name: 'Admin' }
  await connectWithManifest(db.orm, testEnv(db, overrides), admin, {
    botToken: 'xoxb-http-app-12345678',
    signingSecret: SECRET,
  })
})
afterAll(async () => {
  await app?.close()
  await slack?.stop()
})

function post(kind: string, body: string, secret = SECRET) {
  const timestamp = String(Math.floor(Date.now() / 1000))
  return fetch(`${app.baseUrl}/hooks/slack/${kind}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Slack-Request-Timestamp': timestamp,
      'X-Slack-Signature': slackSignature(secret, timestamp, body),
    },
    body,
  })
}

const command = (text: string) =>
  new URLSearchParams({
    team_id: slack.team.id,
    user_id: 'UADMIN',
    channel_id: 'CSOMEWHERE',
    command: '/incident',
    text,
    response_url: slack.responseUrl(),
    trigger_id: 'trig.1',
  }).toString()

it('answers a signed command through the whole web app', async () => {
  const response = await post('commands', command('help'))
  expect(response.status).toBe(200)
  expect(response.headers.get('cache-control')).toBe('no-store')
  expect(((await response.json()) as { text: string }).text).toContain('/incident declare')
  const status = await post('commands', command('status INC-4242'))
  expect(((await status.json()) as { text: string }).text).toBe('INC-4242 was not found.')
})

it('refuses an unsigned or wrongly signed request with 401', async () => {
  expect((await post('commands', command('help'), 'another-secret-00000000')).status).toBe(401)
  const unsigned = await fetch(`${app.baseUrl}/hooks/slack/commands`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: command('help'),
  })
  expect(unsigned.status).toBe(401)
})

it('answers other paths and methods under /hooks/slack/ itself', async () => {
  expect((await post('unknown', command('help'))).status).toBe(404)
  const get = await fetch(`${app.baseUrl}/hooks/slack/commands`)
  expect(get.status).toBe(405)
  expect(get.headers.get('allow')).toBe('POST')
})
