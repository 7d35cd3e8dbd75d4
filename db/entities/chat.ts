import { defineEntity, type InferEntity } from '@mikro-orm/core'

export const SLACK_INSTALL_METHODS = ['oauth', 'manifest'] as const
export type SlackInstallMethod = (typeof SLACK_INSTALL_METHODS)[number]

export const SLACK_CHANNEL_MODES = ['per_incident', 'shared'] as const
export type SlackChannelMode = (typeof SLACK_CHANNEL_MODES)[number]

/**
 * The Slack workspace an organization connected (one per organization). The bot token and the
 * signing secret are sealed (app/utils/secret-box.server.ts) and never leave the server; a null
 * signing secret means an OAuth install, verified with the app-wide SLACK_SIGNING_SECRET.
 */
export const SlackInstallationSchema = defineEntity({
  name: 'SlackInstallation',
  tableName: 'slack_installation',
  properties: (p) => ({
    organizationId: p.uuid().primary().fieldName('organization_id'),
    teamId: p.text().unique().fieldName('team_id'),
    teamName: p.text().fieldName('team_name'),
    appId: p.text().nullable().fieldName('app_id'),
    botUserId: p.text().fieldName('bot_user_id'),
    botTokenCiphertext: p.text().hidden().fieldName('bot_token_ciphertext'),
    signingSecretCiphertext: p.text().nullable().hidden().fieldName('signing_secret_ciphertext'),
    installMethod: p.enum([...SLACK_INSTALL_METHODS]).fieldName('install_method'),
    channelMode: p
      .enum([...SLACK_CHANNEL_MODES])
      .default('per_incident')
      .fieldName('channel_mode'),
    sharedChannelId: p.text().nullable().fieldName('shared_channel_id'),
    archiveOnClose: p.boolean().default(true).fieldName('archive_on_close'),
    installedBy: p.uuid().nullable().fieldName('installed_by'),
    installedAt: p.datetime().fieldName('installed_at'),
    updatedAt: p.datetime().fieldName('updated_at'),
  }),
})
export type SlackInstallation = InferEntity<typeof SlackInstallationSchema>

/** A Slack user matched to an IncidentFlow user by verified e-mail; refreshed after a day. */
export const SlackMemberSchema = defineEntity({
  name: 'SlackMember',
  tableName: 'slack_member',
  properties: (p) => ({
    organizationId: p.uuid().primary().fieldName('organization_id'),
    slackUserId: p.text().primary().fieldName('slack_user_id'),
    userId: p.uuid().fieldName('user_id'),
    email: p.text(),
    lookedUpAt: p.datetime().fieldName('looked_up_at'),
  }),
})
export type SlackMember = InferEntity<typeof SlackMemberSchema>

/** An incident's Slack channel and its summary message (several incidents in shared mode). */
export const SlackIncidentChannelSchema = defineEntity({
  name: 'SlackIncidentChannel',
  tableName: 'slack_incident_channel',
  properties: (p) => ({
    organizationId: p.uuid().primary().fieldName('organization_id'),
    incidentId: p.uuid().primary().fieldName('incident_id'),
    channelId: p.text().fieldName('channel_id'),
    channelName: p.text().fieldName('channel_name'),
    summaryTs: p.text().nullable().fieldName('summary_ts'),
    signalsThreadTs: p.text().nullable().fieldName('signals_thread_ts'),
    archivedAt: p.datetime().nullable().fieldName('archived_at'),
    createdAt: p.datetime().fieldName('created_at'),
  }),
})
export type SlackIncidentChannel = InferEntity<typeof SlackIncidentChannelSchema>

/** A Microsoft Teams incoming webhook; its URL is a secret and is stored sealed. */
export const TeamsWebhookSchema = defineEntity({
  name: 'TeamsWebhook',
  tableName: 'teams_webhook',
  properties: (p) => ({
    organizationId: p.uuid().primary().fieldName('organization_id'),
    urlCiphertext: p.text().hidden().fieldName('url_ciphertext'),
    createdBy: p.uuid().nullable().fieldName('created_by'),
    createdAt: p.datetime().fieldName('created_at'),
    updatedAt: p.datetime().fieldName('updated_at'),
  }),
})
export type TeamsWebhook = InferEntity<typeof TeamsWebhookSchema>

export const CHAT_PROVIDERS = ['slack', 'teams'] as const
export type ChatProvider = (typeof CHAT_PROVIDERS)[number]

export const CHAT_DELIVERY_STATUSES = ['pending', 'delivered', 'failed', 'dead'] as const
export type ChatDeliveryStatus = (typeof CHAT_DELIVERY_STATUSES)[number]

/**
 * One piece of outbound chat work for one incident event; (provider, incident, event, kind) is
 * unique, so an event seen twice is delivered once.
 */
export const ChatDeliverySchema = defineEntity({
  name: 'ChatDelivery',
  tableName: 'chat_delivery',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    provider: p.enum([...CHAT_PROVIDERS]),
    incidentId: p.uuid().fieldName('incident_id'),
    eventSeq: p.integer().fieldName('event_seq'),
    kind: p.text(),
    status: p.enum([...CHAT_DELIVERY_STATUSES]).default('pending'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime().nullable().fieldName('next_attempt_at'),
    lastError: p.text().nullable().fieldName('last_error'),
    createdAt: p.datetime().fieldName('created_at'),
    deliveredAt: p.datetime().nullable().fieldName('delivered_at'),
  }),
})
export type ChatDelivery = InferEntity<typeof ChatDeliverySchema>
