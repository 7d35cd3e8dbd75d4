import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { action, loader } from '~/routes/admin.integrations.slack'
import { openSecret } from '~/utils/secret-box.server'
import { readFlash } from '~/utils/flash.server'
import {
  cookiePair,
  expectThrownResponse,
  loadContext,
  pageRequest,
  signIn,
  testEnv,
} from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { addMember, type TestMember } from '../support/incidents'
import { startSlackDouble, type SlackDouble } from '../support/slack-double'

/**
 * /admin/integrations/slack through its loader and action, as a browser's requests reach them:
 * the manifest, connecting with a pasted token and signing secret (checked with `auth.test` on
 * the Slack double), channel settings, disconnecting, Slack's OAuth install round trip with its
 * signed, session-bound, single-use state, and the role check on every request.
 */

const db = setUpTestDatabase('slack_admin')

const PAGE = '/admin/integrations/slack'
const KEY_HEX = randomBytes(32).toString('hex')
const SECRET = 'f00dfeed0123456789abcdef01234567'

let double: SlackDouble
let env: ReturnType<typeof testEnv>
let admin: TestMember
let adminCookie: string
let engineerCookie: string

beforeAll(async () => {
  double = await startSlackDouble()
  env = testEnv(db, {
    APP_URL: 'https://incidents.example.test',
    SLACK_API_URL: double.url,
    SECRETS_ENCRYPTION_KEY: KEY_HEX,
    SLACK_CLIENT_ID: double.oauth.clientId,
    SLACK_CLIENT_SECRET: double.oauth.clientSecret,
    SLACK_SIGNING_SECRET: 'app-wide-signing-secret-000000000',
  })
  admin = await addMember(db, db.organizationId, 'admin')
  adminCookie = (
    await signIn(db, { userId: admin.user.id, organizationId: db.organizationId }, env)
  ).cookie
  const engineer = await addMember(db, db.organizationId, 'engineer')
  engineerCookie = (
    await signIn(db, { userId: engineer.user.id, organizationId: db.organizationId }, env)
  ).cookie
})

afterAll(async () => {
  await double?.stop()
})

beforeEach(async () => {
  double.calls.length = 0
  await db.query('delete from slack_installation')
})

const context = () => loadContext(db, env)

async function load(path = PAGE, cookie = adminCookie) {
  return loader({ request: pageRequest(path, cookie), context: context(), params: {} })
}

async function post(fields: Record<string, string>, cookie = adminCookie) {
  return action({
    request: pageRequest(PAGE, cookie, { method: 'POST', body: new URLSearchParams(fields) }),
    context: context(),
    params: {},
  })
}

/** The loader's or action's answer as data (a `data()` value), with its status. */
function answer(value: unknown) {
  const wrapped = value as { data: Record<string, unknown>; init: ResponseInit | null }
  expect(wrapped).toHaveProperty('data')
  return { data: wrapped.data, status: wrapped.init?.status ?? 200 }
}

async function flashOf(response: Response) {
  const cookie = response.headers.get('Set-Cookie')
  expect(cookie).toBeTruthy()
  const { flash } = await readFlash(pageRequest(PAGE, cookiePair(cookie!)), env)
  return flash
}

async function stored() {
  return db.query<{
    team_id: string
    install_method: string
    bot_token_ciphertext: string
    signing_secret_ciphertext: string | null
    channel_mode: string
    shared_channel_id: string | null
    archive_on_close: boolean
  }>('select * from slack_installation where organization_id = $1', [db.organizationId])
}

