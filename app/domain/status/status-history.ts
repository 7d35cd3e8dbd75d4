import {
  DOWNTIME_WEIGHT,
  HISTORY_DAYS,
  worseState,
  type ComponentState,
  type PublicStatus,
} from './status-vocabulary'

/**
 * Component states over time, from public updates alone: each update of an incident states the
 * components it affects now (a component it does not name is back to operational for that
 * incident), and a Resolved update clears them all. A component shows the worst state any
 * incident gives it at that moment. Pure: the page, the JSON and the tests share it.
 */

export interface HistoryUpdate {
  /** The incident it belongs to (or the update's own id, for one without an incident). */
  thread: string
  postedAt: Date
  status: PublicStatus
  components: ReadonlyArray<{ componentId: string; state: ComponentState }>
}

export interface HistoryComponent {
  id: string
  createdAt: Date
}

/** One change of a component's state. */
interface Change {
  at: number
  state: ComponentState
}

export interface DayBar {
  /** The UTC day, `YYYY-MM-DD`. */
  date: string
  /** Percentage with two decimals; null when the component was not shown that day. */
  uptime: number | null
  /** The worst state reached that day. */
  worst: ComponentState | null
}

export interface ComponentHistory {
  componentId: string
  current: ComponentState
  days: DayBar[]
  /** Over the shown days; null when none was observed. */
  uptime: number | null
}

const DAY_MS = 86_400_000

/** Each component's changes, in time order, up to `now`. */
export function componentChanges(
  components: readonly HistoryComponent[],
  updates: readonly HistoryUpdate[],
  now: Date,
): Map<string, Change[]> {
  const sorted = [...updates]
    .filter((u) => u.postedAt.getTime() <= now.getTime())
    .sort((a, b) => a.postedAt.getTime() - b.postedAt.getTime())
  const known = new Set(components.map((c) => c.id))
  const byThread = new Map<string, Map<string, ComponentState>>()
  const current = new Map<string, ComponentState>()
  const changes = new Map<string, Change[]>(components.map((c) => [c.id, []]))
  for (const update of sorted) {
    const before = byThread.get(update.thread) ?? new Map<string, ComponentState>()
    const after = new Map<string, ComponentState>()
    if (update.status !== 'resolved') {
      for (const { componentId, state } of update.components)
        if (known.has(componentId)) after.set(componentId, state)
    }
    if (after.size > 0) byThread.set(update.thread, after)
    else byThread.delete(update.thread)
    for (const id of new Set([...before.keys(), ...after.keys()])) {
      let state: ComponentState = 'operational'
      for (const states of byThread.values()) {
        const s = states.get(id)
        if (s) state = worseState(state, s)
      }
      if ((current.get(id) ?? 'operational') !== state) {
        current.set(id, state)
        changes.get(id)!.push({ at: update.postedAt.getTime(), state })
      }
    }
  }
  return changes
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const round2 = (n: number) => Math.round(n * 100) / 100

/**
 * The last `days` UTC days (today last) of every component: uptime and worst state per day, its
 * state now, and the uptime over the whole span (see DOWNTIME_WEIGHT for the rule).
 */
export function componentHistories(
  components: readonly HistoryComponent[],
  updates: readonly HistoryUpdate[],
  now: Date,
  days = HISTORY_DAYS,
): ComponentHistory[] {
  const changes = componentChanges(components, updates, now)
  const end = now.getTime()
  const todayStart = Math.floor(end / DAY_MS) * DAY_MS
  const firstDay = todayStart - (days - 1) * DAY_MS
  return components.map((component) => {
    const list = changes.get(component.id) ?? []
    const created = component.createdAt.getTime()
    let shownTotal = 0
    let downTotal = 0
    const bars: DayBar[] = []
    for (let day = firstDay; day <= todayStart; day += DAY_MS) {
      const from = Math.max(day, created)
      const to = Math.min(day + DAY_MS, end)
      if (to <= from) {
        bars.push({ date: utcDay(day), uptime: null, worst: null })
        continue
      }
      // The state at `from`, then each change inside the day.
      let state: ComponentState = 'operational'
      for (const change of list) {
        if (change.at <= from) state = change.state
        else break
      }
      let worst = state
      let down = 0
      let at = from
      for (const change of list) {
        if (change.at <= from) continue
        if (change.at >= to) break
        down += (change.at - at) * DOWNTIME_WEIGHT[state]
        at = change.at
        state = change.state
        worst = worseState(worst, state)
      }
      down += (to - at) * DOWNTIME_WEIGHT[state]
      const shown = to - from
      shownTotal += shown
      downTotal += down
      bars.push({ date: utcDay(day), uptime: round2(100 * (1 - down / shown)), worst })
    }
    const last = list.at(-1)
    return {
      componentId: component.id,
      current: last ? last.state : 'operational',
      days: bars,
      uptime: shownTotal > 0 ? round2(100 * (1 - downTotal / shownTotal)) : null,
    }
  })
}
