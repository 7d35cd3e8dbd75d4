import * as z from '~/utils/zod'
import { TRANSITION_ACTIONS, type TransitionAction } from '~/domain/incident/lifecycle'
import { COMMENT_MAX, SEVERITIES } from '~/domain/incident/vocabulary'

/** Every form names the incident version it was rendered from, so a stale one is refused (409). */
const version = z.coerce.number().int().min(0)
const reason = z.string({ error: 'Give a reason' }).trim().min(1, 'Give a reason').max(1000)

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
