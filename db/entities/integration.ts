import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { createdAtColumn, updatedAtColumn } from './columns'
import { SEVERITIES } from '~/domain/incident/vocabulary'

export const INTEGRATION_KINDS = ['alertmanager', 'pagerduty', 'generic'] as const
export type IntegrationKind = (typeof INTEGRATION_KINDS)[number]

/** An inbound alert source for one service; its URL token is stored as a SHA-256 hash only. */
export const IntegrationSchema = defineEntity({
  name: 'Integration',
  tableName: 'integration',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    serviceId: p.uuid().fieldName('service_id'),
    name: p.string().length(120),
    kind: p.enum([...INTEGRATION_KINDS]),
    tokenHash: p.string().length(64).unique().fieldName('token_hash'),
    tokenHint: p.string().length(16).fieldName('token_hint'),
    defaultSeverity: p
      .enum([...SEVERITIES])
      .default('SEV-3')
      .fieldName('default_severity'),
    mitigateOnResolve: p.boolean().default(false).fieldName('mitigate_on_resolve'),
    signingSecret: p.string().length(200).nullable().fieldName('signing_secret'),
    rateLimitPerMinute: p.integer().default(120).fieldName('rate_limit_per_minute'),
    active: p.boolean().default(true),
    createdBy: p.uuid().nullable().fieldName('created_by'),
    createdAt: createdAtColumn(p),
    updatedAt: updatedAtColumn(p),
    lastReceivedAt: p.datetime().nullable().fieldName('last_received_at'),
  }),
})
export type Integration = InferEntity<typeof IntegrationSchema>

export interface AlertOutcome {
  dedupKey: string
  action: 'declared' | 'appended' | 'counted' | 'resolved' | 'ignored'
  incidentNumber: number | null
  reason?: string
}

/** One accepted webhook request, stored before the 202 and processed by the worker. */
export const AlertReceiptSchema = defineEntity({
  name: 'AlertReceipt',
  tableName: 'alert_receipt',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    integrationId: p.uuid().fieldName('integration_id'),
    status: p.enum(['queued', 'processed', 'failed', 'ignored'] as const).default('queued'),
    payload: p.json<unknown>(),
    outcome: p.json<AlertOutcome[]>().nullable(),
    error: p.string().length(2000).nullable(),
    receivedAt: p
      .datetime()
      .onCreate(() => new Date())
      .fieldName('received_at'),
    processedAt: p.datetime().nullable().fieldName('processed_at'),
  }),
})
export type AlertReceipt = InferEntity<typeof AlertReceiptSchema>

/** An alert's de-duplication key → the incident it declared (newest first wins while open). */
export const AlertLinkSchema = defineEntity({
  name: 'AlertLink',
  tableName: 'alert_link',
  properties: (p) => ({
    organizationId: p.uuid().fieldName('organization_id'),
    integrationId: p.uuid().primary().fieldName('integration_id'),
    dedupKey: p.string().length(500).primary().fieldName('dedup_key'),
    incidentId: p.uuid().primary().fieldName('incident_id'),
    createdAt: createdAtColumn(p),
  }),
})
export type AlertLink = InferEntity<typeof AlertLinkSchema>

/** A personal API token: acts as its user, with the role the user has in the organization now. */
export const ApiTokenSchema = defineEntity({
  name: 'ApiToken',
  tableName: 'api_token',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    userId: p.uuid().fieldName('user_id'),
    name: p.string().length(120),
    tokenHash: p.string().length(64).unique().fieldName('token_hash'),
    tokenHint: p.string().length(16).fieldName('token_hint'),
    createdAt: createdAtColumn(p),
    expiresAt: p.datetime().nullable().fieldName('expires_at'),
    lastUsedAt: p.datetime().nullable().fieldName('last_used_at'),
    revokedAt: p.datetime().nullable().fieldName('revoked_at'),
  }),
})
export type ApiToken = InferEntity<typeof ApiTokenSchema>
