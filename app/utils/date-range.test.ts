import { describe, expect, it } from 'vitest'
import { isDateOutsideRange, isWithinDateRange } from './date-range'

describe('isDateOutsideRange', () => {
  it('flags calendar dates before 2000 or after 2099, with or without a time', () => {
    for (const value of [
      '0000-01-01',
      '1900-01-01T00:00',
      '1999-12-31',
      '2100-01-01',
      '9999-12-31',
      '275760-09-13',
      '-000001-01-01',
    ])
      expect(isDateOutsideRange(value), value).toBe(true)
  })

  it('leaves dates in the range, and values that are not dates, alone', () => {
    for (const value of ['2000-01-01', '2026-12-06T10:00Z', '2099-12-31', '3', 'yesterday', ''])
      expect(isDateOutsideRange(value), value).toBe(false)
  })
})

describe('isWithinDateRange', () => {
  it('holds from the first instant of 2000 to the last of 2099', () => {
    expect(isWithinDateRange(new Date('2000-01-01T00:00:00Z'))).toBe(true)
    expect(isWithinDateRange(new Date('2099-12-31T23:59:59Z'))).toBe(true)
    expect(isWithinDateRange(new Date('1999-12-31T23:59:59Z'))).toBe(false)
    expect(isWithinDateRange(new Date('2100-01-01T00:00:00Z'))).toBe(false)
    expect(isWithinDateRange(new Date(Number.NaN))).toBe(false)
  })
})
