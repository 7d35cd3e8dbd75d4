import { describe, expect, it } from 'vitest'
import {
  crossedThresholds,
  nextDeadline,
  slaClock,
  worstState,
  type SlaSignal,
  type SlaTimes,
  type TargetClock,
} from './clock'
import { SLA_TARGETS, SLA_TARGET_MILESTONE, type SeverityTargets, type SlaTarget } from './policy'

const MINUTE = 60_000
const START = new Date('2026-03-02T10:00:00.000Z')
const at = (minutes: number) => new Date(START.getTime() + minutes * MINUTE)

/** 10 minutes to acknowledge, 60 to mitigate, 240 to resolve; at risk after 80 %. */
const TARGETS: SeverityTargets = {
  acknowledge: 10 * 60,
  mitigate: 60 * 60,
  resolve: 240 * 60,
  warningPercent: 80,
}
const DUE: Record<SlaTarget, number> = { acknowledge: 10, mitigate: 60, resolve: 240 }
const WARN: Record<SlaTarget, number> = { acknowledge: 8, mitigate: 48, resolve: 192 }

const open = (): SlaTimes => ({
  impactStartedAt: START,
  acknowledgedAt: null,
  mitigatedAt: null,
  resolvedAt: null,
})

function clockOf(target: SlaTarget, times: SlaTimes, now: Date, targets = TARGETS) {
  const clock = slaClock(times, targets, now).find((c) => c.target === target)
  if (!clock) throw new Error(`no clock for ${target}`)
  return clock
}

describe('slaClock for each target', () => {
  describe.each(SLA_TARGETS)('%s', (target) => {
    const milestone = SLA_TARGET_MILESTONE[target]

    it('runs before the warning threshold, with the time left', () => {
      const clock = clockOf(target, open(), at(WARN[target] - 1))
      expect(clock).toMatchObject({
        state: 'running',
        seconds: DUE[target] * 60,
        dueAt: at(DUE[target]),
        warnAt: at(WARN[target]),
        reachedAt: null,
        msLeft: (DUE[target] - WARN[target] + 1) * MINUTE,
      })
    })

    it('is at risk exactly at the warning threshold', () => {
      expect(clockOf(target, open(), at(WARN[target])).state).toBe('warning')
      expect(clockOf(target, open(), new Date(at(WARN[target]).getTime() - 1)).state).toBe(
        'running',
      )
    })

    it('is breached exactly at the due time, and counts negative time left after it', () => {
      expect(clockOf(target, open(), new Date(at(DUE[target]).getTime() - 1)).state).toBe('warning')
      expect(clockOf(target, open(), at(DUE[target])).state).toBe('breached')
      expect(clockOf(target, open(), at(DUE[target] + 5)).msLeft).toBe(-5 * MINUTE)
    })

    it('is met when the milestone comes on time (even exactly at the due time)', () => {
      for (const reached of [at(1), at(DUE[target])]) {
        const clock = clockOf(target, { ...open(), [milestone]: reached }, at(DUE[target] + 100))
        expect(clock).toMatchObject({ state: 'met', reachedAt: reached, msLeft: null })
      }
    })

    it('stays breached when the milestone comes late', () => {
      const reached = new Date(at(DUE[target]).getTime() + 1)
      const clock = clockOf(target, { ...open(), [milestone]: reached }, at(DUE[target] + 100))
      expect(clock).toMatchObject({ state: 'breached', reachedAt: reached, msLeft: null })
    })
  })

  it('counts a later milestone as reaching the earlier targets', () => {
    const clocks = slaClock({ ...open(), resolvedAt: at(9) }, TARGETS, at(300))
    expect(clocks.map((c) => [c.target, c.state, c.reachedAt])).toEqual([
      ['acknowledge', 'met', at(9)],
      ['mitigate', 'met', at(9)],
      ['resolve', 'met', at(9)],
    ])
    // Mitigated late (after the acknowledge due time, without an acknowledgement): the
    // acknowledge target was missed too.
    const late = slaClock({ ...open(), mitigatedAt: at(30) }, TARGETS, at(31))
    expect(late.map((c) => [c.target, c.state])).toEqual([
      ['acknowledge', 'breached'],
      ['mitigate', 'met'],
      ['resolve', 'running'],
    ])
  })

  it('prefers the earlier milestone when both are set', () => {
    const clock = clockOf(
      'acknowledge',
      { ...open(), acknowledgedAt: at(5), mitigatedAt: at(20) },
      at(30),
    )
    expect(clock).toMatchObject({ state: 'met', reachedAt: at(5) })
  })

  it('has no clock for a target the severity does not have', () => {
    const targets = { ...TARGETS, mitigate: null }
    expect(slaClock(open(), targets, at(1)).map((c) => c.target)).toEqual([
      'acknowledge',
      'resolve',
    ])
    expect(
      slaClock(
        open(),
        { acknowledge: null, mitigate: null, resolve: null, warningPercent: 75 },
        at(1),
      ),
    ).toEqual([])
  })

  it('measures from impact start, not from now', () => {
    const earlier = { ...open(), impactStartedAt: at(-20) }
    expect(clockOf('acknowledge', earlier, at(0))).toMatchObject({
      state: 'breached',
      dueAt: at(-10),
    })
  })

  it.each([
    [1, 6_000],
    [99, 594_000],
  ])('places the warning at %i %% of the target', (percent, offsetMs) => {
    const targets = { ...TARGETS, warningPercent: percent }
    const clock = clockOf('acknowledge', open(), START, targets)
    expect(clock.warnAt.getTime() - START.getTime()).toBe(offsetMs)
    expect(
      clockOf('acknowledge', open(), new Date(START.getTime() + offsetMs - 1), targets).state,
    ).toBe('running')
    expect(
      clockOf('acknowledge', open(), new Date(START.getTime() + offsetMs), targets).state,
    ).toBe('warning')
  })
})

