import { defineEntity, type InferEntity } from '@mikro-orm/core'
import type { AnalyticsFilters } from '~/domain/analytics/types'

export const REPORT_KINDS = ['analytics', 'postmortem'] as const
export type ReportKind = (typeof REPORT_KINDS)[number]

export const REPORT_STATUSES = ['queued', 'running', 'done', 'failed'] as const
export type ReportStatus = (typeof REPORT_STATUSES)[number]

/** A requested PDF report: its parameters, where the worker is with it, and the stored file. */
export const ReportSchema = defineEntity({
  name: 'Report',
  tableName: 'report',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    requestedBy: p.uuid().nullable().fieldName('requested_by'),
    /** `analytics`: a dashboard report of `parameters`; `postmortem`: the postmortem `subjectId`. */
    kind: p.enum([...REPORT_KINDS]).default('analytics'),
    subjectId: p.uuid().nullable().fieldName('subject_id'),
    parameters: p.json<AnalyticsFilters>(),
    parametersHash: p.string().length(64).fieldName('parameters_hash'),
    status: p.enum([...REPORT_STATUSES]).default('queued'),
    progress: p.smallint().default(0),
    jobId: p.uuid().nullable().fieldName('job_id'),
    objectKey: p.string().length(300).nullable().fieldName('object_key'),
    sizeBytes: p.bigint('number').nullable().fieldName('size_bytes'),
    error: p.string().length(2000).nullable(),
    createdAt: p
      .datetime()
      .defaultRaw('now()')
      .onCreate(() => new Date())
      .fieldName('created_at'),
    startedAt: p.datetime().nullable().fieldName('started_at'),
    finishedAt: p.datetime().nullable().fieldName('finished_at'),
  }),
})

export type Report = InferEntity<typeof ReportSchema>
