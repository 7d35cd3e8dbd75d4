import { defineEntity, type InferEntity } from '@mikro-orm/core'
import { createdAtColumn, updatedAtColumn } from './columns'
import {
  ACTION_ITEM_PRIORITIES,
  ACTION_ITEM_STATUSES,
  POSTMORTEM_STATUSES,
  type PostmortemSections,
  type PostmortemTimelineEntry,
} from '~/domain/postmortem/vocabulary'

/** One per incident, created when the incident enters Postmortem (or first opened there). */
export const PostmortemSchema = defineEntity({
  name: 'Postmortem',
  tableName: 'postmortem',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    incidentId: p.uuid().unique().fieldName('incident_id'),
    status: p.enum([...POSTMORTEM_STATUSES]).default('draft'),
    /** The newest revision's number (0 before the first save). */
    currentRevision: p.integer().default(0).fieldName('current_revision'),
    publishedAt: p.datetime().nullable().fieldName('published_at'),
    publishedBy: p.uuid().nullable().fieldName('published_by'),
    createdBy: p.uuid().nullable().fieldName('created_by'),
    createdAt: createdAtColumn(p),
    updatedAt: updatedAtColumn(p),
  }),
})
export type Postmortem = InferEntity<typeof PostmortemSchema>

/** What a generated draft recorded about itself, kept on the revision that accepted it. */
export interface GeneratorRecord {
  draftId: string
  mode: 'template' | 'llm'
  model: string | null
  promptVersion: string
  generatedAt: string
  /** Per statement: its section, text, cited event seqs/ids, and whether it was flagged. */
  statements: GeneratedStatement[]
}

export interface GeneratedStatement {
  section: keyof PostmortemSections
  text: string
  /** Incident event ids (uuid) the statement rests on. */
  eventIds: string[]
  /** The same events by their per-incident number, for links (`/incidents/<n>#event-<seq>`). */
  eventSeqs: number[]
  /** True when the statement cites no event of this incident. */
  flagged: boolean
}

/** Append-only: every save is a new row; the application role cannot update or delete them. */
export const PostmortemRevisionSchema = defineEntity({
  name: 'PostmortemRevision',
  tableName: 'postmortem_revision',
  properties: (p) => ({
    organizationId: p.uuid().fieldName('organization_id'),
    postmortemId: p.uuid().primary().fieldName('postmortem_id'),
    revision: p.integer().primary(),
    status: p.enum([...POSTMORTEM_STATUSES]),
    sections: p.json<PostmortemSections>(),
    timeline: p.json<PostmortemTimelineEntry[]>(),
    source: p.enum(['human', 'template', 'llm'] as const).default('human'),
    generator: p.json<GeneratorRecord>().nullable(),
    changeNote: p.string().length(500).nullable().fieldName('change_note'),
    authorId: p.uuid().nullable().fieldName('author_id'),
    createdAt: createdAtColumn(p),
  }),
})
export type PostmortemRevision = InferEntity<typeof PostmortemRevisionSchema>

export const DRAFT_STATUSES = [
  'queued',
  'running',
  'done',
  'failed',
  'accepted',
  'discarded',
] as const
export type DraftStatus = (typeof DRAFT_STATUSES)[number]

/** The generated content a draft job produced, shown for review before anyone accepts it. */
export interface DraftResult {
  sections: PostmortemSections
  timeline: PostmortemTimelineEntry[]
  statements: GeneratedStatement[]
}

/** A requested draft: made by the worker, reviewed on its status page, accepted by a person. */
export const PostmortemDraftSchema = defineEntity({
  name: 'PostmortemDraft',
  tableName: 'postmortem_draft',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    postmortemId: p.uuid().fieldName('postmortem_id'),
    mode: p.enum(['template', 'llm'] as const),
    status: p.enum([...DRAFT_STATUSES]).default('queued'),
    requestedBy: p.uuid().nullable().fieldName('requested_by'),
    baseRevision: p.integer().fieldName('base_revision'),
    result: p.json<DraftResult>().nullable(),
    model: p.string().length(200).nullable(),
    promptVersion: p.string().length(40).nullable().fieldName('prompt_version'),
    error: p.string().length(2000).nullable(),
    jobId: p.uuid().nullable().fieldName('job_id'),
    acceptedRevision: p.integer().nullable().fieldName('accepted_revision'),
    createdAt: createdAtColumn(p),
    startedAt: p.datetime().nullable().fieldName('started_at'),
    finishedAt: p.datetime().nullable().fieldName('finished_at'),
  }),
})
export type PostmortemDraft = InferEntity<typeof PostmortemDraftSchema>

export const ActionItemSchema = defineEntity({
  name: 'ActionItem',
  tableName: 'action_item',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    organizationId: p.uuid().fieldName('organization_id'),
    postmortemId: p.uuid().fieldName('postmortem_id'),
    incidentId: p.uuid().fieldName('incident_id'),
    title: p.string().length(300),
    ownerId: p.uuid().nullable().fieldName('owner_id'),
    /** A calendar date (YYYY-MM-DD), overdue from the day after in the organization's time zone. */
    dueOn: p.string().columnType('date').nullable().fieldName('due_on'),
    priority: p.enum([...ACTION_ITEM_PRIORITIES]).default('medium'),
    status: p.enum([...ACTION_ITEM_STATUSES]).default('open'),
    createdBy: p.uuid().nullable().fieldName('created_by'),
    createdAt: createdAtColumn(p),
    updatedAt: updatedAtColumn(p),
    completedAt: p.datetime().nullable().fieldName('completed_at'),
    overdueNotifiedOn: p.string().columnType('date').nullable().fieldName('overdue_notified_on'),
  }),
})
export type ActionItem = InferEntity<typeof ActionItemSchema>