const signal = (target: SlaTarget, kind: SlaSignal['kind']): SlaSignal => ({ target, kind })

describe('crossedThresholds', () => {
  it('reports nothing while every clock runs', () => {
    expect(crossedThresholds(slaClock(open(), TARGETS, at(1)), [])).toEqual([])
  })

  it('reports a warning once: not again after it was signalled', () => {
    const clocks = slaClock(open(), TARGETS, at(9))
    expect(crossedThresholds(clocks, [])).toEqual([signal('acknowledge', 'warning')])
    expect(crossedThresholds(clocks, [signal('acknowledge', 'warning')])).toEqual([])
  })

  it('reports a breach once, after its warning', () => {
    const clocks = slaClock(open(), TARGETS, at(11))
    expect(crossedThresholds(clocks, [signal('acknowledge', 'warning')])).toEqual([
      signal('acknowledge', 'breached'),
    ])
    expect(
      crossedThresholds(clocks, [
        signal('acknowledge', 'warning'),
        signal('acknowledge', 'breached'),
      ]),
    ).toEqual([])
  })

  it('reports only the breach when time jumped past the due time without a warning', () => {
    expect(crossedThresholds(slaClock(open(), TARGETS, at(50)), [])).toEqual([
      signal('acknowledge', 'breached'),
      signal('mitigate', 'warning'),
    ])
  })

  it('reports every target at once, in target order', () => {
    expect(crossedThresholds(slaClock(open(), TARGETS, at(500)), [])).toEqual([
      signal('acknowledge', 'breached'),
      signal('mitigate', 'breached'),
      signal('resolve', 'breached'),
    ])
  })

  it('still owes the breach of a target reached late when no sweep recorded it in time', () => {
    const acknowledgedLate = { ...open(), acknowledgedAt: at(DUE.acknowledge + 2) }
    const clocks = slaClock(acknowledgedLate, TARGETS, at(DUE.acknowledge + 3))
    expect(crossedThresholds(clocks, [])).toEqual([signal('acknowledge', 'breached')])
    expect(crossedThresholds(clocks, [signal('acknowledge', 'breached')])).toEqual([])
    // Its deadline is the (past) due time, so the next sweep picks it up; no warning is owed.
    expect(nextDeadline(clocks, [signal('acknowledge', 'warning')])).toEqual(at(DUE.acknowledge))
  })

  it('reports nothing for a target met on time', () => {
    const acknowledged = { ...open(), acknowledgedAt: at(DUE.acknowledge) }
    expect(
      crossedThresholds(slaClock(acknowledged, TARGETS, at(DUE.acknowledge + 1)), []).filter(
        (s) => s.target === 'acknowledge',
      ),
    ).toEqual([])
  })
})

describe('nextDeadline', () => {
  it('is the earliest threshold not yet signalled', () => {
    const clocks = slaClock(open(), TARGETS, at(0))
    expect(nextDeadline(clocks, [])).toEqual(at(WARN.acknowledge))
    expect(nextDeadline(clocks, [signal('acknowledge', 'warning')])).toEqual(at(DUE.acknowledge))
    expect(
      nextDeadline(clocks, [signal('acknowledge', 'warning'), signal('acknowledge', 'breached')]),
    ).toEqual(at(WARN.mitigate))
  })

  it('skips a warning that can no longer come once the breach was signalled', () => {
    const clocks = slaClock(open(), TARGETS, at(0))
    expect(nextDeadline(clocks, [signal('acknowledge', 'breached')])).toEqual(at(WARN.mitigate))
  })

  it('keeps a threshold that already lies in the past until it is signalled', () => {
    const clocks = slaClock(open(), TARGETS, at(30))
    expect(nextDeadline(clocks, [])).toEqual(at(WARN.acknowledge))
  })

  it('ignores targets whose milestone was reached', () => {
    const clocks = slaClock({ ...open(), mitigatedAt: at(5) }, TARGETS, at(6))
    expect(nextDeadline(clocks, [])).toEqual(at(WARN.resolve))
  })

  it('is null when every milestone was reached or every threshold signalled', () => {
    expect(nextDeadline(slaClock({ ...open(), resolvedAt: at(5) }, TARGETS, at(6)), [])).toBeNull()
    const all = SLA_TARGETS.flatMap((t) => [signal(t, 'warning'), signal(t, 'breached')])
    expect(nextDeadline(slaClock(open(), TARGETS, at(500)), all)).toBeNull()
    expect(nextDeadline([], [])).toBeNull()
  })
})

describe('worstState', () => {
  const clocksAt = (minutes: number, times = open()): TargetClock[] =>
    slaClock(times, TARGETS, at(minutes))

  it('is the most urgent state over the targets', () => {
    expect(worstState(clocksAt(1))).toBe('running')
    expect(worstState(clocksAt(9))).toBe('warning')
    expect(worstState(clocksAt(11))).toBe('breached')
    expect(worstState(clocksAt(300, { ...open(), resolvedAt: at(5) }))).toBe('met')
  })

  it('is null without targets', () => {
    expect(worstState([])).toBeNull()
  })
})
