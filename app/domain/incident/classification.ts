import type { Classification, LinkKind } from './events'

/**
 * Reclassification in words, and the rule that freezes a reclassified incident (decision 038).
 * Pure: the page, the API, exports and the services share it.
 */

export const CLASSIFICATION_LABELS: Record<Classification, string> = {
  incident: 'Incident',
  declined: 'Declined (not an incident)',
  duplicate: 'Duplicate',
  merged: 'Merged',
}

/** What a manager may reclassify an incident as (the form's choices). */
export const RECLASSIFY_CHOICES = ['declined', 'duplicate', 'merged'] as const
export type ReclassifyChoice = (typeof RECLASSIFY_CHOICES)[number]

export const RECLASSIFY_LABELS: Record<ReclassifyChoice, string> = {
  declined: 'Declined (not an incident)',
  duplicate: 'Duplicate of',
  merged: 'Merged into',
}

/** The link an incident reclassified as `classification` has to its target. */
export function linkKindFor(classification: 'duplicate' | 'merged'): LinkKind {
  return classification === 'duplicate' ? 'duplicate_of' : 'merged_into'
}

/** "Declined (not an incident)", "Duplicate of INC-4", "Merged into INC-4". */
export function classificationText(
  classification: Classification,
  classifiedAsOf: number | null,
): string {
  if (classification === 'duplicate') return `Duplicate of INC-${classifiedAsOf}`
  if (classification === 'merged') return `Merged into INC-${classifiedAsOf}`
  return CLASSIFICATION_LABELS[classification]
}

/**
 * How a link reads from one end: `outgoing` when this incident names the other (it is the
 * duplicate, the merged one, or the one a related link was added on).
 */
export function linkText(kind: LinkKind, outgoing: boolean, number: number): string {
  const other = `INC-${number}`
  switch (kind) {
    case 'related':
      return `Related to ${other}`
    case 'duplicate_of':
      return outgoing ? `Duplicate of ${other}` : `${other} is a duplicate of this incident`
    case 'merged_into':
      return outgoing ? `Merged into ${other}` : `${other} was merged into this incident`
  }
}

/**
 * A reclassified incident is frozen: its status, severity, ownership, details, roles and links
 * stay as they were until a manager undoes the reclassification. Comments and evidence stay open,
 * as on a closed incident. Returns the refusal, or null.
 */
export function frozenRefusal(incident: { classification: Classification }): string | null {
  if (incident.classification === 'incident') return null
  return `${FROZEN_WORDS[incident.classification]} Undo the reclassification first.`
}

const FROZEN_WORDS: Record<Exclude<Classification, 'incident'>, string> = {
  declined: 'This incident was declined (not an incident).',
  duplicate: 'This incident is a duplicate of another incident.',
  merged: 'This incident was merged into another incident.',
}

/** A link of an incident as its page shows it. */
export interface IncidentLinkView {
  kind: LinkKind
  /** This incident names the other (it is the duplicate, or added the related link). */
  outgoing: boolean
  number: number
  title: string
  text: string
}
