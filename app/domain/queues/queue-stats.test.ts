import { describe, expect, it } from 'vitest'
import { formatWait } from './queue-stats.server'

describe('a queue’s wait as the Jobs section shows it', () => {
  it('reads in the largest sensible units', () => {
    expect(formatWait(0)).toBe('0 s')
    expect(formatWait(59)).toBe('59 s')
    expect(formatWait(60)).toBe('1 min')
    expect(formatWait(25 * 60 + 59)).toBe('25 min')
    expect(formatWait(3600)).toBe('1 h')
    expect(formatWait(3 * 3600 + 5 * 60)).toBe('3 h 5 min')
    expect(formatWait(48 * 3600)).toBe('2 d')
    expect(formatWait(52 * 3600 + 120)).toBe('2 d 4 h')
  })
})
