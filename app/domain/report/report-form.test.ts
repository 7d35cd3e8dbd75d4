import { parseWithZod } from '@conform-to/zod/v4'
import { describe, expect, it } from 'vitest'
import { parseAnalyticsFilters } from '~/domain/analytics/filters'
import { reportFormDefaults, reportRequestFilters, reportRequestSchema } from './report-form'

const ZURICH = 'Europe/Zurich'
/** Friday 27 November 2026, 14:05 in Zurich (CET, UTC+1). */
const NOW = new Date('2026-11-27T13:05:00Z')
const SERVICE = '3f2b7c1e-8a4d-4e6f-9b1a-2c3d4e5f6a7b'

function form(fields: Record<string, string | string[]>) {
  const body = new FormData()
  for (const [key, value] of Object.entries(fields))
    for (const v of Array.isArray(value) ? value : [value]) body.append(key, v)
  return parseWithZod(body, { schema: reportRequestSchema })
}

function errorsOf(fields: Record<string, string | string[]>) {
  const submission = form(fields)
  return submission.status === 'error' ? submission.error : null
}

describe('the new PDF report form', () => {
  it('stands for the filters the dashboard reads from the same choices in its URL', () => {
    const submission = form({
      period: 'custom',
      from: '2026-01-01',
      to: '2026-01-31',
      severity: ['SEV-2', 'SEV-1'],
      service: SERVICE,
      type: '',
      commander: '',
      bucket: 'week',
    })
    expect(submission.status).toBe('success')
    if (submission.status !== 'success') return
    const query = `period=custom&from=2026-01-01&to=2026-01-31&severity=SEV-1&severity=SEV-2&service=${SERVICE}&bucket=week`
    expect(reportRequestFilters(submission.value, ZURICH, NOW)).toEqual(
      parseAnalyticsFilters(new URLSearchParams(query), ZURICH, NOW),
    )
  })

  it('leaves out the dates of a named period', () => {
    const submission = form({ period: '7d', from: '2026-01-01', to: '2026-01-31' })
    if (submission.status !== 'success') throw new Error('expected a valid form')
    expect(reportRequestFilters(submission.value, ZURICH, NOW)).toMatchObject({
      period: '7d',
      from: '2026-11-20T23:00:00.000Z',
      to: '2026-11-27T23:00:00.000Z',
    })
  })

  it('refuses a custom period without a first day, and one ending before it starts', () => {
    expect(errorsOf({ period: 'custom', from: '', to: '2026-01-10' })).toEqual({
      from: ['Enter the first day of the period'],
    })
    expect(errorsOf({ period: 'custom', from: '2026-02-10', to: '2026-01-10' })).toEqual({
      to: ['The last day is before the first'],
    })
  })

  it('starts from the URL’s filters, with dates only for a custom period or dates given', () => {
    const custom = `period=custom&from=2026-01-01&to=2026-01-31&service=${SERVICE}&severity=SEV-3`
    expect(reportFormDefaults(new URLSearchParams(custom), ZURICH, NOW)).toEqual({
      period: 'custom',
      from: '2026-01-01',
      to: '2026-01-31',
      severity: ['SEV-3'],
      service: SERVICE,
      type: '',
      commander: '',
      bucket: '',
    })
    expect(reportFormDefaults(new URLSearchParams('period=30d'), ZURICH, NOW)).toMatchObject({
      period: '30d',
      from: '',
      to: '',
    })
  })
})
