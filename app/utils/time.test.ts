import { describe, expect, it } from 'vitest'
import {
  cachedFormatterCount,
  dateTimeFormat,
  formatCalendarDay,
  formatInZone,
  fromLocalInput,
  toLocalInput,
} from './time'

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Pacific/Auckland']
const INSTANTS = [
  '2026-01-01T00:00:00.000Z',
  '2026-03-29T00:59:00.000Z', // an hour before Berlin moves its clocks forward
  '2026-03-29T01:00:00.000Z',
  '2026-11-27T13:05:00.000Z',
]

describe('formatInZone', () => {
  it('writes the date and time as the organization reads it', () => {
    expect(formatInZone('2026-11-27T13:05:00.000Z', 'Europe/Berlin')).toBe('27 Nov 2026, 14:05 CET')
    expect(formatInZone('2026-07-01T08:30:00.000Z', 'Europe/Berlin')).toBe('1 Jul 2026, 10:30 CEST')
  })

  it('gives the same text as a formatter built for the call, in every zone', () => {
    for (const timeZone of ZONES) {
      for (const iso of INSTANTS) {
        const fresh = new Intl.DateTimeFormat('en-GB', {
          timeZone,
          day: 'numeric',
          month: 'short',
          year: 'numeric',
          hour: '2-digit',
          minute: '2-digit',
          timeZoneName: 'short',
        }).format(new Date(iso))
        // Twice: the second call is served by the kept formatter.
        expect(formatInZone(iso, timeZone)).toBe(fresh)
        expect(formatInZone(iso, timeZone)).toBe(fresh)
      }
    }
  })

  it('falls back to UTC text for an unknown zone, and keeps no formatter for it', () => {
    const before = cachedFormatterCount()
    expect(formatInZone('2026-11-27T13:05:00.000Z', 'Mars/Olympus_Mons')).toBe(
      '2026-11-27 13:05 UTC',
    )
    expect(cachedFormatterCount()).toBe(before)
  })

  it('falls back for an unreadable instant', () => {
    expect(formatInZone('not a date', 'UTC')).toBe('not a date UTC')
  })
})

describe('dateTimeFormat', () => {
  it('hands out one formatter per locale and options', () => {
    const options = { timeZone: 'Asia/Tokyo', hour: '2-digit' } as const
    expect(dateTimeFormat('en-GB', options)).toBe(dateTimeFormat('en-GB', { ...options }))
    expect(dateTimeFormat('en-GB', options)).not.toBe(dateTimeFormat('en-CA', options))
    expect(dateTimeFormat('en-GB', options)).not.toBe(
      dateTimeFormat('en-GB', { ...options, timeZone: 'Asia/Seoul' }),
    )
  })

  it('keeps at most 500 formatters', () => {
    const zones = Intl.supportedValuesOf('timeZone')
    for (const timeZone of zones) dateTimeFormat('en-GB', { timeZone, hour: 'numeric' })
    for (const timeZone of zones) dateTimeFormat('en-CA', { timeZone, hour: 'numeric' })
    expect(zones.length * 2).toBeGreaterThan(500)
    expect(cachedFormatterCount()).toBe(500)
  })
})

describe('local inputs', () => {
  it('round-trips a wall time through the zone', () => {
    for (const timeZone of ZONES) {
      for (const iso of ['2026-01-01T00:00:00.000Z', '2026-11-27T13:05:00.000Z']) {
        const local = toLocalInput(iso, timeZone)
        expect(fromLocalInput(local, timeZone)?.toISOString()).toBe(iso)
      }
    }
  })

  it('reads a wall time in the zone', () => {
    expect(toLocalInput('2026-11-27T13:05:00.000Z', 'Europe/Berlin')).toBe('2026-11-27T14:05')
    expect(fromLocalInput('2026-11-27T14:05', 'Europe/Berlin')?.toISOString()).toBe(
      '2026-11-27T13:05:00.000Z',
    )
    expect(fromLocalInput('27.11.2026 14:05', 'Europe/Berlin')).toBeNull()
  })
})

describe('formatCalendarDay', () => {
  it('writes a calendar date in words, and leaves what is no date alone', () => {
    expect(formatCalendarDay('2026-11-27')).toBe('Fri 27 Nov 2026')
    expect(formatCalendarDay('soon')).toBe('soon')
  })
})
