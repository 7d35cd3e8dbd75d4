import { createHash } from 'node:crypto'
import type * as z from 'zod'
import { SEVERITIES, type Severity } from '~/domain/incident/vocabulary'

/**
 * What every alert source (Alertmanager, PagerDuty, the generic JSON format) is reduced to before
 * the worker acts on it: one entry per de-duplication key.
 */
export interface NormalizedAlert {
  /** Alerts with the same key (per integration) belong to the same open incident. */
  dedupKey: string
  status: 'firing' | 'resolved'
  /** At most TITLE_MAX characters. */
  title: string
  /** The severity the alert asked for; null lets the integration's default decide. */
  severity: Severity | null
  /** A short plain-text account (labels, description, links), at most DETAILS_MAX characters. */
  details: string | null
}

/** A payload the source may send that is not about an alert's state (a ping, an annotation). */
export type ParseResult =
  | { ok: true; alerts: NormalizedAlert[]; note: string | null }
  | { ok: false; issues: PayloadIssue[] }

export interface PayloadIssue {
  /** Where in the JSON document, e.g. `alerts.0.labels`; empty for the document itself. */
  path: string
  message: string
}

/** Incident titles hold 200 characters. */
export const TITLE_MAX = 200
export const DETAILS_MAX = 2000
/** `alert_link.dedup_key` holds 500 characters; longer keys are replaced by their hash. */
export const DEDUP_KEY_MAX = 500

/** Cuts `text` to `max` characters, marking the cut with an ellipsis. */
export function clip(text: string, max: number): string {
  const trimmed = text.trim()
  return trimmed.length <= max ? trimmed : `${trimmed.slice(0, max - 1).trimEnd()}…`
}

/** A key short enough to store: long keys become `sha256:<hex>` of themselves. */
export function boundedKey(key: string): string {
  return key.length <= DEDUP_KEY_MAX
    ? key
    : `sha256:${createHash('sha256').update(key).digest('hex')}`
}

/**
 * Severity from the words monitoring systems use. Case and surrounding spaces do not matter.
 *
 * | words | severity |
 * |---|---|
 * | `SEV-1`…`SEV-4`, `sev1`…`sev4` | as named |
 * | `P1`, `P2`, `P3`, `P4`/`P5` | SEV-1, SEV-2, SEV-3, SEV-4 |
 * | `critical`, `fatal`, `emergency` | SEV-1 |
 * | `error`, `high`, `major` | SEV-2 |
 * | `warning`, `warn`, `medium`, `minor` | SEV-3 |
 * | `info`, `informational`, `low` | SEV-4 |
 *
 * Anything else is null: the integration's default severity applies.
 */
export function severityFromWord(value: unknown): Severity | null {
  if (typeof value !== 'string') return null
  const word = value.trim().toLowerCase()
  const sev = /^sev-?([1-4])$/.exec(word)
  if (sev) return SEVERITIES[Number(sev[1]) - 1]!
  const priority = /^p([1-5])$/.exec(word)
  if (priority) return SEVERITIES[Math.min(Number(priority[1]), 4) - 1]!
  return WORDS[word] ?? null
}

const WORDS: Record<string, Severity> = {
  critical: 'SEV-1',
  fatal: 'SEV-1',
  emergency: 'SEV-1',
  error: 'SEV-2',
  high: 'SEV-2',
  major: 'SEV-2',
  warning: 'SEV-3',
  warn: 'SEV-3',
  medium: 'SEV-3',
  minor: 'SEV-3',
  info: 'SEV-4',
  informational: 'SEV-4',
  low: 'SEV-4',
}

/** The most severe of the given severities (SEV-1 beats SEV-2), or null when none is given. */
export function mostSevere(severities: ReadonlyArray<Severity | null>): Severity | null {
  let best: Severity | null = null
  for (const severity of severities) {
    if (severity && (!best || SEVERITIES.indexOf(severity) < SEVERITIES.indexOf(best)))
      best = severity
  }
  return best
}

/** `key=value` pairs in key order, for details text. */
export function describeLabels(labels: Record<string, string> | undefined): string | null {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(', ') : null
}

/** Joins non-empty lines and clips the result to DETAILS_MAX; null when nothing is left. */
export function detailsText(lines: ReadonlyArray<string | null | undefined>): string | null {
  const text = lines
    .map((line) => line?.trim())
    .filter(Boolean)
    .join('\n')
  return text ? clip(text, DETAILS_MAX) : null
}

/** At most this many issues are reported for one payload. */
const ISSUES_MAX = 20

/** zod's issues as `{ path, message }`, the shape the 422 answer carries. */
export function issuesOf(error: z.ZodError): PayloadIssue[] {
  return error.issues.slice(0, ISSUES_MAX).map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }))
}
