/** The incident page's timeline as its component (components/timeline.tsx) renders it. */

/**
 * One entry as the page renders it (a hundred to a page), so what is absent is left out rather
 * than kept as null.
 */
export interface TimelineEntry {
  seq: number
  type: string
  actor: string
  actorId: string | null
  at: string
  atIso: string
  hash: string
  summary: string
  detail?: string
  /** Sanitised HTML (from Markdown) for comments. */
  html?: string
  supersededBy?: number
  /** For evidence: where to download it, an inline preview for images, its hash. */
  attachment?: {
    href: string
    previewHref: string | null
    sha256: string
    withdrawn: boolean
  }
  /** This entry stands for a run of repeated system entries, and is the newest of them. */
  run?: TimelineRun
}

export interface TimelineRun {
  size: number
  /** The same alert again and again, or a burst of SLA signals. */
  kind: 'repeat' | 'sla'
  firstSeq: number
  firstAt: string
  firstAtUtc: string
  /** The few entries of the run just before this one, oldest first. */
  earlier: Array<{
    seq: number
    at: string
    atIso: string
    summary: string
    detail: string | null
  }>
}

/** Which part of the timeline the page shows, and where the rest is. */
export interface TimelinePaging {
  /** The incident page's path, e.g. `/incidents/7`. */
  path: string
  /** The page's own query (`before=…`, `after=…`, `timeline=all`), kept by links that stay on it. */
  query: string
  /** `?before=` of the page of older entries, if there are any. */
  olderBefore: number | null
  /** `?after=` of the page of newer entries, if there are any. */
  newerAfter: number | null
  /** Events in the whole timeline. */
  total: number
  /** Every entry is shown, one by one. */
  all: boolean
  /** The comment whose correction form is open (`?correct=<seq>`). */
  correcting: number | null
}

/**
 * The page's entries as the page receives them: as the server-rendered markup of the whole page of
 * entries (what nearly every view needs), or as the entries themselves where the page renders them
 * as components (the correction form's view, `?correct=<seq>`).
 */
export type TimelineShown = {
  /** Entries on the page. */
  count: number
  /** Some entry stands for a run of repeated entries. */
  grouped: boolean
} & (
  | {
      /** Null when the document already shows the markup (see useDocumentMarkup). */
      markup: string | null
      entries?: undefined
    }
  | { entries: TimelineEntry[]; markup?: undefined }
)

/**
 * Whether the viewer may correct an entry: someone who may work on the incident corrects their
 * own comments, an admin anyone's.
 */
export function correctableBy(viewer: {
  canWork: boolean
  canCorrectAny: boolean
  viewerId: string
}) {
  return (entry: Pick<TimelineEntry, 'actorId'>) =>
    viewer.canWork && (viewer.canCorrectAny || entry.actorId === viewer.viewerId)
}
