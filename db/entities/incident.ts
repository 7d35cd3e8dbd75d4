import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { createdAtColumn, updatedAtColumn } from './columns'
import type { Classification } from '~/domain/incident/events'
import type { CustomFieldValues } from '~/domain/custom-fields/custom-field-values'
import type { Impact, TriageMatrix, Urgency } from '~/domain/incident/triage'
import { INCIDENT_STATUSES, SEVERITIES } from '~/domain/incident/vocabulary'

/** Services and incident types are the same shape: a named, retirable catalog entry. */
const catalogEntry = (p: typeof defineEntity.properties) => ({
  id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
  organizationId: p.uuid().fieldName('organization_id'),
  name: p.string().length(100),
  description: p.string().length(500).default(''),
  active: p.boolean().default(true),
  createdAt: createdAtColumn(p),
})

export const ServiceSchema = defineEntity({
  name: 'Service',
  tableName: 'service',
  properties: catalogEntry,
})
export type Service = InferEntity<typeof ServiceSchema>

export const IncidentTypeSchema = defineEntity({
  name: 'IncidentType',
  tableName: 'incident_type',
  properties: catalogEntry,
})
export type IncidentType = InferEntity<typeof IncidentTypeSchema>

export const TriageMatrixSchema = defineEntity({
  name: 'TriageMatrix',
  tableName: 'triage_matrix',
  properties: (p) => ({
    organizationId: p.uuid().primary().fieldName('organization_id'),
    matrix: p.json<TriageMatrix>(),
    updatedBy: p.uuid().nullable().fieldName('updated_by'),
    updatedAt: updatedAtColumn(p),
  }),
})

export const IncidentSchema = defineEntity({
  name: 'Incident',
  tableName: 'incident',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    number: p.integer(),
    title: p.string().length(200),
    summary: p.text().default(''),
    severity: p.enum([...SEVERITIES]),
    impact: p.string().length(16).nullable().$type<Impact | null>(),
    urgency: p.string().length(16).nullable().$type<Urgency | null>(),
    status: p.enum([...INCIDENT_STATUSES]),
    serviceId: p.uuid().nullable().fieldName('service_id'),
    incidentTypeId: p.uuid().nullable().fieldName('incident_type_id'),
    commanderId: p.uuid().nullable().fieldName('commander_id'),
    assigneeIds: p.array<string>().fieldName('assignee_ids').columnType('uuid[]').default([]),
    /** Custom field values by field id (migration 0022), a cache of their events like the rest. */
    customFields: p.json<CustomFieldValues>().fieldName('custom_fields').defaultRaw(`'{}'::jsonb`),
    declaredById: p.uuid().nullable().fieldName('declared_by_id'),
    impactStartedAt: p.datetime().fieldName('impact_started_at'),
    declaredAt: p.datetime().fieldName('declared_at'),
    acknowledgedAt: p.datetime().nullable().fieldName('acknowledged_at'),
    mitigatedAt: p.datetime().nullable().fieldName('mitigated_at'),
    resolvedAt: p.datetime().nullable().fieldName('resolved_at'),
    postmortemAt: p.datetime().nullable().fieldName('postmortem_at'),
    closedAt: p.datetime().nullable().fieldName('closed_at'),
    version: p.integer().default(1),
    lastEventSeq: p.integer().default(0).fieldName('last_event_seq'),
    lastEventHash: p.string().length(64).nullable().fieldName('last_event_hash'),
    slaPolicyId: p.uuid().nullable().fieldName('sla_policy_id'),
    slaNextDeadline: p.datetime().nullable().fieldName('sla_next_deadline'),
    private: p.boolean().default(false),
    classification: p.string().length(16).default('incident').$type<Classification>(),
    classifiedAsOfId: p.uuid().nullable().fieldName('classified_as_of_id'),
    updatedAt: updatedAtColumn(p),
  }),
})
export type Incident = InferEntity<typeof IncidentSchema>

export const IncidentEventSchema = defineEntity({
  name: 'IncidentEvent',
  tableName: 'incident_event',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    incidentId: p.uuid().fieldName('incident_id'),
    seq: p.integer(),
    type: p.string().length(48),
    actorId: p.uuid().nullable().fieldName('actor_id'),
    occurredAt: p.datetime().fieldName('occurred_at'),
    payload: p.json<Record<string, unknown>>(),
    prevHash: p.string().length(64).fieldName('prev_hash'),
    hash: p.string().length(64),
  }),
})
export type IncidentEventRow = InferEntity<typeof IncidentEventSchema>

export const AttachmentSchema = defineEntity({
  name: 'Attachment',
  tableName: 'attachment',
  properties: (p) => ({
    id: p.uuid().primary(),
    organizationId: p.uuid().fieldName('organization_id'),
    incidentId: p.uuid().fieldName('incident_id'),
    objectKey: p.string().length(300).fieldName('object_key'),
    displayName: p.string().length(500).fieldName('display_name'),
    contentType: p.string().length(100).fieldName('content_type'),
    sizeBytes: p.bigint('number').fieldName('size_bytes'),
    sha256: p.string().length(64),
    description: p.string().length(500).default(''),
    uploadedBy: p.uuid().nullable().fieldName('uploaded_by'),
    uploadedAt: p.datetime().fieldName('uploaded_at'),
    withdrawnAt: p.datetime().nullable().fieldName('withdrawn_at'),
    withdrawnBy: p.uuid().nullable().fieldName('withdrawn_by'),
    withdrawReason: p.string().length(1000).nullable().fieldName('withdraw_reason'),
  }),
})
export type Attachment = InferEntity<typeof AttachmentSchema>
