import { describe, expect, it } from 'vitest'
import { filtersToSearchParams, parseAnalyticsFilters, periodDates } from './filters'

const BERLIN = 'Europe/Berlin'
/** Friday 27 November 2026, 14:05 in Berlin (CET, UTC+1). */
const NOW = new Date('2026-11-27T13:05:00Z')
const SERVICE = '3f2b7c1e-8a4d-4e6f-9b1a-2c3d4e5f6a7b'
const TYPE = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'
const USER = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'

const parse = (query: string, timeZone = BERLIN, now = NOW) =>
  parseAnalyticsFilters(new URLSearchParams(query), timeZone, now)

describe('parseAnalyticsFilters', () => {
  it('defaults to the last 90 local days including today, in day buckets, unfiltered', () => {
    expect(parse('')).toEqual({
      period: '90d',
      // 29 August (CEST, UTC+2) 00:00 to 28 November (CET) 00:00.
      from: '2026-08-29T22:00:00.000Z',
      to: '2026-11-27T23:00:00.000Z',
      bucket: 'day',
      severities: [],
      serviceId: null,
      incidentTypeId: null,
      commanderId: null,
    })
  })

  it('reads each named period as whole local days ending today', () => {
    expect(parse('period=7d')).toMatchObject({
      from: '2026-11-20T23:00:00.000Z',
      to: '2026-11-27T23:00:00.000Z',
      bucket: 'day',
    })
    expect(parse('period=30d').from).toBe('2026-10-28T23:00:00.000Z')
    expect(parse('period=365d')).toMatchObject({
      from: '2025-11-27T23:00:00.000Z',
      bucket: 'week',
    })
  })

  it('reads a custom period as inclusive local dates', () => {
    expect(parse('period=custom&from=2026-03-29&to=2026-03-29')).toMatchObject({
      period: 'custom',
      from: '2026-03-28T23:00:00.000Z',
      to: '2026-03-29T22:00:00.000Z',
      bucket: 'day',
    })
  })

  it('swaps custom dates given the wrong way round', () => {
    expect(parse('period=custom&from=2026-04-30&to=2026-04-01')).toMatchObject({
      from: '2026-03-31T22:00:00.000Z',
      to: '2026-04-30T22:00:00.000Z',
    })
  })

  it('falls back to the default period for a custom period without valid dates', () => {
    for (const query of [
      'period=custom',
      'period=custom&from=2026-02-30&to=2026-03-01',
      'period=custom&from=yesterday&to=2026-03-01',
      'period=custom&from=1900-01-01&to=2026-03-01',
      // Outside the accepted dates (2000 … 2099), however short the period.
      'period=custom&from=0000-01-01&to=0000-01-02',
      'period=custom&from=1999-12-30&to=1999-12-31',
      'period=custom&from=9999-12-30&to=9999-12-31',
      'period=custom&from=2100-01-01T00:00Z&to=2100-01-02T00:00Z',
    ])
      expect(parse(query), query).toMatchObject({ period: '90d', from: '2026-08-29T22:00:00.000Z' })
  })

  it('falls back to defaults for unknown or malformed values, never throwing', () => {
    expect(
      parse('period=1000d&bucket=hour&severity=SEV-9&severity=&service=nope&type=1&commander=%00'),
    ).toEqual(parse(''))
    expect(parse('', 'Mars/Olympus_Mons')).toMatchObject({ from: '2026-08-30T00:00:00.000Z' })
  })

  it('keeps known severities once each, in severity order', () => {
    expect(parse('severity=SEV-3&severity=SEV-1&severity=SEV-3&severity=bad').severities).toEqual([
      'SEV-1',
      'SEV-3',
    ])
  })

  it('reads service, incident type and commander ids', () => {
    expect(parse(`service=${SERVICE}&type=${TYPE}&commander=${USER.toUpperCase()}`)).toMatchObject({
      serviceId: SERVICE,
      incidentTypeId: TYPE,
      commanderId: USER,
    })
  })

  it('uses day buckets up to 90 days and weeks beyond, unless asked otherwise', () => {
    expect(parse('period=30d&bucket=week').bucket).toBe('week')
    expect(parse('period=365d&bucket=day').bucket).toBe('day')
    expect(parse('period=custom&from=2026-01-01&to=2026-03-31').bucket).toBe('day')
    expect(parse('period=custom&from=2026-01-01&to=2026-04-01').bucket).toBe('week')
    expect(parse('period=custom&from=2020-01-01&to=2023-12-31&bucket=day').bucket).toBe('week')
  })
})

describe('filtersToSearchParams', () => {
  it('round-trips every filter through the URL', () => {
    const filters = parse(
      `period=30d&severity=SEV-2&severity=SEV-1&service=${SERVICE}&type=${TYPE}&commander=${USER}&bucket=week`,
    )
    const params = filtersToSearchParams(filters, BERLIN)
    expect(params.toString()).toBe(
      `period=30d&severity=SEV-1&severity=SEV-2&service=${SERVICE}&type=${TYPE}&commander=${USER}&bucket=week`,
    )
    expect(parseAnalyticsFilters(params, BERLIN, NOW)).toEqual(filters)
  })

  it('writes a custom period as the local dates typed, with the zone', () => {
    const filters = parse('period=custom&from=2026-10-25&to=2026-10-31')
    expect(filtersToSearchParams(filters, BERLIN).toString()).toBe(
      'period=custom&from=2026-10-25&to=2026-10-31&bucket=day',
    )
    expect(periodDates(filters, BERLIN)).toEqual({ from: '2026-10-25', to: '2026-10-31' })
  })

  it('writes a custom period as exact instants without the zone, which parse back anywhere', () => {
    const filters = parse('period=custom&from=2026-10-25&to=2026-10-31')
    const params = filtersToSearchParams(filters)
    expect(params.get('from')).toBe('2026-10-24T22:00:00.000Z')
    expect(params.get('to')).toBe('2026-10-31T23:00:00.000Z')
    expect(parseAnalyticsFilters(params, 'UTC', NOW)).toEqual(filters)
  })
})
