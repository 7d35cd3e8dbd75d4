import type { PostmortemStatus } from '~/domain/incident/events'

/**
 * Words and limits shared by the postmortem pages, the draft generator, the print view and the
 * API. Browser-safe: no server imports.
 */

export type { PostmortemStatus }
export const POSTMORTEM_STATUSES = [
  'draft',
  'in_review',
  'published',
] as const satisfies readonly PostmortemStatus[]

export const POSTMORTEM_STATUS_LABELS: Record<PostmortemStatus, string> = {
  draft: 'Draft',
  in_review: 'In review',
  published: 'Published',
}

/** The written sections, in the order they are shown and printed; the timeline comes second. */
export const POSTMORTEM_SECTIONS = [
  'summary',
  'customerImpact',
  'rootCause',
  'wentWell',
  'wentPoorly',
  'lessons',
] as const
export type PostmortemSection = (typeof POSTMORTEM_SECTIONS)[number]
export type PostmortemSections = Record<PostmortemSection, string>

export const POSTMORTEM_SECTION_LABELS: Record<PostmortemSection, string> = {
  summary: 'Summary',
  customerImpact: 'Customer impact',
  rootCause: 'Root cause and contributing factors',
  wentWell: 'What went well',
  wentPoorly: 'What went poorly',
  lessons: 'Lessons',
}

/** Per section, in characters. */
export const POSTMORTEM_SECTION_MAX = 20_000

/** Longest note on one chosen timeline entry, in characters. */
export const TIMELINE_NOTE_MAX = 1_000
/** Longest change note of a revision, in characters (the column's length). */
export const CHANGE_NOTE_MAX = 500

/** Which status a postmortem may move to from each status. */
export const POSTMORTEM_MOVES: Record<PostmortemStatus, readonly PostmortemStatus[]> = {
  draft: ['in_review', 'published'],
  in_review: ['published', 'draft'],
  published: ['draft'],
}

/** A move to each status, as its button says it. */
export const POSTMORTEM_MOVE_LABELS: Record<PostmortemStatus, string> = {
  in_review: 'Send for review',
  published: 'Publish postmortem',
  draft: 'Return to draft',
}

/** One chosen timeline entry: the incident event's seq and an optional note. */
export interface PostmortemTimelineEntry {
  seq: number
  note: string
}

export const ACTION_ITEM_PRIORITIES = ['high', 'medium', 'low'] as const
export type ActionItemPriority = (typeof ACTION_ITEM_PRIORITIES)[number]
export const ACTION_ITEM_PRIORITY_LABELS: Record<ActionItemPriority, string> = {
  high: 'High',
  medium: 'Medium',
  low: 'Low',
}

export const ACTION_ITEM_STATUSES = ['open', 'in_progress', 'done', 'wont_do'] as const
export type ActionItemStatus = (typeof ACTION_ITEM_STATUSES)[number]
export const ACTION_ITEM_STATUS_LABELS: Record<ActionItemStatus, string> = {
  open: 'Open',
  in_progress: 'In progress',
  done: 'Done',
  wont_do: "Won't do",
}
export const OPEN_ACTION_ITEM_STATUSES: readonly ActionItemStatus[] = ['open', 'in_progress']
