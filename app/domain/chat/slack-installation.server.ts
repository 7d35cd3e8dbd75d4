import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { SlackInstallationSchema, type SlackChannelMode } from '../../../db/entities/chat'
import { inScope, readScope } from '../../../db/tenant'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { FieldRefusal } from '~/domain/domain-error'
import { now as clockNow } from '~/utils/clock'
import { openSecret, sealSecret, secretsKeyOf } from '~/utils/secret-box.server'
import { slackClient, slackErrorCode } from './slack-client.server'
import { SLACK_BOT_SCOPES } from './slack-manifest'

/**
 * The organization's Slack workspace, for admins: connected through Slack's OAuth install flow
 * or by pasting the bot token and signing secret of an app made from the manifest. The token and
 * secret are checked with Slack (`auth.test`) and stored sealed; no page ever shows them again.
 */

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

export interface SlackEnv {
  APP_URL: string
  SLACK_API_URL: string
  SLACK_CLIENT_ID?: string | undefined
  SLACK_CLIENT_SECRET?: string | undefined
  SLACK_SIGNING_SECRET?: string | undefined
  SECRETS_ENCRYPTION_KEY?: string | undefined
  SESSION_SECRET?: string | undefined
}

export type SlackSettingsField = 'botToken' | 'signingSecret' | 'sharedChannelId' | 'channelMode'

export class SlackSetupError extends FieldRefusal<SlackSettingsField> {}

function requireAdmin(member: Actorish) {
  if (!can(member.role, 'settings.manage'))
    throw new SlackSetupError(null, 'Only admins can manage the Slack connection.', 403)
}

const keys = new WeakMap<object, Buffer>()

/** The key that seals chat secrets (SECRETS_ENCRYPTION_KEY, or derived from SESSION_SECRET). */
export function chatSecretsKey(env: Pick<SlackEnv, 'SECRETS_ENCRYPTION_KEY' | 'SESSION_SECRET'>) {
  let key = keys.get(env)
  if (!key) {
    key = secretsKeyOf(env).key
    keys.set(env, key)
  }
  return key
}

export function oauthAvailable(env: SlackEnv) {
  return Boolean(env.SLACK_CLIENT_ID && env.SLACK_CLIENT_SECRET)
}

export interface SlackSettings {
  teamId: string
  teamName: string
  installMethod: 'oauth' | 'manifest'
  channelMode: SlackChannelMode
  sharedChannelId: string | null
  archiveOnClose: boolean
  installedAt: Date
}

/** What the settings page shows: never a token or a secret. */
export async function slackSettings(
  orm: MikroORM,
  member: Actorish,
): Promise<SlackSettings | null> {
  requireAdmin(member)
  return readScope(orm, { organizationId: member.organization.id }, async (em) => {
    const row = await em.findOne(SlackInstallationSchema, {
      organizationId: member.organization.id,
    })
    if (!row) return null
    return {
      teamId: row.teamId,
      teamName: row.teamName,
      installMethod: row.installMethod,
      channelMode: row.channelMode,
      sharedChannelId: row.sharedChannelId ?? null,
      archiveOnClose: row.archiveOnClose,
      installedAt: row.installedAt,
    }
  })
}

interface Verified {
  teamId: string
  teamName: string
  botUserId: string
  appId: string | null
}

/** The manifest way: the pasted bot token is checked with `auth.test` before anything is stored. */
export async function connectWithManifest(
  orm: MikroORM,
  env: SlackEnv,
  member: Actorish,
  input: { botToken: string; signingSecret: string },
  now = clockNow(),
) {
  requireAdmin(member)
  const botToken = input.botToken.trim()
  const signingSecret = input.signingSecret.trim()
  if (!/^xoxb-[A-Za-z0-9-]{8,250}$/.test(botToken))
    throw new SlackSetupError('botToken', 'Paste the bot token: it starts with xoxb-.')
  if (!/^[A-Za-z0-9]{16,128}$/.test(signingSecret))
    throw new SlackSetupError(
      'signingSecret',
      'Paste the signing secret from the app’s Basic Information page.',
    )
  let verified: Verified
  try {
    const answer = await slackClient(botToken, env).auth.test()
    if (!answer.team_id || !answer.user_id) throw new Error('auth.test without a team')
    verified = {
      teamId: answer.team_id,
      teamName: answer.team ?? answer.team_id,
      botUserId: answer.user_id,
      appId: (answer as { app_id?: string }).app_id ?? null,
    }
  } catch (error) {
    const code = slackErrorCode(error)
    throw new SlackSetupError(
      'botToken',
      code
        ? `Slack refused this token (${code}). Copy the Bot User OAuth Token again.`
        : 'Slack could not be reached to check this token. Try again.',
    )
  }
  const key = chatSecretsKey(env)
  await saveInstallation(orm, member, {
    ...verified,
    botTokenCiphertext: sealSecret(botToken, key),
    signingSecretCiphertext: sealSecret(signingSecret, key),
    installMethod: 'manifest',
    now,
  })
  return { teamName: verified.teamName }
}

