import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { createdAtColumn, updatedAtColumn } from './columns'
import type { SlaTargets } from '~/domain/sla/policy'
import type { EscalationAction } from '~/domain/escalation/rules'
import { SEVERITIES } from '~/domain/incident/vocabulary'

/** One version of an organization's SLA targets; saving makes a new version. */
export const SlaPolicySchema = defineEntity({
  name: 'SlaPolicy',
  tableName: 'sla_policy',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    version: p.integer(),
    targets: p.json<SlaTargets>(),
    createdBy: p.uuid().nullable().fieldName('created_by'),
    createdAt: createdAtColumn(p),
  }),
})
export type SlaPolicy = InferEntity<typeof SlaPolicySchema>

export const EscalationRuleSchema = defineEntity({
  name: 'EscalationRule',
  tableName: 'escalation_rule',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    name: p.string().length(120),
    position: p.integer().default(0),
    enabled: p.boolean().default(true),
    trigger: p.enum(['declared', 'warning', 'breach', 'reopened'] as const),
    target: p.enum(['acknowledge', 'mitigate', 'resolve'] as const).nullable(),
    maxSeverity: p.enum([...SEVERITIES]).fieldName('max_severity'),
    actions: p.json<EscalationAction[]>(),
    createdAt: createdAtColumn(p),
    updatedAt: updatedAtColumn(p),
    updatedBy: p.uuid().nullable().fieldName('updated_by'),
  }),
})
export type EscalationRule = InferEntity<typeof EscalationRuleSchema>

export const NotificationPreferenceSchema = defineEntity({
  name: 'NotificationPreference',
  tableName: 'notification_preference',
  properties: (p) => ({
    organizationId: p.uuid().primary().fieldName('organization_id'),
    userId: p.uuid().primary().fieldName('user_id'),
    disabledKinds: p.array<string>().fieldName('disabled_kinds').columnType('text[]').default([]),
    updatedAt: updatedAtColumn(p),
  }),
})
export type NotificationPreference = InferEntity<typeof NotificationPreferenceSchema>

export const WebhookEndpointSchema = defineEntity({
  name: 'WebhookEndpoint',
  tableName: 'webhook_endpoint',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    url: p.string().length(2000),
    description: p.string().length(300).default(''),
    secret: p.text().hidden(),
    eventTypes: p.array<string>().fieldName('event_types').columnType('text[]'),
    enabled: p.boolean().default(true),
    disabledReason: p.string().length(300).nullable().fieldName('disabled_reason'),
    createdBy: p.uuid().nullable().fieldName('created_by'),
    createdAt: createdAtColumn(p),
    updatedAt: updatedAtColumn(p),
  }),
})
export type WebhookEndpoint = InferEntity<typeof WebhookEndpointSchema>

export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'dead'] as const
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number]

export const WebhookDeliverySchema = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_delivery',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    endpointId: p.uuid().fieldName('endpoint_id'),
    messageId: p.string().length(64).fieldName('message_id'),
    idempotencyKey: p.string().length(200).fieldName('idempotency_key'),
    eventType: p.string().length(64).fieldName('event_type'),
    payload: p.json<Record<string, unknown>>(),
    status: p.enum([...WEBHOOK_DELIVERY_STATUSES]).default('pending'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime().nullable().fieldName('next_attempt_at'),
    lastAttemptAt: p.datetime().nullable().fieldName('last_attempt_at'),
    lastStatusCode: p.integer().nullable().fieldName('last_status_code'),
    lastError: p.text().nullable().fieldName('last_error'),
    deliveredAt: p.datetime().nullable().fieldName('delivered_at'),
    createdAt: createdAtColumn(p),
  }),
})
export type WebhookDelivery = InferEntity<typeof WebhookDeliverySchema>

export const WebhookAttemptSchema = defineEntity({
  name: 'WebhookAttempt',
  tableName: 'webhook_attempt',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    deliveryId: p.uuid().fieldName('delivery_id'),
    attempt: p.integer(),
    attemptedAt: p.datetime().fieldName('attempted_at'),
    durationMs: p.integer().fieldName('duration_ms'),
    statusCode: p.integer().nullable().fieldName('status_code'),
    error: p.text().nullable(),
    retryAt: p.datetime().nullable().fieldName('retry_at'),
  }),
})
export type WebhookAttempt = InferEntity<typeof WebhookAttemptSchema>

/**
 * An event waiting to be fanned out (escalation rules, e-mail, webhooks). Ids only; see the
 * migration for why this table is not tenant-scoped.
 */
export const EventOutboxSchema = defineEntity({
  name: 'EventOutbox',
  tableName: 'event_outbox',
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    tenantId: p.uuid().fieldName('tenant_id'),
    incidentId: p.uuid().fieldName('incident_id'),
    eventSeq: p.integer().fieldName('event_seq'),
    createdAt: createdAtColumn(p),
  }),
})
export type EventOutbox = InferEntity<typeof EventOutboxSchema>