describe('the manifest way', () => {
  it('shows a manifest with this deployment’s request URLs, command, shortcut, scopes and events', async () => {
    const page = answer(await load())
    expect(page.data.connection).toBeNull()
    expect(page.data.oauth).toBe(true)
    const manifest = JSON.parse(String(page.data.manifest)) as {
      features: {
        slash_commands: Array<{ command: string; url: string }>
        shortcuts: Array<{ name: string; type: string; callback_id: string }>
      }
      oauth_config: { scopes: { bot: string[] }; redirect_urls: string[] }
      settings: {
        event_subscriptions: { request_url: string; bot_events: string[] }
        interactivity: { is_enabled: boolean; request_url: string }
      }
    }
    expect(manifest.features.slash_commands).toEqual([
      expect.objectContaining({
        command: '/incident',
        url: 'https://incidents.example.test/hooks/slack/commands',
      }),
    ])
    expect(manifest.features.shortcuts).toEqual([
      expect.objectContaining({
        name: 'Add to timeline',
        type: 'message',
        callback_id: 'add_to_timeline',
      }),
    ])
    expect(manifest.settings.interactivity).toEqual({
      is_enabled: true,
      request_url: 'https://incidents.example.test/hooks/slack/interactivity',
    })
    expect(manifest.settings.event_subscriptions).toEqual({
      request_url: 'https://incidents.example.test/hooks/slack/events',
      bot_events: ['reaction_added', 'reaction_removed'],
    })
    expect(manifest.oauth_config.scopes.bot).toEqual(
      expect.arrayContaining([
        'channels:manage',
        'channels:read',
        'channels:join',
        'channels:history',
        'chat:write',
        'commands',
        'users:read',
        'users:read.email',
        'reactions:read',
        'groups:write',
      ]),
    )
    expect(manifest.oauth_config.redirect_urls).toEqual([
      'https://incidents.example.test/admin/integrations/slack',
    ])
  })

  it('connects with a token Slack accepts, storing token and secret sealed and never showing them', async () => {
    const token = `xoxb-${randomBytes(12).toString('hex')}`
    const response = await post({ intent: 'connect', botToken: token, signingSecret: SECRET })
    expect(response).toBeInstanceOf(Response)
    expect((response as Response).status).toBe(302)
    expect(await flashOf(response as Response)).toMatchObject({
      kind: 'success',
      message: 'Connected to the Slack workspace Double Workspace.',
    })
    expect(double.callsOf('auth.test')).toEqual([expect.objectContaining({ token })])
    const [row] = await stored()
    expect(row).toMatchObject({ team_id: double.team.id, install_method: 'manifest' })
    expect(row!.bot_token_ciphertext).not.toContain(token)
    expect(row!.signing_secret_ciphertext).not.toContain(SECRET)
    const key = Buffer.from(KEY_HEX, 'hex')
    expect(openSecret(row!.bot_token_ciphertext, key)).toBe(token)
    expect(openSecret(row!.signing_secret_ciphertext!, key)).toBe(SECRET)

    const page = JSON.stringify(answer(await load()).data)
    expect(page).toContain('Double Workspace')
    expect(page).not.toContain(token)
    expect(page).not.toContain(SECRET)
  })

  it('shows Slack’s refusal under the token field, stores nothing and echoes neither secret', async () => {
    double.respond('auth.test', () => ({ ok: false, error: 'invalid_auth' }))
    try {
      const token = 'xoxb-revoked-0000000000'
      const reply = answer(
        await post({ intent: 'connect', botToken: token, signingSecret: SECRET }),
      )
      expect(reply.status).toBe(400)
      const result = reply.data.result as { error: Record<string, string[]> }
      expect(result.error.botToken).toEqual([
        'Slack refused this token (invalid_auth). Copy the Bot User OAuth Token again.',
      ])
      expect(JSON.stringify(reply.data)).not.toContain(token)
      expect(JSON.stringify(reply.data)).not.toContain(SECRET)
      expect(await stored()).toHaveLength(0)
    } finally {
      double.respond('auth.test', () => undefined)
    }
  })

  it('refuses missing or malformed fields before asking Slack', async () => {
    const empty = answer(await post({ intent: 'connect', botToken: '', signingSecret: '' }))
    expect(empty.status).toBe(400)
    expect(empty.data.result).toMatchObject({
      error: {
        botToken: ['Paste the bot token (xoxb-…).'],
        signingSecret: ['Paste the signing secret.'],
      },
    })
    const userToken = answer(
      await post({ intent: 'connect', botToken: 'xoxp-user-token-123', signingSecret: SECRET }),
    )
    expect(userToken.data.result).toMatchObject({
      error: { botToken: ['Paste the bot token: it starts with xoxb-.'] },
    })
    expect(double.callsOf('auth.test')).toHaveLength(0)
    expect(await stored()).toHaveLength(0)
  })

  it('refuses a workspace another organization already connected', async () => {
    const other = await db.createOrganization('Other')
    const otherAdmin = await addMember(db, other, 'admin')
    const otherCookie = (
      await signIn(db, { userId: otherAdmin.user.id, organizationId: other }, env)
    ).cookie
    await post({ intent: 'connect', botToken: 'xoxb-first-1234567890', signingSecret: SECRET })
    const reply = answer(
      await post(
        { intent: 'connect', botToken: 'xoxb-second-1234567890', signingSecret: SECRET },
        otherCookie,
      ),
    )
    expect(reply.status).toBe(400)
    expect(reply.data.result).toMatchObject({
      error: { botToken: ['This Slack workspace is already connected to another organization.'] },
    })
    expect(
      await db.query('select 1 from slack_installation where organization_id = $1', [other]),
    ).toHaveLength(0)
  })
})

