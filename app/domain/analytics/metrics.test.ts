import { describe, expect, it } from 'vitest'
import {
  DEFINITIONS_VERSION,
  DEFINITION_BY_ID,
  METRIC_DEFINITIONS,
  OPEN_AGE_BUCKETS,
  bucketStart,
  bucketsBetween,
  compliance,
  durationStats,
  formatPercent,
  formatSeconds,
  firstReached,
  localDate,
  openAgeBucket,
  percentileCont,
  responseDurations,
  slaOutcome,
  startOfLocalDay,
  type Milestones,
} from './metrics'

const BERLIN = 'Europe/Berlin'
const HOUR = 3_600_000

describe('definitions', () => {
  it('has a version and one definition per id, each with a formula and what it counts', () => {
    expect(DEFINITIONS_VERSION).toMatch(/^\d+$/)
    const ids = METRIC_DEFINITIONS.map((d) => d.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const d of METRIC_DEFINITIONS) {
      expect(d.formula.length).toBeGreaterThan(20)
      expect(d.counts.length).toBeGreaterThan(10)
    }
    expect(DEFINITION_BY_ID.mttr.formula).toContain('Resolved − impact started')
    expect(DEFINITION_BY_ID.mtta.exclusions.join(' ')).toMatch(/not reached/)
    expect(DEFINITION_BY_ID.mtta.exclusions.join(' ')).toMatch(/below zero/)
  })
})

describe('percentileCont (linear interpolation between closest ranks)', () => {
  it('gives the only value for every quantile of one value', () => {
    expect(percentileCont([42], 0.5)).toBe(42)
    expect(percentileCont([42], 0.9)).toBe(42)
  })

  it('interpolates between two values', () => {
    expect(percentileCont([10, 20], 0.5)).toBe(15)
    expect(percentileCont([10, 20], 0.9)).toBe(19)
  })

  it('has no value for no values', () => {
    expect(percentileCont([], 0.5)).toBeNull()
  })
})

describe('durationStats', () => {
  it('of one value', () => {
    expect(durationStats([42])).toEqual({ count: 1, mean: 42, median: 42, p90: 42 })
  })

  it('of two values', () => {
    expect(durationStats([20, 10])).toEqual({ count: 2, mean: 15, median: 15, p90: 19 })
  })

  it('of ten values, given in any order', () => {
    // Sorted: 60 120 … 540 3600. Median at rank 4.5: (300 + 360) / 2. p90 at rank 8.1:
    // 540 + 0.1 × (3600 − 540) = 846.
    const values = [3600, 540, 60, 480, 120, 420, 180, 360, 240, 300]
    const stats = durationStats(values)
    expect(stats.count).toBe(10)
    expect(stats.mean).toBe(630)
    expect(stats.median).toBe(330)
    expect(stats.p90).toBeCloseTo(846, 9)
  })

  it('leaves out durations not reached (null) and negative ones, and does not count them', () => {
    expect(durationStats([null, -60, 120, Number.NaN])).toEqual({
      count: 1,
      mean: 120,
      median: 120,
      p90: 120,
    })
  })

  it('has no mean, median or p90 when nothing is counted', () => {
    expect(durationStats([])).toEqual({ count: 0, mean: null, median: null, p90: null })
    expect(durationStats([null, -1])).toEqual({ count: 0, mean: null, median: null, p90: null })
  })
})

