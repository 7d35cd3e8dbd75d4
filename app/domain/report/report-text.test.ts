import { describe, expect, it } from 'vitest'
import type { AnalyticsFilters } from '~/domain/analytics/types'
import {
  bucketLabel,
  describeFilters,
  describePeriod,
  periodLabel,
  periodRange,
  reportFilename,
} from './report-text'
import { canonicalFilters, reportObjectKey, reportParametersHash } from './report.server'

const filters = (overrides: Partial<AnalyticsFilters> = {}): AnalyticsFilters => ({
  from: '2026-03-01T23:00:00.000Z',
  to: '2026-03-31T22:00:00.000Z',
  period: '30d',
  bucket: 'day',
  severities: [],
  serviceId: null,
  incidentTypeId: null,
  commanderId: null,
  ...overrides,
})

const SERVICE = '6f1c2a9e-3b7d-4c5e-8f90-1a2b3c4d5e6f'
const TYPE = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'
const PERSON = '9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f'

describe('periods in words', () => {
  it('names the preset periods and custom dates', () => {
    expect(periodLabel('90d')).toBe('Last 90 days')
    expect(periodLabel('custom')).toBe('Custom dates')
    expect(periodLabel('14d')).toBe('Last 14 days')
  })

  it('shows the first and last day in the organization’s zone, across a DST change', () => {
    // Zurich: 2 Mar 00:00 CET = 1 Mar 23:00 UTC; 1 Apr 00:00 CEST = 31 Mar 22:00 UTC (exclusive).
    expect(periodRange(filters(), 'Europe/Zurich')).toBe('2 Mar 2026 – 31 Mar 2026')
    expect(periodRange(filters(), 'UTC')).toBe('1 Mar 2026 – 31 Mar 2026')
    expect(describePeriod(filters(), 'Europe/Zurich')).toBe(
      'Last 30 days: 2 Mar 2026 – 31 Mar 2026 (Europe/Zurich)',
    )
  })

  it('shows a one-day period as that day', () => {
    const day = filters({ from: '2026-03-10T00:00:00.000Z', to: '2026-03-11T00:00:00.000Z' })
    expect(periodRange(day, 'UTC')).toBe('10 Mar 2026')
  })

  it('labels day and week buckets', () => {
    expect(bucketLabel('2026-03-29', 'day')).toBe('Sun 29 Mar 2026')
    expect(bucketLabel('2026-03-23', 'week')).toBe('Week of 23 Mar 2026')
  })
})

describe('filters in words', () => {
  const names = {
    services: [{ id: SERVICE, name: 'Checkout' }],
    incidentTypes: [{ id: TYPE, name: 'Outage' }],
    members: [{ id: PERSON, name: 'Zoë Ångström' }],
  }

  it('says "All incidents" when nothing narrows the report', () => {
    expect(describeFilters(filters(), names)).toBe('All incidents')
  })

  it('lists severities, service, type and commander by name', () => {
    expect(
      describeFilters(
        filters({
          severities: ['SEV-2', 'SEV-1'],
          serviceId: SERVICE,
          incidentTypeId: TYPE,
          commanderId: PERSON,
        }),
        names,
      ),
    ).toBe('SEV-1, SEV-2 · service Checkout · type Outage · commander Zoë Ångström')
  })

  it('says "(removed)" for an id whose name is gone', () => {
    expect(describeFilters(filters({ serviceId: TYPE }), names)).toBe('service (removed)')
  })
})

describe('report parameters', () => {
  it('hash equal for the same choices in any order and case, different otherwise', () => {
    const a = filters({ severities: ['SEV-2', 'SEV-1'], serviceId: SERVICE })
    const b = filters({ severities: ['SEV-1', 'SEV-2'], serviceId: SERVICE.toUpperCase() })
    expect(reportParametersHash(a)).toBe(reportParametersHash(b))
    expect(reportParametersHash(a)).toMatch(/^[0-9a-f]{64}$/)
    expect(reportParametersHash(a)).not.toBe(reportParametersHash(filters({ serviceId: SERVICE })))
    expect(reportParametersHash(a)).not.toBe(
      reportParametersHash({ ...a, bucket: 'week' as const }),
    )
    expect(canonicalFilters(b)).toEqual({ ...a, severities: ['SEV-1', 'SEV-2'] })
  })

  it('keeps nothing but the filters', () => {
    const extra = { ...filters(), note: 'ignored' } as AnalyticsFilters
    expect(Object.keys(canonicalFilters(extra)).sort()).toEqual(
      [
        'bucket',
        'commanderId',
        'from',
        'incidentTypeId',
        'period',
        'serviceId',
        'severities',
        'to',
      ].sort(),
    )
  })

  it('stores the file under the organization', () => {
    expect(reportObjectKey('org-1', 'rep-2')).toBe('org/org-1/report/rep-2.pdf')
  })

  it('names the file after organization and period, ASCII only', () => {
    expect(
      reportFilename(
        'Zürich → Köln Ops',
        filters(),
        'Europe/Zurich',
        '1234abcd-0000-4000-8000-000000000000',
      ),
    ).toBe('incident-report-Zurich-Koln-Ops-2026-03-02-to-2026-03-31-1234abcd.pdf')
  })
})
