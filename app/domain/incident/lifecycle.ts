import type { IncidentStatus } from './vocabulary'

/**
 * A check run before a transition, inside its transaction: it may refuse the move with words for
 * the person who asked. Implemented, by name, in `transition-hooks.server.ts`.
 */
export type TransitionGuard =
  /** SEV-1 and SEV-2 incidents close only with a published postmortem, if the organization says so. */
  'postmortem-published'

/**
 * An effect of entering a status, run in the same transaction after its `incident.status_changed`
 * event. Implemented, by name, in `transition-hooks.server.ts`.
 */
export type StatusEffect =
  /** The SLA clock's next deadline, which the stamped times move on. */
  | 'refresh-sla-deadline'
  /** The incident's postmortem (draft), unless it has one. */
  | 'create-postmortem'

/** What entering a status does. */
export interface StatusRules {
  /** The time field stamped on the first entry only; later entries keep it. */
  stamps: 'acknowledgedAt' | 'mitigatedAt' | 'resolvedAt' | 'postmortemAt' | 'closedAt' | null
  /** Effects of the first entry, the one that stamps its time. */
  onFirstEntry: readonly StatusEffect[]
  /** Effects of every entry, after the first-entry ones. */
  onEnter: readonly StatusEffect[]
}

/**
 * The incident lifecycle as data: what entering each status does. Every status must appear (a
 * missing one fails to compile). The edges between statuses are TRANSITIONS below.
 */
export const LIFECYCLE: Readonly<Record<IncidentStatus, StatusRules>> = {
  detected: { stamps: null, onFirstEntry: [], onEnter: [] },
  investigating: { stamps: 'acknowledgedAt', onFirstEntry: ['refresh-sla-deadline'], onEnter: [] },
  mitigated: { stamps: 'mitigatedAt', onFirstEntry: ['refresh-sla-deadline'], onEnter: [] },
  resolved: { stamps: 'resolvedAt', onFirstEntry: ['refresh-sla-deadline'], onEnter: [] },
  postmortem: {
    stamps: 'postmortemAt',
    onFirstEntry: ['refresh-sla-deadline'],
    onEnter: ['create-postmortem'],
  },
  closed: { stamps: 'closedAt', onFirstEntry: ['refresh-sla-deadline'], onEnter: [] },
}

export type StatusTimestampField = Exclude<StatusRules['stamps'], null>

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
  /** Guards run in this order before the move; the first refusal stops it. */
  onStart: readonly TransitionGuard[]
}

/**
 * Every edge of the lifecycle, each stated once, with the action that takes it. Reopening
 * (Mitigated or Resolved back to Investigating) is the one way back; nothing leaves Closed.
 */
export const TRANSITIONS: readonly Transition[] = [
  {
    action: 'start-investigating',
    from: ['detected'],
    to: 'investigating',
    label: 'Start investigating',
    requiresReason: false,
    onStart: [],
  },
  {
    action: 'mark-mitigated',
    from: ['investigating'],
    to: 'mitigated',
    label: 'Mark mitigated',
    requiresReason: false,
    onStart: [],
  },
  {
    action: 'mark-resolved',
    from: ['mitigated'],
    to: 'resolved',
    label: 'Mark resolved',
    requiresReason: false,
    onStart: [],
  },
  {
    action: 'start-postmortem',
    from: ['resolved'],
    to: 'postmortem',
    label: 'Start postmortem',
    requiresReason: false,
    onStart: [],
  },
  {
    action: 'close',
    from: ['postmortem'],
    to: 'closed',
    label: 'Close incident',
    requiresReason: false,
    onStart: ['postmortem-published'],
  },
  {
    action: 'reopen',
    from: ['mitigated', 'resolved'],
    to: 'investigating',
    label: 'Reopen',
    requiresReason: true,
    onStart: [],
  },
]

export const TRANSITION_ACTIONS = TRANSITIONS.map((t) => t.action) as readonly TransitionAction[]

export const OPEN_STATUSES: readonly IncidentStatus[] = ['detected', 'investigating', 'mitigated']

/** Whether some transition leads from `from` to `to`. */
export function isAllowedMove(from: IncidentStatus, to: IncidentStatus): boolean {
  return TRANSITIONS.some((t) => t.from.includes(from) && t.to === to)
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
  if (!transition.from.includes(status)) return { ok: false, reason: 'not-from-this-status' }
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