describe('response durations over hand-computed incidents', () => {
  const t = (hhmm: string) => `2026-03-02T${hhmm}:00.000Z`
  /** Acknowledged 5 min, mitigated 30 min, resolved 60 min after impact start. */
  const resolved: Milestones = {
    impactStartedAt: t('10:00'),
    acknowledgedAt: t('10:05'),
    mitigatedAt: t('10:30'),
    resolvedAt: t('11:00'),
  }
  /** Still Detected: never reached any milestone. */
  const neverAcknowledged: Milestones = {
    impactStartedAt: t('10:00'),
    acknowledgedAt: null,
    mitigatedAt: null,
    resolvedAt: null,
  }
  /** Investigating for good: acknowledged after 10 min, nothing more. */
  const investigating: Milestones = { ...neverAcknowledged, acknowledgedAt: t('10:10') }
  /** Resolved at 10:40, reopened at 12:00, resolved again at 13:00: the first resolution counts. */
  const reopened = firstReached(t('10:00'), [
    { to: 'investigating', at: t('10:02') },
    { to: 'mitigated', at: t('10:20') },
    { to: 'resolved', at: t('10:40') },
    { to: 'investigating', at: t('12:00') },
    { to: 'mitigated', at: t('12:30') },
    { to: 'resolved', at: t('13:00') },
  ])
  /** Impact start edited to 11:00 after the 10:30 acknowledgement: MTTA would be negative. */
  const editedImpactStart: Milestones = {
    impactStartedAt: t('11:00'),
    acknowledgedAt: t('10:30'),
    mitigatedAt: t('11:30'),
    resolvedAt: t('12:00'),
  }
  const incidents = [resolved, neverAcknowledged, investigating, reopened, editedImpactStart]
  const durations = incidents.map(responseDurations)

  it('measures each milestone from impact start, in seconds', () => {
    expect(durations[0]).toEqual({ mtta: 300, mttm: 1800, mttr: 3600 })
    expect(durations[1]).toEqual({ mtta: null, mttm: null, mttr: null })
    expect(durations[2]).toEqual({ mtta: 600, mttm: null, mttr: null })
  })

  it('keeps the first acknowledgement, mitigation and resolution of a reopened incident', () => {
    expect(reopened).toMatchObject({
      acknowledgedAt: t('10:02'),
      mitigatedAt: t('10:20'),
      resolvedAt: t('10:40'),
    })
    expect(durations[3]).toEqual({ mtta: 120, mttm: 1200, mttr: 2400 })
  })

  it('drops a negative duration but keeps the incident’s other durations', () => {
    expect(durations[4]).toEqual({ mtta: null, mttm: 1800, mttr: 3600 })
  })

  it('gives MTTA, MTTM and MTTR over the incidents that reached each point', () => {
    // MTTA over 300, 600, 120 (never acknowledged and negative left out).
    expect(durationStats(durations.map((d) => d.mtta))).toEqual({
      count: 3,
      mean: 340,
      median: 300,
      p90: 540, // rank 1.8 of [120, 300, 600]: 300 + 0.8 × 300
    })
    expect(durationStats(durations.map((d) => d.mttm))).toEqual({
      count: 3,
      mean: 1600,
      median: 1800,
      p90: 1800,
    })
    expect(durationStats(durations.map((d) => d.mttr))).toEqual({
      count: 3,
      mean: 3200,
      median: 3600,
      p90: 3600,
    })
  })
})

describe('slaOutcome and compliance', () => {
  const due = '2026-03-02T10:15:00.000Z'
  const now = '2026-03-02T12:00:00.000Z'

  it('is met when the milestone came by the due time, breached when after', () => {
    const base = { dueAt: due, breachRecorded: false, now }
    expect(slaOutcome({ ...base, reachedAt: '2026-03-02T10:15:00.000Z' })).toBe('met')
    expect(slaOutcome({ ...base, reachedAt: '2026-03-02T10:15:01.000Z' })).toBe('breached')
  })

  it('is breached when a breach was recorded, even if the timestamps now say met', () => {
    expect(
      slaOutcome({ dueAt: due, reachedAt: '2026-03-02T10:05:00.000Z', breachRecorded: true, now }),
    ).toBe('breached')
  })

  it('is running while neither reached nor due, breached once due without the milestone', () => {
    const open = { dueAt: due, reachedAt: null, breachRecorded: false }
    expect(slaOutcome({ ...open, now: '2026-03-02T10:14:59.000Z' })).toBe('running')
    expect(slaOutcome({ ...open, now: '2026-03-02T10:15:00.000Z' })).toBe('breached')
  })

  it('is met ÷ (met + breached), and nothing when nothing counted', () => {
    expect(compliance(3, 1)).toBe(0.75)
    expect(compliance(0, 2)).toBe(0)
    expect(compliance(0, 0)).toBeNull()
  })
})

