import type { DraftMode, DraftSummary } from '~/domain/postmortem/drafts.server'

/** A draft's status and source in words, as the postmortem page and the draft's own page show them. */
export const DRAFT_STATUS_WORDS: Record<DraftSummary['status'], string> = {
  queued: 'Queued',
  running: 'Running',
  done: 'Ready for review',
  failed: 'Failed',
  accepted: 'Accepted',
  discarded: 'Discarded',
}

export const DRAFT_MODE_WORDS: Record<DraftMode, string> = {
  template: 'Template',
  llm: 'Language model',
}
