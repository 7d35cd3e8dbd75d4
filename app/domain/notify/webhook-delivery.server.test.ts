import { describe, expect, it } from 'vitest'
import { EnvError, parseEnv, workerEnvSchema } from '~/utils/env.server'
import {
  MAX_RETRY_AFTER_SECONDS,
  nextDelay,
  parseRetryAfter,
  webhookSettings,
} from './webhook-delivery.server'

const NOW = new Date('2025-03-04T10:00:00.000Z')
const fixed = (value: number) => () => value

describe('parseRetryAfter', () => {
  it.each<[string, number | null]>([
    ['7', 7],
    [' 120 ', 120],
    ['0', 0],
    // HTTP-date, in the preferred form and the two obsolete ones.
    ['Tue, 04 Mar 2025 10:00:30 GMT', 30],
    ['Tuesday, 04-Mar-25 10:01:00 GMT', 60],
    ['Tue Mar  4 10:02:00 2025', 120],
    ['Tue, 04 Mar 2025 09:00:00 GMT', 0],
    ['soon', null],
    ['-5', null],
    ['1.5', null],
    ['', null],
    ['7 seconds', null],
  ])('reads %j as %j', (value, seconds) => {
    expect(parseRetryAfter(value, NOW)).toBe(seconds)
  })

  it('reads a missing header as null', () => {
    expect(parseRetryAfter(null, NOW)).toBeNull()
    expect(parseRetryAfter(undefined, NOW)).toBeNull()
  })

  it('rounds a date a fraction of a second ahead up to whole seconds', () => {
    expect(parseRetryAfter('Tue, 04 Mar 2025 10:00:05 GMT', new Date(NOW.getTime() + 500))).toBe(5)
  })
})

describe('nextDelay', () => {
  const schedule = [5, 300, 1800]

  it('takes the schedule entry of the attempt that failed, unmoved when random() is ½', () => {
    expect(nextDelay(1, schedule, null, fixed(0.5), NOW)).toBe(5)
    expect(nextDelay(2, schedule, null, fixed(0.5), NOW)).toBe(300)
    expect(nextDelay(3, schedule, null, fixed(0.5), NOW)).toBe(1800)
  })

  it('moves the entry by at most 20 % either way', () => {
    expect(nextDelay(2, schedule, null, fixed(0), NOW)).toBe(240)
    expect(nextDelay(2, schedule, null, fixed(0.75), NOW)).toBe(330)
    expect(nextDelay(2, schedule, null, fixed(0.999999), NOW)).toBeCloseTo(360, 2)
    for (let i = 0; i < 200; i++) {
      const delay = nextDelay(3, schedule, null, Math.random, NOW)!
      expect(delay).toBeGreaterThanOrEqual(1440)
      expect(delay).toBeLessThanOrEqual(2160)
    }
  })

  it('is null once the schedule is exhausted, and for attempt numbers that do not exist', () => {
    expect(nextDelay(4, schedule, null, fixed(0.5), NOW)).toBeNull()
    expect(nextDelay(4, schedule, '7', fixed(0.5), NOW)).toBeNull()
    expect(nextDelay(0, schedule, null, fixed(0.5), NOW)).toBeNull()
    expect(nextDelay(1, [], null, fixed(0.5), NOW)).toBeNull()
  })

  it('follows Retry-After instead of the schedule, without jitter', () => {
    expect(nextDelay(1, schedule, '7', fixed(0), NOW)).toBe(7)
    expect(nextDelay(3, schedule, '7', fixed(0.9), NOW)).toBe(7)
    expect(nextDelay(1, schedule, 'Tue, 04 Mar 2025 11:00:00 GMT', fixed(0.5), NOW)).toBe(3600)
  })

  it('caps Retry-After at 24 hours, and waits at least a second', () => {
    expect(nextDelay(1, schedule, '999999', fixed(0.5), NOW)).toBe(MAX_RETRY_AFTER_SECONDS)
    expect(nextDelay(1, schedule, 'Fri, 07 Mar 2025 10:00:00 GMT', fixed(0.5), NOW)).toBe(86_400)
    expect(nextDelay(1, schedule, '0', fixed(0.5), NOW)).toBe(1)
    expect(nextDelay(1, schedule, 'Mon, 03 Mar 2025 10:00:00 GMT', fixed(0.5), NOW)).toBe(1)
  })

  it('falls back to the schedule when Retry-After cannot be read', () => {
    expect(nextDelay(2, schedule, 'later please', fixed(0.5), NOW)).toBe(300)
  })
})

describe('webhookSettings', () => {
  it('defaults to a 10 s timeout and 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about a day)', () => {
    const settings = webhookSettings(parseEnv(workerEnvSchema, {}))
    expect(settings).toEqual({
      allowedHosts: undefined,
      timeoutMs: 10_000,
      retrySchedule: [5, 300, 1800, 7200, 18_000, 36_000, 36_000],
      // Two timeouts (a connection, then the attempt) and a margin.
      expireInSeconds: 50,
    })
    const total = settings.retrySchedule.reduce((sum, s) => sum + s, 0)
    expect(total / 3600).toBeGreaterThan(24)
    expect(total / 3600).toBeLessThan(30)
  })

  it('reads the variables', () => {
    const settings = webhookSettings(
      parseEnv(workerEnvSchema, {
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        WEBHOOK_TIMEOUT_SECONDS: '3',
        WEBHOOK_RETRY_SCHEDULE: '1s, 2m,1h 30m',
      }),
    )
    expect(settings).toEqual({
      allowedHosts: '127.0.0.1',
      timeoutMs: 3000,
      retrySchedule: [1, 120, 5400],
      expireInSeconds: 36,
    })
    expect(
      webhookSettings(parseEnv(workerEnvSchema, { WEBHOOK_RETRY_SCHEDULE: '' })).retrySchedule,
    ).toHaveLength(7)
  })

  it('names a schedule it cannot read, and a timeout out of range', () => {
    for (const [name, value, message] of [
      ['WEBHOOK_RETRY_SCHEDULE', '5s,soon', /cannot read "soon"/],
      ['WEBHOOK_RETRY_SCHEDULE', '5s,,5m', /cannot read ""/],
      ['WEBHOOK_TIMEOUT_SECONDS', '0', /WEBHOOK_TIMEOUT_SECONDS/],
    ] as const) {
      let error: unknown
      try {
        parseEnv(workerEnvSchema, { [name]: value })
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(EnvError)
      expect((error as EnvError).problems.join('\n')).toMatch(message)
      expect((error as EnvError).problems.join('\n')).toContain(name)
    }
  })
})