describe('open incidents by age', () => {
  it('puts each age in exactly one bucket, lower bound inclusive', () => {
    const labels = (seconds: number) => OPEN_AGE_BUCKETS[openAgeBucket(seconds)]!.label
    expect(labels(0)).toBe('< 1 h')
    expect(labels(3599)).toBe('< 1 h')
    expect(labels(3600)).toBe('1–4 h')
    expect(labels(4 * 3600)).toBe('4–24 h')
    expect(labels(24 * 3600 - 1)).toBe('4–24 h')
    expect(labels(24 * 3600)).toBe('1–7 d')
    expect(labels(7 * 24 * 3600)).toBe('> 7 d')
    expect(labels(400 * 24 * 3600)).toBe('> 7 d')
  })
})

describe('day and week buckets across DST changes in Europe/Berlin', () => {
  it('starts days at local midnight: 29 March 2026 is 23 hours long, 25 October 25 hours', () => {
    expect(startOfLocalDay('2026-03-29', BERLIN).toISOString()).toBe('2026-03-28T23:00:00.000Z')
    expect(startOfLocalDay('2026-03-30', BERLIN).toISOString()).toBe('2026-03-29T22:00:00.000Z')
    expect(startOfLocalDay('2026-10-25', BERLIN).toISOString()).toBe('2026-10-24T22:00:00.000Z')
    expect(startOfLocalDay('2026-10-26', BERLIN).toISOString()).toBe('2026-10-25T23:00:00.000Z')
    const length = (a: string, b: string) =>
      (startOfLocalDay(b, BERLIN).getTime() - startOfLocalDay(a, BERLIN).getTime()) / HOUR
    expect(length('2026-03-29', '2026-03-30')).toBe(23)
    expect(length('2026-10-25', '2026-10-26')).toBe(25)
    expect(length('2026-06-01', '2026-06-02')).toBe(24)
  })

  it('puts instants in the local day on the spring change (29 March 2026)', () => {
    expect(bucketStart('2026-03-28T22:59:59Z', 'day', BERLIN)).toBe('2026-03-28') // 23:59:59 CET
    expect(bucketStart('2026-03-28T23:00:00Z', 'day', BERLIN)).toBe('2026-03-29') // 00:00 CET
    expect(bucketStart('2026-03-29T00:59:59Z', 'day', BERLIN)).toBe('2026-03-29') // 01:59:59 CET
    expect(bucketStart('2026-03-29T01:00:00Z', 'day', BERLIN)).toBe('2026-03-29') // 03:00 CEST
    expect(bucketStart('2026-03-29T21:59:59Z', 'day', BERLIN)).toBe('2026-03-29') // 23:59:59 CEST
    expect(bucketStart('2026-03-29T22:00:00Z', 'day', BERLIN)).toBe('2026-03-30') // 00:00 CEST
  })

  it('puts instants in the local day on the autumn change (25 October 2026)', () => {
    expect(bucketStart('2026-10-24T21:59:59Z', 'day', BERLIN)).toBe('2026-10-24')
    expect(bucketStart('2026-10-24T22:00:00Z', 'day', BERLIN)).toBe('2026-10-25') // 00:00 CEST
    expect(bucketStart('2026-10-25T00:30:00Z', 'day', BERLIN)).toBe('2026-10-25') // 02:30 CEST
    expect(bucketStart('2026-10-25T01:30:00Z', 'day', BERLIN)).toBe('2026-10-25') // 02:30 CET
    expect(bucketStart('2026-10-25T22:59:59Z', 'day', BERLIN)).toBe('2026-10-25') // 23:59:59 CET
    expect(bucketStart('2026-10-25T23:00:00Z', 'day', BERLIN)).toBe('2026-10-26') // 00:00 CET
  })

  it('starts weeks on the local Monday; the week of a DST change ends at local Sunday midnight', () => {
    // Both changes fall on a Sunday, the last day of the weeks of 23 March and 19 October.
    expect(bucketStart('2026-03-23T00:00:00Z', 'week', BERLIN)).toBe('2026-03-23')
    expect(bucketStart('2026-03-29T21:59:59Z', 'week', BERLIN)).toBe('2026-03-23')
    expect(bucketStart('2026-03-29T22:00:00Z', 'week', BERLIN)).toBe('2026-03-30')
    // The same instant is still Sunday in UTC: the zone decides.
    expect(bucketStart('2026-03-29T22:00:00Z', 'week', 'UTC')).toBe('2026-03-23')
    expect(bucketStart('2026-10-25T22:59:59Z', 'week', BERLIN)).toBe('2026-10-19')
    expect(bucketStart('2026-10-25T23:00:00Z', 'week', BERLIN)).toBe('2026-10-26')
    // Sunday evening just before midnight, Monday just after.
    expect(bucketStart('2026-10-18T21:59:59Z', 'week', BERLIN)).toBe('2026-10-12')
    expect(bucketStart('2026-10-18T22:00:00Z', 'week', BERLIN)).toBe('2026-10-19')
  })

  it('makes a week spanning a DST change 167 or 169 hours long, with no gap or overlap', () => {
    const weeks = bucketsBetween(
      startOfLocalDay('2026-03-16', BERLIN),
      startOfLocalDay('2026-04-06', BERLIN),
      'week',
      BERLIN,
    )
    expect(weeks).toEqual(['2026-03-16', '2026-03-23', '2026-03-30'])
    const hours = (a: string, b: string) =>
      (startOfLocalDay(b, BERLIN).getTime() - startOfLocalDay(a, BERLIN).getTime()) / HOUR
    expect(hours('2026-03-16', '2026-03-23')).toBe(168)
    expect(hours('2026-03-23', '2026-03-30')).toBe(167)
    expect(hours('2026-10-19', '2026-10-26')).toBe(169)
    // Every hour of the spring week lands in that week, and the next hour in the next one.
    const start = startOfLocalDay('2026-03-23', BERLIN).getTime()
    for (let h = 0; h < 167; h++)
      expect(bucketStart(new Date(start + h * HOUR), 'week', BERLIN)).toBe('2026-03-23')
    expect(bucketStart(new Date(start + 167 * HOUR), 'week', BERLIN)).toBe('2026-03-30')
  })

  it('lists every day bucket of a period in the zone, including the short and long days', () => {
    const days = bucketsBetween(
      startOfLocalDay('2026-03-28', BERLIN),
      startOfLocalDay('2026-03-31', BERLIN),
      'day',
      BERLIN,
    )
    expect(days).toEqual(['2026-03-28', '2026-03-29', '2026-03-30'])
    expect(
      bucketsBetween(
        startOfLocalDay('2026-10-25', BERLIN),
        startOfLocalDay('2026-10-26', BERLIN),
        'day',
        BERLIN,
      ),
    ).toEqual(['2026-10-25'])
  })

  it('reads the local date of an instant', () => {
    expect(localDate('2026-12-31T23:30:00Z', BERLIN)).toBe('2027-01-01')
    expect(localDate('2026-12-31T23:30:00Z', 'America/New_York')).toBe('2026-12-31')
  })

  it('finds the first moment of a day whose midnight a DST change skips', () => {
    // Chile moved clocks from 24:00 to 01:00 on 6 September 2026 (America/Santiago).
    const start = startOfLocalDay('2026-09-06', 'America/Santiago')
    expect(localDate(start, 'America/Santiago')).toBe('2026-09-06')
    expect(localDate(new Date(start.getTime() - 1), 'America/Santiago')).toBe('2026-09-05')
  })
})

describe('words for numbers', () => {
  it('writes durations in the largest units that keep them short', () => {
    expect(formatSeconds(null)).toBe('—')
    expect(formatSeconds(44.6)).toBe('45 s')
    expect(formatSeconds(12 * 60 + 59)).toBe('12 min')
    expect(formatSeconds(3 * 3600)).toBe('3 h')
    expect(formatSeconds(3 * 3600 + 12 * 60)).toBe('3 h 12 min')
    expect(formatSeconds(52 * 3600)).toBe('2 d 4 h')
    expect(formatSeconds(72 * 3600)).toBe('3 d')
  })

  it('writes ratios as percentages with one decimal', () => {
    expect(formatPercent(null)).toBe('—')
    expect(formatPercent(1)).toBe('100.0 %')
    expect(formatPercent(0.92345)).toBe('92.3 %')
  })
})