describe('settings and disconnecting', () => {
  beforeEach(async () => {
    await post({ intent: 'connect', botToken: 'xoxb-settings-123456789', signingSecret: SECRET })
  })

  it('saves one shared channel, and requires its id', async () => {
    const missing = answer(await post({ intent: 'channels', channelMode: 'shared' }))
    expect(missing.status).toBe(400)
    expect(missing.data.result).toMatchObject({
      error: { sharedChannelId: ['Give the id of the shared channel.'] },
    })
    const bad = answer(
      await post({ intent: 'channels', channelMode: 'shared', sharedChannelId: '#incidents' }),
    )
    expect(bad.data.result).toMatchObject({ error: { sharedChannelId: [expect.any(String)] } })
    expect((await stored())[0]).toMatchObject({
      channel_mode: 'per_incident',
      archive_on_close: true,
    })

    const saved = await post({
      intent: 'channels',
      channelMode: 'shared',
      sharedChannelId: 'C0123ABCDE',
    })
    expect((saved as Response).status).toBe(302)
    expect((await stored())[0]).toMatchObject({
      channel_mode: 'shared',
      shared_channel_id: 'C0123ABCDE',
      archive_on_close: false,
    })
  })

  it('disconnects, deleting the token and secret', async () => {
    const response = (await post({ intent: 'disconnect' })) as Response
    expect(response.status).toBe(302)
    expect(await stored()).toHaveLength(0)
    expect(answer(await load()).data.connection).toBeNull()
  })
})

describe('roles', () => {
  it('answers 403 to a non-admin for the page and every form, changing nothing', async () => {
    await expectThrownResponse(load(PAGE, engineerCookie), 403)
    const forms: Array<Record<string, string>> = [
      { intent: 'connect', botToken: 'xoxb-engineer-123456789', signingSecret: SECRET },
      { intent: 'oauth-start' },
      { intent: 'channels', channelMode: 'per_incident' },
      { intent: 'disconnect' },
      { intent: 'teams-save', teamsUrl: 'https://example.webhook.office.com/x' },
    ]
    for (const fields of forms) await expectThrownResponse(post(fields, engineerCookie), 403)
    await expectThrownResponse(load(`${PAGE}?code=abc&state=x.y.z`, engineerCookie), 403)
    expect(await stored()).toHaveLength(0)
    expect(double.calls).toHaveLength(0)
  })

  it('sends a signed-out visitor to log in', async () => {
    const thrown = await load(PAGE, '').catch((error: unknown) => error)
    expect(thrown).toBeInstanceOf(Response)
    expect((thrown as Response).headers.get('Location')).toContain('/login?redirectTo=')
  })
})

