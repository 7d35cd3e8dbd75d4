/**
 * Words of the inbound alert pages, safe for the browser bundle (no server imports). The source
 * names equal `INTEGRATION_KINDS` (db/entities/integration.ts); a unit test keeps them equal.
 */

export const ALERT_SOURCES = ['alertmanager', 'pagerduty', 'generic'] as const
export type AlertSource = (typeof ALERT_SOURCES)[number]

export const ALERT_SOURCE_OPTION_LABELS: Record<AlertSource, string> = {
  alertmanager: 'Alertmanager',
  pagerduty: 'PagerDuty',
  generic: 'Generic JSON',
}

export const DEFAULT_RATE_LIMIT = 120
export const RATE_LIMIT_MAX = 10_000
export const INTEGRATION_NAME_MAX = 120
export const SIGNING_SECRET_MAX = 200

export const RECEIPT_STATUS_LABELS = {
  queued: 'Queued',
  processed: 'Processed',
  failed: 'Failed',
  ignored: 'Ignored',
} as const

export const OUTCOME_LABELS = {
  declared: 'Declared',
  appended: 'Added to',
  counted: 'Counted on',
  resolved: 'Resolved on',
  ignored: 'Ignored',
} as const
