import { describe, expect, it } from 'vitest'
import { componentHistories, type HistoryUpdate } from './status-history'

const DAY = 86_400_000
// Noon UTC, so "today" has twelve hours shown whatever zone the test runs in.
const now = new Date(Date.UTC(2026, 5, 15, 12, 0))
const dayStart = Date.UTC(2026, 5, 15)
const component = { id: 'api', createdAt: new Date(now.getTime() - 100 * DAY) }
const at = (ms: number) => new Date(ms)

function update(
  thread: string,
  postedAt: number,
  status: HistoryUpdate['status'],
  states: Array<[string, HistoryUpdate['components'][number]['state']]>,
): HistoryUpdate {
  return {
    thread,
    postedAt: at(postedAt),
    status,
    components: states.map(([componentId, state]) => ({ componentId, state })),
  }
}

describe('component history (uptime rule 1)', () => {
  it('shows 90 days, today last, all up when nothing was posted', () => {
    const [history] = componentHistories([component], [], now)
    expect(history!.days).toHaveLength(90)
    expect(history!.days.at(-1)!.date).toBe('2026-06-15')
    expect(history!.days[0]!.date).toBe('2026-03-18')
    expect(history!.uptime).toBe(100)
    expect(history!.current).toBe('operational')
  })

  it('counts a major outage fully and a partial outage half, until a Resolved update', () => {
    const yesterday = dayStart - DAY
    const updates = [
      update('inc-1', yesterday + 6 * 3_600_000, 'investigating', [['api', 'major_outage']]),
      update('inc-1', yesterday + 9 * 3_600_000, 'monitoring', [['api', 'partial_outage']]),
      update('inc-1', yesterday + 12 * 3_600_000, 'resolved', []),
    ]
    const [history] = componentHistories([component], updates, now)
    const bar = history!.days.at(-2)!
    // 3 h down + 3 h half down = 4.5 h of 24 h.
    expect(bar).toEqual({ date: '2026-06-14', uptime: 81.25, worst: 'major_outage' })
    expect(history!.days.at(-1)!.uptime).toBe(100)
    expect(history!.current).toBe('operational')
  })

  it('does not count degraded performance as down, and takes the worst of two open incidents', () => {
    const updates = [
      update('a', dayStart + 3_600_000, 'identified', [['api', 'degraded_performance']]),
      update('b', dayStart + 2 * 3_600_000, 'investigating', [['api', 'major_outage']]),
      update('b', dayStart + 3 * 3_600_000, 'resolved', []),
    ]
    const [history] = componentHistories([component], updates, now)
    expect(history!.current).toBe('degraded_performance')
    // One hour of major outage in the twelve hours shown today.
    expect(history!.days.at(-1)).toEqual({
      date: '2026-06-15',
      uptime: 91.67,
      worst: 'major_outage',
    })
  })

  it('puts a component an update no longer names back to operational for that incident', () => {
    const other = { id: 'web', createdAt: component.createdAt }
    const updates = [
      update('a', dayStart + 3_600_000, 'investigating', [
        ['api', 'partial_outage'],
        ['web', 'partial_outage'],
      ]),
      update('a', dayStart + 2 * 3_600_000, 'identified', [['web', 'partial_outage']]),
    ]
    const [api, web] = componentHistories([component, other], updates, now)
    expect(api!.current).toBe('operational')
    expect(web!.current).toBe('partial_outage')
  })

  it('shows no data before a component existed, and ignores updates after now', () => {
    const young = { id: 'new', createdAt: at(dayStart - DAY / 2) }
    const updates = [
      update('a', now.getTime() + 60_000, 'investigating', [['new', 'major_outage']]),
    ]
    const [history] = componentHistories([young], updates, now)
    expect(history!.days.at(-3)).toEqual({ date: '2026-06-13', uptime: null, worst: null })
    expect(history!.days.at(-2)!.uptime).toBe(100)
    expect(history!.current).toBe('operational')
  })
})
