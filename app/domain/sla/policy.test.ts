import { describe, expect, it } from 'vitest'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import {
  DEFAULT_SLA_TARGETS,
  MAX_TARGET_SECONDS,
  formatDuration,
  parseDuration,
  validateTargets,
  type SlaTargets,
} from './policy'

describe('parseDuration', () => {
  it.each([
    ['15m', 900],
    ['1h 30m', 5400],
    ['1h30m', 5400],
    ['1 hour, 30 minutes', 5400],
    ['1 hour and 30 minutes', 5400],
    ['4 hours', 14_400],
    ['3d', 259_200],
    ['1w', 604_800],
    ['90', 5400],
    ['1.5h', 5400],
    ['  2H  ', 7200],
    ['45s', 45],
  ])('reads %j as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds)
  })

  it.each(['', '   ', '-', 'none'])('reads %j as no target', (text) => {
    expect(parseDuration(text)).toBeNull()
  })

  it.each(['abc', '15x', '1h 30', 'h', '0m', '1h -30m', 'soon', '15 m x'])(
    'cannot read %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined()
    },
  )

  it('reads a bare 0 as zero minutes, which validateTargets then refuses', () => {
    expect(parseDuration('0')).toBe(0)
  })
})

describe('formatDuration', () => {
  it.each([
    [900, '15m'],
    [5400, '1h 30m'],
    [259_200, '3d'],
    [90_061, '1d 1h 1m 1s'],
    [45, '45s'],
  ])('writes %i seconds as %j', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text)
  })

  it('writes no target as an empty string', () => {
    expect(formatDuration(null)).toBe('')
  })

  it.each(['15m', '1h 30m', '90', '3d', '4 hours', '1w 2d', '2h 5m 7s'])(
    'round-trips %j through seconds and back',
    (text) => {
      const seconds = parseDuration(text)
      expect(typeof seconds).toBe('number')
      expect(parseDuration(formatDuration(seconds as number))).toBe(seconds)
    },
  )

  it('writes the defaults in their shortest form', () => {
    expect(formatDuration(DEFAULT_SLA_TARGETS['SEV-1'].acknowledge)).toBe('15m')
    expect(formatDuration(DEFAULT_SLA_TARGETS['SEV-2'].resolve)).toBe('1d')
  })
})

function targets(change: (t: SlaTargets) => void): SlaTargets {
  const copy = structuredClone(DEFAULT_SLA_TARGETS)
  change(copy)
  return copy
}

describe('validateTargets', () => {
  it('accepts the defaults and severities without some targets', () => {
    expect(validateTargets(DEFAULT_SLA_TARGETS)).toEqual({})
    expect(
      validateTargets(
        targets((t) => {
          for (const s of SEVERITIES) t[s] = { ...t[s], acknowledge: null, mitigate: null }
        }),
      ),
    ).toEqual({})
  })

  it('refuses zero, negative and over-a-year durations, keyed by severity and target', () => {
    expect(
      validateTargets(
        targets((t) => {
          t['SEV-1'].acknowledge = 0
          t['SEV-1'].resolve = 59
          t['SEV-2'].mitigate = -60
          t['SEV-3'].resolve = MAX_TARGET_SECONDS + 1
        }),
      ),
    ).toEqual({
      'SEV-1.acknowledge': 'Enter a duration between 1 minute and 365 days.',
      'SEV-1.resolve': 'Enter a duration between 1 minute and 365 days.',
      'SEV-2.mitigate': 'Enter a duration between 1 minute and 365 days.',
      'SEV-3.resolve': 'Enter a duration between 1 minute and 365 days.',
    })
    expect(validateTargets(targets((t) => (t['SEV-3'].resolve = MAX_TARGET_SECONDS)))).toEqual({})
    expect(
      validateTargets(
        targets((t) => (t['SEV-1'] = { ...t['SEV-1'], acknowledge: 60, mitigate: 60 })),
      ),
    ).toEqual({})
  })

  it('refuses a later target shorter than an earlier one, skipping absent targets', () => {
    expect(
      validateTargets(
        targets((t) => {
          t['SEV-1'] = { acknowledge: 3600, mitigate: 1800, resolve: 7200, warningPercent: 75 }
          t['SEV-3'] = { acknowledge: 7200, mitigate: null, resolve: 3600, warningPercent: 75 }
        }),
      ),
    ).toEqual({
      'SEV-1.mitigate': 'A later target cannot be shorter than an earlier one.',
      'SEV-3.resolve': 'A later target cannot be shorter than an earlier one.',
    })
    // Equal targets are fine.
    expect(
      validateTargets(
        targets((t) => {
          t['SEV-1'] = { acknowledge: 3600, mitigate: 3600, resolve: 3600, warningPercent: 75 }
        }),
      ),
    ).toEqual({})
  })

  it.each([0, 100, 50.5, -1])('refuses a warning threshold of %d %%', (percent) => {
    expect(validateTargets(targets((t) => (t['SEV-4'].warningPercent = percent)))).toEqual({
      'SEV-4.warningPercent': 'Enter a whole percentage from 1 to 99.',
    })
  })

  it.each([1, 99])('accepts a warning threshold of %d %%', (percent) => {
    expect(validateTargets(targets((t) => (t['SEV-4'].warningPercent = percent)))).toEqual({})
  })
})
