import type { IncidentStatus } from './vocabulary'

/**
 * The incident lifecycle as data. Every status must appear (a missing one fails to compile);
 * `to` lists the only statuses reachable from it. Reopening (Mitigated or Resolved back to
 * Investigating) is the one way back; nothing leaves Closed.
 */
export const LIFECYCLE = {
  detected: { to: ['investigating'] },
  investigating: { to: ['mitigated'] },
  mitigated: { to: ['resolved', 'investigating'] },
  resolved: { to: ['postmortem', 'investigating'] },
  postmortem: { to: ['closed'] },
  closed: { to: [] },
} as const satisfies Record<IncidentStatus, { to: readonly IncidentStatus[] }>

export type TransitionAction =
  | 'start-investigating'
  | 'mark-mitigated'
  | 'mark-resolved'
  | 'start-postmortem'
  | 'close'
  | 'reopen'

export interface Transition {
  action: TransitionAction
  from: readonly IncidentStatus[]
  to: IncidentStatus
  /** The button's words. */
  label: string
  requiresReason: boolean
}

/** One action per edge of LIFECYCLE; a unit test checks the two agree. */
export const TRANSITIONS: readonly Transition[] = [
  {
    action: 'start-investigating',
    from: ['detected'],
    to: 'investigating',
    label: 'Start investigating',
    requiresReason: false,
  },
  {
    action: 'mark-mitigated',
    from: ['investigating'],
    to: 'mitigated',
    label: 'Mark mitigated',
    requiresReason: false,
  },
  {
    action: 'mark-resolved',
    from: ['mitigated'],
    to: 'resolved',
    label: 'Mark resolved',
    requiresReason: false,
  },
  {
    action: 'start-postmortem',
    from: ['resolved'],
    to: 'postmortem',
    label: 'Start postmortem',
    requiresReason: false,
  },
  {
    action: 'close',
    from: ['postmortem'],
    to: 'closed',
    label: 'Close incident',
    requiresReason: false,
  },
  {
    action: 'reopen',
    from: ['mitigated', 'resolved'],
    to: 'investigating',
    label: 'Reopen',
    requiresReason: true,
  },
]

export const TRANSITION_ACTIONS = TRANSITIONS.map((t) => t.action) as readonly TransitionAction[]

/** Entering a status stamps its time, once: the first entry counts. */
export const STATUS_TIMESTAMP = {
  detected: null,
  investigating: 'acknowledgedAt',
  mitigated: 'mitigatedAt',
  resolved: 'resolvedAt',
  postmortem: 'postmortemAt',
  closed: 'closedAt',
} as const satisfies Record<IncidentStatus, string | null>

export type StatusTimestampField = Exclude<(typeof STATUS_TIMESTAMP)[IncidentStatus], null>

export const OPEN_STATUSES: readonly IncidentStatus[] = ['detected', 'investigating', 'mitigated']

export function isAllowedMove(from: IncidentStatus, to: IncidentStatus): boolean {
  return (LIFECYCLE[from].to as readonly IncidentStatus[]).includes(to)
}

export function transitionFor(action: TransitionAction): Transition {
  return TRANSITIONS.find((t) => t.action === action)!
}

/** Why an actor may not take a transition now; each key has words in REFUSAL_MESSAGES. */
export type RefusalReason = 'closed' | 'not-from-this-status' | 'not-involved' | 'reason-required'

export const REFUSAL_MESSAGES: Record<RefusalReason, string> = {
  closed: 'A closed incident cannot change status.',
  'not-from-this-status': 'That step is not possible from the current status.',
  'not-involved': 'Only the commander, an assignee, or an admin can change this incident.',
  'reason-required': 'Give a reason.',
}

export interface Actor {
  /** May work on any incident of the organization (admins). */
  worksOnAny: boolean
  /** May work on incidents they are involved in (every role). */
  worksOnAssigned: boolean
  isCommander: boolean
  isAssignee: boolean
}

export type Verdict = { ok: true } | { ok: false; reason: RefusalReason }

/** Can this actor take this transition on an incident in `status`? */
export function checkTransition(
  status: IncidentStatus,
  transition: Transition,
  actor: Actor,
  reason?: string | null,
): Verdict {
  if (status === 'closed') return { ok: false, reason: 'closed' }
  if (!transition.from.includes(status) || !isAllowedMove(status, transition.to)) {
    return { ok: false, reason: 'not-from-this-status' }
  }
  const involved = actor.isCommander || actor.isAssignee
  if (!actor.worksOnAny && !(actor.worksOnAssigned && involved))
    return { ok: false, reason: 'not-involved' }
  if (transition.requiresReason && !reason?.trim()) return { ok: false, reason: 'reason-required' }
  return { ok: true }
}

/** The steps this actor may take next, in lifecycle order: one form each on the page. */
export function nextSteps(status: IncidentStatus, actor: Actor): Transition[] {
  return TRANSITIONS.filter((t) => {
    const verdict = checkTransition(status, t, actor, t.requiresReason ? 'reason given' : null)
    return verdict.ok
  })
}
