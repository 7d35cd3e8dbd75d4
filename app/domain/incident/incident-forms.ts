import * as z from '~/utils/zod'
import { TRANSITION_ACTIONS, type TransitionAction } from '~/domain/incident/lifecycle'
import { COMMENT_MAX, SEVERITIES } from '~/domain/incident/vocabulary'
import { RECLASSIFY_CHOICES } from '~/domain/incident/classification'

/** Every form names the incident version it was rendered from, so a stale one is refused (409). */
const version = z.coerce.number().int().min(0)
const reason = z.string({ error: 'Give a reason' }).trim().min(1, 'Give a reason').max(1000)

/** An incident number as people write it: `INC-12`, `inc 12`, `#12` or `12`. */
const incidentNumber = (message: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().replace(/^(inc[-\s]?|#)/i, '') : v),
    z
      .string({ error: message })
      .regex(/^\d{1,9}$/, message)
      .transform(Number),
  )
const listOf = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(item))

/** The incident page's forms, told apart by their `intent` button or hidden field. */
export const incidentFormSchemas = {
  transition: z.object({
    intent: z.literal('transition'),
    action: z.enum(TRANSITION_ACTIONS as [TransitionAction, ...TransitionAction[]]),
    reason: z.string().trim().max(1000).optional(),
    version,
  }),
  severity: z.object({
    intent: z.literal('severity'),
    severity: z.enum(SEVERITIES),
    reason,
    version,
  }),
  escalate: z.object({
    intent: z.literal('escalate'),
    severity: z.enum(SEVERITIES),
    reason,
    takeCommand: z.literal('on').optional(),
    version,
  }),
  assign: z.object({
    intent: z.literal('assign'),
    commanderId: z.union([z.uuid(), z.literal('')]).optional(),
    assigneeIds: z.preprocess(
      (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]),
      z.array(z.uuid()),
    ),
    version,
  }),
  comment: z.object({
    intent: z.literal('comment'),
    body: z
      .string({ error: 'Write a comment first' })
      .trim()
      .min(1, 'Write a comment first')
      .max(COMMENT_MAX),
    version,
  }),
  edit: z.object({
    intent: z.literal('edit'),
    title: z
      .string({ error: 'Give the incident a title' })
      .trim()
      .min(3, 'Use at least 3 characters')
      .max(200),
    summary: z.string().max(COMMENT_MAX).optional().default(''),
    serviceId: z.union([z.uuid(), z.literal('')]).optional(),
    incidentTypeId: z.union([z.uuid(), z.literal('')]).optional(),
    impactStartedAt: z.string().max(32).optional(),
    version,
  }),
  reclassify: z.object({
    intent: z.literal('reclassify'),
    classification: z.enum(RECLASSIFY_CHOICES, { error: 'Choose what this is' }),
    targetNumber: incidentNumber('Give an incident number, e.g. INC-12').optional(),
    reason,
    version,
  }),
  'undo-reclassify': z.object({ intent: z.literal('undo-reclassify'), reason, version }),
  link: z.object({
    intent: z.literal('link'),
    relatedNumber: incidentNumber('Give an incident number, e.g. INC-12'),
    version,
  }),
  unlink: z.object({
    intent: z.literal('unlink'),
    relatedNumber: incidentNumber('Give an incident number, e.g. INC-12'),
    version,
  }),
  roles: z.object({
    intent: z.literal('roles'),
    roleId: listOf(z.uuid()),
    // Conform turns an empty choice ("Nobody") into undefined, keeping its place in the list.
    holder: listOf(z.union([z.uuid(), z.literal('')]).optional()),
    version,
  }),
  /** "Edit fields": the custom field values themselves are read from `customFields.<key>`. */
  'custom-fields': z.object({
    intent: z.literal('custom-fields'),
    version,
  }),
  correct: z.object({
    intent: z.literal('correct'),
    seq: z.coerce.number().int().min(1),
    body: z
      .string({ error: 'Write the corrected comment' })
      .trim()
      .min(1, 'Write the corrected comment')
      .max(COMMENT_MAX),
    version,
  }),
} as const
export type IncidentIntent = keyof typeof incidentFormSchemas
/** A parsed submission of one of the incident page's forms. */
export type IncidentFormInput = {
  [K in IncidentIntent]: z.infer<(typeof incidentFormSchemas)[K]>
}[IncidentIntent]
