import { SEVERITIES, type Severity } from '~/domain/incident/vocabulary'

/**
 * SLA policy: per severity, up to three targets measured from impact start, and the share of
 * each target after which the incident is "at risk". Durations are whole seconds; `null` means
 * the severity has no such target.
 */
export const SLA_TARGETS = ['acknowledge', 'mitigate', 'resolve'] as const
export type SlaTarget = (typeof SLA_TARGETS)[number]

export const SLA_TARGET_LABELS: Record<SlaTarget, string> = {
  acknowledge: 'Acknowledge',
  mitigate: 'Mitigate',
  resolve: 'Resolve',
}

/** The status timestamp that meets each target. */
export const SLA_TARGET_MILESTONE = {
  acknowledge: 'acknowledgedAt',
  mitigate: 'mitigatedAt',
  resolve: 'resolvedAt',
} as const satisfies Record<SlaTarget, string>

export interface SeverityTargets {
  acknowledge: number | null
  mitigate: number | null
  resolve: number | null
  /** Percentage of each target after which it is at risk (1–99). */
  warningPercent: number
}

export type SlaTargets = Record<Severity, SeverityTargets>

const MINUTE = 60
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

export const DEFAULT_WARNING_PERCENT = 75

export const DEFAULT_SLA_TARGETS: SlaTargets = {
  'SEV-1': { acknowledge: 15 * MINUTE, mitigate: HOUR, resolve: 4 * HOUR, warningPercent: 75 },
  'SEV-2': { acknowledge: 30 * MINUTE, mitigate: 4 * HOUR, resolve: DAY, warningPercent: 75 },
  'SEV-3': { acknowledge: 4 * HOUR, mitigate: null, resolve: 3 * DAY, warningPercent: 75 },
  'SEV-4': { acknowledge: DAY, mitigate: null, resolve: 7 * DAY, warningPercent: 75 },
}

/** Longest target accepted: a year. */
export const MAX_TARGET_SECONDS = 365 * DAY

const UNIT_SECONDS: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  seconds: 1,
  m: MINUTE,
  min: MINUTE,
  mins: MINUTE,
  minute: MINUTE,
  minutes: MINUTE,
  h: HOUR,
  hr: HOUR,
  hrs: HOUR,
  hour: HOUR,
  hours: HOUR,
  d: DAY,
  day: DAY,
  days: DAY,
  w: 7 * DAY,
  week: 7 * DAY,
  weeks: 7 * DAY,
}

/**
 * Reads a duration as people write it: "15m", "1h 30m", "4 hours", "3d", "90" (minutes).
 * Returns null for an empty string and undefined when it cannot be read.
 */
export function parseDuration(text: string): number | null | undefined {
  const trimmed = text.trim().toLowerCase()
  if (trimmed === '' || trimmed === '-' || trimmed === 'none') return null
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * MINUTE
  const part = /(\d+(?:\.\d+)?)\s*([a-z]+)/g
  let total = 0
  let consumed = ''
  for (const match of trimmed.matchAll(part)) {
    const unit = UNIT_SECONDS[match[2]!]
    if (unit === undefined) return undefined
    total += Number(match[1]) * unit
    consumed += match[0]
  }
  if (consumed.replace(/\s+/g, '') !== trimmed.replace(/[\s,]+|and/g, '')) return undefined
  if (!Number.isFinite(total) || total <= 0) return undefined
  return Math.round(total)
}

/** Writes seconds back in the shortest exact form: 900 → "15m", 5400 → "1h 30m", 259200 → "3d". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return ''
  const parts: string[] = []
  let rest = Math.round(seconds)
  for (const [unit, size] of [
    ['d', DAY],
    ['h', HOUR],
    ['m', MINUTE],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`)
      rest %= size
    }
  }
  return parts.join(' ') || '0s'
}

/** Checks a targets object read from storage or built from a form. */
export function validateTargets(targets: SlaTargets): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const severity of SEVERITIES) {
    const row = targets[severity]
    for (const target of SLA_TARGETS) {
      const value = row[target]
      if (value !== null && (value < MINUTE || value > MAX_TARGET_SECONDS))
        errors[`${severity}.${target}`] = 'Enter a duration between 1 minute and 365 days.'
    }
    let earlier: number | null = null
    for (const target of SLA_TARGETS) {
      const value = row[target]
      if (value === null) continue
      if (earlier !== null && value < earlier && !errors[`${severity}.${target}`])
        errors[`${severity}.${target}`] = 'A later target cannot be shorter than an earlier one.'
      earlier = value
    }
    if (!Number.isInteger(row.warningPercent) || row.warningPercent < 1 || row.warningPercent > 99)
      errors[`${severity}.warningPercent`] = 'Enter a whole percentage from 1 to 99.'
  }
  return errors
}