describe('Slack’s OAuth install flow', () => {
  async function start(cookie = adminCookie) {
    const response = (await post({ intent: 'oauth-start' }, cookie)) as Response
    expect(response.status).toBe(302)
    const location = new URL(response.headers.get('Location')!)
    expect(`${location.origin}${location.pathname}`).toBe(`${double.origin}/oauth/v2/authorize`)
    expect(location.searchParams.get('client_id')).toBe(double.oauth.clientId)
    expect(location.searchParams.get('redirect_uri')).toBe(
      'https://incidents.example.test/admin/integrations/slack',
    )
    expect(location.searchParams.get('scope')).toContain('commands')
    return location.searchParams.get('state')!
  }

  const callback = (code: string, state: string, cookie = adminCookie) =>
    load(`${PAGE}?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}`, cookie)

  it('installs with a valid state, once', async () => {
    const state = await start()
    double.oauth.codes.set('code-one', 'xoxb-oauth-installed-token')
    const done = (await callback('code-one', state)) as Response
    expect(done.status).toBe(302)
    expect(await flashOf(done)).toMatchObject({ kind: 'success' })
    expect(double.callsOf('oauth.v2.access')).toEqual([
      expect.objectContaining({
        body: expect.objectContaining({ code: 'code-one', client_id: double.oauth.clientId }),
      }),
    ])
    const [row] = await stored()
    expect(row).toMatchObject({ install_method: 'oauth', signing_secret_ciphertext: null })
    expect(openSecret(row!.bot_token_ciphertext, Buffer.from(KEY_HEX, 'hex'))).toBe(
      'xoxb-oauth-installed-token',
    )

    // The same state again (a replayed callback) is refused before Slack is asked.
    await db.query('delete from slack_installation')
    double.oauth.codes.set('code-two', 'xoxb-oauth-second-token')
    const replay = (await callback('code-two', state)) as Response
    expect(await flashOf(replay)).toEqual({
      kind: 'error',
      message: 'This Slack sign-in link was already used. Start again.',
    })
    expect(double.callsOf('oauth.v2.access')).toHaveLength(1)
    expect(await stored()).toHaveLength(0)
  })

  it('refuses a changed, foreign or missing state', async () => {
    const state = await start()
    double.oauth.codes.set('code-three', 'xoxb-oauth-third-token')
    const [nonce, expires, mac] = state.split('.')
    const changed = `${nonce}.${Number(expires) + 60_000}.${mac}`
    const otherAdmin = await addMember(db, db.organizationId, 'admin')
    const otherCookie = (
      await signIn(db, { userId: otherAdmin.user.id, organizationId: db.organizationId }, env)
    ).cookie
    for (const [given, cookie] of [
      [changed, adminCookie],
      [state, otherCookie],
      ['', adminCookie],
      ['nonsense', adminCookie],
    ] as const) {
      const refused = (await callback('code-three', given, cookie)) as Response
      expect(refused.status).toBe(302)
      expect(await flashOf(refused)).toEqual({
        kind: 'error',
        message: 'This Slack sign-in link is not valid here. Start again.',
      })
    }
    expect(double.callsOf('oauth.v2.access')).toHaveLength(0)
    expect(await stored()).toHaveLength(0)
  })

  it('reports a code Slack refuses, storing nothing', async () => {
    const state = await start()
    const refused = (await callback('unknown-code', state)) as Response
    expect(await flashOf(refused)).toEqual({
      kind: 'error',
      message: 'Slack did not complete the installation (invalid_code). Start again.',
    })
    expect(await stored()).toHaveLength(0)
  })
})
