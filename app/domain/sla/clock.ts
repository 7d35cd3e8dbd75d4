import { SLA_TARGETS, SLA_TARGET_MILESTONE, type SeverityTargets, type SlaTarget } from './policy'

/**
 * The SLA clock: a pure function of the incident's timestamps, the targets for its severity and
 * the time now. Every target is measured from impact start.
 *
 * - met: the milestone was reached by the due time;
 * - breached: the due time passed first (whether or not the milestone came later);
 * - warning: not reached, past the warning threshold, not yet due;
 * - running: not reached, before the warning threshold.
 */
export type SlaState = 'met' | 'running' | 'warning' | 'breached'

export interface SlaTimes {
  impactStartedAt: Date
  acknowledgedAt: Date | null
  mitigatedAt: Date | null
  resolvedAt: Date | null
}

export interface TargetClock {
  target: SlaTarget
  state: SlaState
  /** Length of the target in seconds. */
  seconds: number
  dueAt: Date
  warnAt: Date
  /** When the milestone was reached, if it was. */
  reachedAt: Date | null
  /** Milliseconds until due (negative once overdue); null when the milestone was reached. */
  msLeft: number | null
}

/** Later milestones imply the earlier ones (the lifecycle passes through them in order). */
function reachedAt(times: SlaTimes, target: SlaTarget): Date | null {
  const order = SLA_TARGETS.slice(SLA_TARGETS.indexOf(target))
  for (const t of order) {
    const at = times[SLA_TARGET_MILESTONE[t]]
    if (at) return at
  }
  return null
}

export function warningOffsetMs(seconds: number, warningPercent: number) {
  return Math.floor((seconds * 1000 * warningPercent) / 100)
}

export function slaClock(times: SlaTimes, targets: SeverityTargets, now: Date): TargetClock[] {
  const start = times.impactStartedAt.getTime()
  const clocks: TargetClock[] = []
  for (const target of SLA_TARGETS) {
    const seconds = targets[target]
    if (seconds === null) continue
    const dueAt = new Date(start + seconds * 1000)
    const warnAt = new Date(start + warningOffsetMs(seconds, targets.warningPercent))
    const reached = reachedAt(times, target)
    let state: SlaState
    if (reached) state = reached.getTime() <= dueAt.getTime() ? 'met' : 'breached'
    else if (now.getTime() >= dueAt.getTime()) state = 'breached'
    else if (now.getTime() >= warnAt.getTime()) state = 'warning'
    else state = 'running'
    clocks.push({
      target,
      state,
      seconds,
      dueAt,
      warnAt,
      reachedAt: reached,
      msLeft: reached ? null : dueAt.getTime() - now.getTime(),
    })
  }
  return clocks
}

export type SignalKind = 'warning' | 'breached'
export interface SlaSignal {
  target: SlaTarget
  kind: SignalKind
}

const signalKey = (s: SlaSignal) => `${s.target}:${s.kind}`

/**
 * Thresholds crossed at `now` that have not been signalled yet. A target that is already past due
 * gives only its breach (a warning after the fact tells nobody anything). A target met on time
 * gives nothing more; one reached late still owes its breach if no sweep recorded it before the
 * milestone came (e.g. acknowledged 30 s after the due time, between two sweeps).
 */
export function crossedThresholds(clocks: TargetClock[], signalled: SlaSignal[]): SlaSignal[] {
  const done = new Set(signalled.map(signalKey))
  const crossed: SlaSignal[] = []
  for (const clock of clocks) {
    if (clock.state === 'met') continue
    if (clock.state === 'breached') {
      if (!done.has(signalKey({ target: clock.target, kind: 'breached' })))
        crossed.push({ target: clock.target, kind: 'breached' })
    } else if (clock.state === 'warning') {
      if (!done.has(signalKey({ target: clock.target, kind: 'warning' })))
        crossed.push({ target: clock.target, kind: 'warning' })
    }
  }
  return crossed
}

/**
 * When the sweep must next look at this incident: the earliest threshold of a target not yet met
 * that has not been signalled (it may lie in the past, when a change such as an earlier impact
 * start, a higher severity or a late acknowledgement moved it there). A target reached late only
 * waits for its breach. Null when nothing is left to watch.
 */
export function nextDeadline(clocks: TargetClock[], signalled: SlaSignal[]): Date | null {
  const done = new Set(signalled.map(signalKey))
  let next: number | null = null
  for (const clock of clocks) {
    if (clock.state === 'met') continue
    const candidates: number[] = []
    if (!done.has(signalKey({ target: clock.target, kind: 'breached' }))) {
      candidates.push(clock.dueAt.getTime())
      if (!clock.reachedAt && !done.has(signalKey({ target: clock.target, kind: 'warning' })))
        candidates.push(clock.warnAt.getTime())
    }
    for (const at of candidates) if (next === null || at < next) next = at
  }
  return next === null ? null : new Date(next)
}

/** The most urgent state across targets, for a one-badge summary in lists. */
export function worstState(clocks: TargetClock[]): SlaState | null {
  const rank: Record<SlaState, number> = { met: 0, running: 1, warning: 2, breached: 3 }
  let worst: SlaState | null = null
  for (const clock of clocks) {
    // A target already met or reached late does not make an open incident "running".
    if (worst === null || rank[clock.state] > rank[worst]) worst = clock.state
  }
  return worst
}
