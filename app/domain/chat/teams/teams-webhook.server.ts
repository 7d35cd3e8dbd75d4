import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { TeamsWebhookSchema } from '../../../../db/entities/chat'
import { inScope } from '../../../../db/tenant'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { FieldRefusal } from '~/domain/domain-error'
import { checkWebhookUrl, WebhookTargetError, type Resolver } from '~/domain/notify/ssrf.server'
import { now as clockNow } from '~/utils/clock'
import { openSecret, sealSecret } from '~/utils/secret-box.server'
import { incidentCard } from './adaptive-card'
import {
  describeTeamsAnswer,
  isSuccess,
  postTeamsCard,
  type TeamsPostSettings,
} from './teams-post.server'

/**
 * The organization's Microsoft Teams incoming webhook (admins only): its URL is a secret (anyone
 * holding it can post into the channel), so it is stored sealed and never shown again — the page
 * shows only its host. The URL must pass the webhooks' SSRF rules.
 */

export class TeamsError extends FieldRefusal<'teamsUrl'> {}

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

export interface TeamsSettingsOptions {
  /** The key sealing the URL (secretsKeyOf(env).key). */
  key: Buffer
  /** WEBHOOK_ALLOWED_HOSTS. */
  allowedHosts: string | undefined
  resolve?: Resolver
}

export interface TeamsWebhookState {
  configured: boolean
  /** The saved URL's host, the one part shown. */
  host: string | null
  updatedAt: string | null
}

function asAdmin<T>(orm: MikroORM, member: Actorish, work: (em: EntityManager) => Promise<T>) {
  if (!can(member.role, 'settings.manage'))
    throw new TeamsError(null, 'Only admins can change the Microsoft Teams webhook.', 403)
  return inScope(orm, { organizationId: member.organization.id }, work)
}

export async function teamsWebhookState(
  orm: MikroORM,
  member: Actorish,
  key: Buffer,
): Promise<TeamsWebhookState> {
  return asAdmin(orm, member, async (em) => {
    const row = await em.findOne(TeamsWebhookSchema, { organizationId: member.organization.id })
    if (!row) return { configured: false, host: null, updatedAt: null }
    let host: string | null = null
    try {
      host = new URL(openSecret(row.urlCiphertext, key)).host
    } catch {
      host = null
    }
    return { configured: true, host, updatedAt: row.updatedAt.toISOString() }
  })
}

/** Saves (or replaces) the webhook URL after the SSRF check; the field error says what is wrong. */
export async function saveTeamsWebhook(
  orm: MikroORM,
  member: Actorish,
  url: string,
  options: TeamsSettingsOptions,
): Promise<void> {
  if (!can(member.role, 'settings.manage'))
    throw new TeamsError(null, 'Only admins can change the Microsoft Teams webhook.', 403)
  const text = url.trim()
  if (!text) throw new TeamsError('teamsUrl', 'Paste the incoming webhook URL from Teams.')
  if (text.length > 2000) throw new TeamsError('teamsUrl', 'Keep the URL under 2,000 characters.')
  let checked: URL
  try {
    checked = await checkWebhookUrl(text, options.allowedHosts, options.resolve)
  } catch (error) {
    if (error instanceof WebhookTargetError)
      throw new TeamsError('teamsUrl', error.message.replace('Webhooks are', 'Teams cards are'))
    throw error
  }
  if (checked.protocol !== 'https:' && !options.allowedHosts?.trim())
    throw new TeamsError('teamsUrl', 'Use the https:// URL Teams gives.')
  const sealed = sealSecret(checked.toString(), options.key)
  await asAdmin(orm, member, async (em) => {
    const now = clockNow()
    await em.execute(
      `insert into teams_webhook (organization_id, url_ciphertext, created_by, created_at, updated_at)
       values (?, ?, ?, ?, ?)
       on conflict (organization_id)
         do update set url_ciphertext = excluded.url_ciphertext, updated_at = excluded.updated_at`,
      [member.organization.id, sealed, member.user.id, now, now],
    )
  })
}

export async function removeTeamsWebhook(orm: MikroORM, member: Actorish): Promise<void> {
  await asAdmin(orm, member, (em) =>
    em.execute(`delete from teams_webhook where organization_id = ?`, [member.organization.id]),
  )
}

/**
 * Posts a test card to the saved webhook at once and says how it went (the admin is waiting for
 * the answer; the transport's timeout bounds the wait). Nothing is stored.
 */
export async function sendTeamsTestCard(
  orm: MikroORM,
  member: Actorish,
  options: { key: Buffer; appUrl: string } & TeamsPostSettings,
): Promise<void> {
  const sealed = await asAdmin(orm, member, async (em) => {
    const row = await em.findOne(TeamsWebhookSchema, { organizationId: member.organization.id })
    return row?.urlCiphertext ?? null
  })
  if (!sealed) throw new TeamsError('teamsUrl', 'Save a Teams webhook URL first.', 409)
  const card = incidentCard({
    number: 0,
    reference: 'Test',
    title: 'a card from IncidentFlow',
    severity: 'SEV-4',
    status: 'detected',
    commanderName: member.user.displayName,
    url: new URL('/incidents', options.appUrl).toString(),
    headline: `Sent by ${member.user.displayName} from the Slack and Teams settings.`,
  })
  let problem: string | null = null
  try {
    const answer = await postTeamsCard(openSecret(sealed, options.key), card, options)
    if (!isSuccess(answer)) problem = describeTeamsAnswer(answer)
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error)
  }
  if (problem) throw new TeamsError('teamsUrl', `The test card was not delivered. ${problem}`)
}

/** What the settings page's Teams forms ask for (see app/components/chat/teams-settings.tsx). */
export type TeamsSettingsChange =
  { intent: 'teams-save'; teamsUrl: string } | { intent: 'teams-test' } | { intent: 'teams-remove' }

/**
 * The settings page's one call for its Teams forms: saves, tests or removes the webhook and
 * answers the words for the page's notice. Refusals are TeamsError (403 for non-admins, a field
 * error under the URL otherwise).
 */
export async function applyTeamsSettings(
  orm: MikroORM,
  member: Actorish,
  change: TeamsSettingsChange,
  options: TeamsSettingsOptions & { appUrl: string; timeoutMs: number },
): Promise<string> {
  switch (change.intent) {
    case 'teams-save':
      await saveTeamsWebhook(orm, member, change.teamsUrl, options)
      return 'Teams webhook saved. Declared incidents and status changes will post a card.'
    case 'teams-test':
      await sendTeamsTestCard(orm, member, options)
      return 'Test card sent to Teams.'
    case 'teams-remove':
      await removeTeamsWebhook(orm, member)
      return 'Teams webhook removed.'
  }
}
