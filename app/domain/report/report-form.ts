import {
  PERIODS,
  parseAnalyticsFilters,
  periodDates,
  type Period,
} from '~/domain/analytics/filters'
import type { AnalyticsFilters } from '~/domain/analytics/types'
import { SEVERITIES, type Severity } from '~/domain/incident/vocabulary'
import { DATE_RANGE_MESSAGE, isDateOutsideRange } from '~/utils/date-range'
import * as z from '~/utils/zod'

/**
 * The "New PDF report" form (/reports): its schema, which the browser checks too, the values it
 * starts from, and the analytics filters a valid submission stands for.
 */

const optionalId = z
  .union([z.uuid(), z.literal('')])
  .optional()
  .transform((v) => v || '')

const isoDate = /^\d{4}-\d{2}-\d{2}$/

const customDate = z
  .string()
  .trim()
  .max(10)
  .optional()
  .refine((value) => !value || !isDateOutsideRange(value), { error: DATE_RANGE_MESSAGE })

export const reportRequestSchema = z
  .object({
    period: z.enum(PERIODS, { error: 'Choose a period' }),
    from: customDate,
    to: customDate,
    severity: z.array(z.enum(SEVERITIES)).optional(),
    service: optionalId,
    type: optionalId,
    commander: optionalId,
    bucket: z.enum(['day', 'week']).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.period !== 'custom') return
    if (!value.from || !isoDate.test(value.from))
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'Enter the first day of the period' })
    if (!value.to || !isoDate.test(value.to))
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'Enter the last day of the period' })
    if (value.from && value.to && value.from > value.to)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'The last day is before the first' })
  })

export type ReportRequest = z.output<typeof reportRequestSchema>

/** What the form shows first: the filters in the URL, so the dashboard can link here with its view. */
export interface ReportFormDefaults {
  period: Period
  from: string
  to: string
  severity: Severity[]
  service: string
  type: string
  commander: string
  bucket: string
}

export function reportFormDefaults(
  searchParams: URLSearchParams,
  timeZone: string,
  now: Date,
): ReportFormDefaults {
  const filters = parseAnalyticsFilters(searchParams, timeZone, now)
  const dates = periodDates(filters, timeZone)
  return {
    period: filters.period as Period,
    from: searchParams.has('from') || filters.period === 'custom' ? dates.from : '',
    to: searchParams.has('to') || filters.period === 'custom' ? dates.to : '',
    severity: filters.severities,
    service: filters.serviceId ?? '',
    type: filters.incidentTypeId ?? '',
    commander: filters.commanderId ?? '',
    bucket: searchParams.get('bucket') ?? '',
  }
}

/** The analytics filters a valid form stands for, read the way the dashboard reads its URL. */
export function reportRequestFilters(
  value: ReportRequest,
  timeZone: string,
  now: Date,
): AnalyticsFilters {
  const params = new URLSearchParams({ period: value.period })
  if (value.period === 'custom') {
    params.set('from', value.from ?? '')
    params.set('to', value.to ?? '')
  }
  for (const severity of value.severity ?? []) params.append('severity', severity)
  if (value.service) params.set('service', value.service)
  if (value.type) params.set('type', value.type)
  if (value.commander) params.set('commander', value.commander)
  if (value.bucket) params.set('bucket', value.bucket)
  return parseAnalyticsFilters(params, timeZone, now)
}