async function saveInstallation(
  orm: MikroORM,
  member: Actorish,
  row: Verified & {
    botTokenCiphertext: string
    signingSecretCiphertext: string | null
    installMethod: 'oauth' | 'manifest'
    now: Date
  },
) {
  const organizationId = member.organization.id
  // A workspace connects to one organization: its team id is how Slack's requests find it.
  const [owner] = await inScope(orm, {}, (em) =>
    em.execute<Array<{ organization_id: string }>>(
      'select organization_id from incidentflow_slack_team(?)',
      [row.teamId],
    ),
  )
  if (owner && owner.organization_id !== organizationId)
    throw new SlackSetupError(
      'botToken',
      'This Slack workspace is already connected to another organization.',
    )
  await inScope(orm, { organizationId }, (em) =>
    em.execute(
      `insert into slack_installation
         (organization_id, team_id, team_name, app_id, bot_user_id, bot_token_ciphertext,
          signing_secret_ciphertext, install_method, installed_by, installed_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (organization_id) do update set
         team_id = excluded.team_id, team_name = excluded.team_name, app_id = excluded.app_id,
         bot_user_id = excluded.bot_user_id, bot_token_ciphertext = excluded.bot_token_ciphertext,
         signing_secret_ciphertext = excluded.signing_secret_ciphertext,
         install_method = excluded.install_method, installed_by = excluded.installed_by,
         installed_at = excluded.installed_at, updated_at = excluded.updated_at`,
      [
        organizationId,
        row.teamId,
        row.teamName,
        row.appId,
        row.botUserId,
        row.botTokenCiphertext,
        row.signingSecretCiphertext,
        row.installMethod,
        member.user.id,
        row.now,
        row.now,
      ],
    ),
  )
}

export interface ChannelSettingsInput {
  channelMode: SlackChannelMode
  sharedChannelId: string | null
  archiveOnClose: boolean
}

export async function updateSlackChannelSettings(
  orm: MikroORM,
  member: Actorish,
  input: ChannelSettingsInput,
  now = clockNow(),
) {
  requireAdmin(member)
  const shared = input.sharedChannelId?.trim() || null
  if (input.channelMode === 'shared' && !shared)
    throw new SlackSetupError('sharedChannelId', 'Give the id of the shared channel.')
  if (shared && !/^[CG][A-Z0-9]{6,20}$/.test(shared))
    throw new SlackSetupError(
      'sharedChannelId',
      'A channel id looks like C0123456789 (channel details → About → Channel ID).',
    )
  await inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const row = await em.findOne(SlackInstallationSchema, {
      organizationId: member.organization.id,
    })
    if (!row) throw new SlackSetupError(null, 'Connect Slack first.', 404)
    row.channelMode = input.channelMode
    row.sharedChannelId = input.channelMode === 'shared' ? shared : null
    row.archiveOnClose = input.archiveOnClose
    row.updatedAt = now
  })
}

/** Forgets the workspace (token and secret included); incidents' channel records stay. */
export async function disconnectSlack(orm: MikroORM, member: Actorish) {
  requireAdmin(member)
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const deleted = await em.nativeDelete(SlackInstallationSchema, {
      organizationId: member.organization.id,
    })
    await em.execute('delete from slack_member where organization_id = ?', [member.organization.id])
    return deleted > 0
  })
}

// --- OAuth install -----------------------------------------------------------------------------

const STATE_TTL_MS = 10 * 60 * 1000

export function slackPageUrl(env: Pick<SlackEnv, 'APP_URL'>) {
  return `${env.APP_URL.replace(/\/+$/, '')}/admin/integrations/slack`
}

/**
 * The state an OAuth round trip carries: a random nonce, its expiry and an HMAC binding both to
 * this session and organization. Single use: the callback records the nonce
 * (`slack_inbound_receipt`, kind `oauth_state`) and refuses one seen before.
 */
export function oauthState(
  env: Pick<SlackEnv, 'SESSION_SECRET'>,
  binding: { sessionId: string; organizationId: string },
  now = clockNow(),
) {
  const nonce = randomBytes(18).toString('base64url')
  const expires = String(now.getTime() + STATE_TTL_MS)
  return `${nonce}.${expires}.${stateMac(env, binding, nonce, expires)}`
}

function stateMac(
  env: Pick<SlackEnv, 'SESSION_SECRET'>,
  binding: { sessionId: string; organizationId: string },
  nonce: string,
  expires: string,
) {
  return createHmac('sha256', `slack-oauth-state:${env.SESSION_SECRET ?? ''}`)
    .update(`${binding.sessionId}\n${binding.organizationId}\n${nonce}\n${expires}`)
    .digest('base64url')
}

/** Where "Add to Slack" sends the admin: Slack's authorize page beside SLACK_API_URL. */
export function authorizeUrl(env: SlackEnv, state: string) {
  const url = new URL('../oauth/v2/authorize', env.SLACK_API_URL)
  url.searchParams.set('client_id', env.SLACK_CLIENT_ID ?? '')
  url.searchParams.set('scope', SLACK_BOT_SCOPES.join(','))
  url.searchParams.set('state', state)
  url.searchParams.set('redirect_uri', slackPageUrl(env))
  return url.toString()
}

/** Slack sent the admin back with `code` and `state`: check the state, trade the code, store. */
export async function completeOAuth(
  orm: MikroORM,
  env: SlackEnv,
  member: Actorish & { sessionId: string },
  input: { code: string; state: string },
  now = clockNow(),
) {
  requireAdmin(member)
  if (!oauthAvailable(env)) throw new SlackSetupError(null, 'Slack OAuth is not configured.', 404)
  const [nonce = '', expires = '', mac = ''] = input.state.split('.')
  const binding = { sessionId: member.sessionId, organizationId: member.organization.id }
  const expected = Buffer.from(stateMac(env, binding, nonce, expires))
  const given = Buffer.from(mac)
  const valid =
    nonce.length > 0 &&
    given.length === expected.length &&
    timingSafeEqual(given, expected) &&
    Number(expires) > now.getTime()
  if (!valid)
    throw new SlackSetupError(null, 'This Slack sign-in link is not valid here. Start again.')
  const fresh = await inScope(orm, { organizationId: member.organization.id }, (em) =>
    em.execute<Array<{ receipt_id: string }>>(
      `insert into slack_inbound_receipt (team_id, receipt_id, organization_id, kind, received_at)
       values ('', ?, ?, 'oauth_state', ?) on conflict do nothing returning receipt_id`,
      [`oauth-state:${nonce}`, member.organization.id, now],
    ),
  )
  if (fresh.length === 0)
    throw new SlackSetupError(null, 'This Slack sign-in link was already used. Start again.')
  let answer: {
    access_token?: string
    bot_user_id?: string
    app_id?: string
    team?: { id?: string; name?: string }
  }
  try {
    answer = await slackClient(undefined, env).oauth.v2.access({
      client_id: env.SLACK_CLIENT_ID!,
      client_secret: env.SLACK_CLIENT_SECRET!,
      code: input.code,
      redirect_uri: slackPageUrl(env),
    })
  } catch (error) {
    throw new SlackSetupError(
      null,
      `Slack did not complete the installation (${slackErrorCode(error) ?? 'unreachable'}). Start again.`,
    )
  }
  if (!answer.access_token || !answer.team?.id || !answer.bot_user_id)
    throw new SlackSetupError(null, 'Slack did not complete the installation. Start again.')
  const key = chatSecretsKey(env)
  await saveInstallation(orm, member, {
    teamId: answer.team.id,
    teamName: answer.team.name ?? answer.team.id,
    botUserId: answer.bot_user_id,
    appId: answer.app_id ?? null,
    botTokenCiphertext: sealSecret(answer.access_token, key),
    signingSecretCiphertext: null,
    installMethod: 'oauth',
    now,
  })
  return { teamName: answer.team.name ?? answer.team.id }
}

// --- Lookups for inbound requests and the worker -------------------------------------------------

export interface TeamInstallation {
  organizationId: string
  signingSecretCiphertext: string | null
  installMethod: 'oauth' | 'manifest'
}

/**
 * The organization a Slack workspace belongs to, before any organization is known: the one
 * cross-tenant entry point `incidentflow_slack_team` (migration 0018), which returns only what
 * the signature check needs.
 */
export async function installationForTeam(
  orm: MikroORM,
  teamId: string,
): Promise<TeamInstallation | null> {
  if (!/^[A-Z0-9]{1,32}$/i.test(teamId)) return null
  const [row] = await readScope(orm, {}, (em) =>
    em.execute<
      Array<{
        organization_id: string
        signing_secret_ciphertext: string | null
        install_method: 'oauth' | 'manifest'
      }>
    >(
      'select organization_id, signing_secret_ciphertext, install_method from incidentflow_slack_team(?)',
      [teamId],
    ),
  )
  return row
    ? {
        organizationId: row.organization_id,
        signingSecretCiphertext: row.signing_secret_ciphertext,
        installMethod: row.install_method,
      }
    : null
}

/** The secret that verifies this installation's requests, or null when none is configured. */
export function signingSecretOf(env: SlackEnv, installation: TeamInstallation): string | null {
  if (installation.signingSecretCiphertext)
    return openSecret(installation.signingSecretCiphertext, chatSecretsKey(env))
  return env.SLACK_SIGNING_SECRET ?? null
}

export interface OrganizationInstallation {
  teamId: string
  botUserId: string
  botToken: string
  channelMode: SlackChannelMode
  sharedChannelId: string | null
}

/** The installation with its bot token opened, inside the organization's transaction. */
export async function loadInstallation(
  em: EntityManager,
  env: SlackEnv,
  organizationId: string,
): Promise<OrganizationInstallation | null> {
  const row = await em.findOne(SlackInstallationSchema, { organizationId })
  if (!row) return null
  return {
    teamId: row.teamId,
    botUserId: row.botUserId,
    botToken: openSecret(row.botTokenCiphertext, chatSecretsKey(env)),
    channelMode: row.channelMode,
    sharedChannelId: row.sharedChannelId ?? null,
  }
}
