import { describe, expect, it } from 'vitest'
import { ROLES, can, type Role } from '~/domain/access/permissions'
import {
  LIFECYCLE,
  OPEN_STATUSES,
  STATUS_TIMESTAMP,
  TRANSITIONS,
  checkTransition,
  isAllowedMove,
  nextSteps,
  transitionFor,
  type Actor,
  type TransitionAction,
} from './lifecycle'
import { INCIDENT_STATUSES, type IncidentStatus } from './vocabulary'

/**
 * The lifecycle as the product describes it, written out independently of LIFECYCLE: the
 * forward path, plus Mitigated/Resolved → Investigating (reopen), and nothing else.
 */
const EXPECTED_EDGES: ReadonlyArray<readonly [IncidentStatus, IncidentStatus]> = [
  ['detected', 'investigating'],
  ['investigating', 'mitigated'],
  ['mitigated', 'resolved'],
  ['resolved', 'postmortem'],
  ['postmortem', 'closed'],
  ['mitigated', 'investigating'],
  ['resolved', 'investigating'],
]
const isExpectedEdge = (from: IncidentStatus, to: IncidentStatus) =>
  EXPECTED_EDGES.some(([f, t]) => f === from && t === to)

const ALL_PAIRS = INCIDENT_STATUSES.flatMap((from) =>
  INCIDENT_STATUSES.map((to) => ({ from, to, allowed: isExpectedEdge(from, to) })),
)

/** The actor a member of `role` is on an incident, as the service builds it. */
function actorOf(role: Role, involvement: { isCommander?: boolean; isAssignee?: boolean } = {}) {
  return {
    worksOnAny: can(role, 'incident.work.any'),
    worksOnAssigned: can(role, 'incident.work.assigned'),
    isCommander: involvement.isCommander ?? false,
    isAssignee: involvement.isAssignee ?? false,
  } satisfies Actor
}

const admin = actorOf('admin')

/** The action an admin can take to go from `from` to `to`, if any (with a reason given). */
function actionsBetween(from: IncidentStatus, to: IncidentStatus, actor: Actor = admin) {
  return TRANSITIONS.filter(
    (t) => t.to === to && checkTransition(from, t, actor, 'a reason').ok,
  ).map((t) => t.action)
}

describe('the status table (LIFECYCLE)', () => {
  it('has exactly the six statuses, each once', () => {
    expect(Object.keys(LIFECYCLE).sort()).toEqual([...INCIDENT_STATUSES].sort())
  })

  it.each(ALL_PAIRS.filter((p) => p.allowed))('allows $from → $to', ({ from, to }) => {
    expect(isAllowedMove(from, to)).toBe(true)
    expect(actionsBetween(from, to)).toHaveLength(1)
  })

  it.each(ALL_PAIRS.filter((p) => !p.allowed))('refuses $from → $to', ({ from, to }) => {
    expect(isAllowedMove(from, to)).toBe(false)
    expect(actionsBetween(from, to)).toEqual([])
  })

  it('lists exactly the expected edges, no more', () => {
    const edges = INCIDENT_STATUSES.flatMap((from) =>
      (LIFECYCLE[from].to as readonly IncidentStatus[]).map((to) => `${from}→${to}`),
    )
    expect(edges.sort()).toEqual(EXPECTED_EDGES.map(([f, t]) => `${f}→${t}`).sort())
  })

  it('reaches every status from Detected', () => {
    const seen = new Set<IncidentStatus>(['detected'])
    const queue: IncidentStatus[] = ['detected']
    while (queue.length) {
      const status = queue.shift()!
      for (const next of LIFECYCLE[status].to as readonly IncidentStatus[]) {
        if (!seen.has(next)) {
          seen.add(next)
          queue.push(next)
        }
      }
    }
    expect([...seen].sort()).toEqual([...INCIDENT_STATUSES].sort())
  })

  it('reaches every status by the transitions an admin can take, starting from Detected', () => {
    const seen = new Set<IncidentStatus>(['detected'])
    const queue: IncidentStatus[] = ['detected']
    while (queue.length) {
      const status = queue.shift()!
      for (const step of nextSteps(status, admin)) {
        if (!seen.has(step.to)) {
          seen.add(step.to)
          queue.push(step.to)
        }
      }
    }
    expect([...seen].sort()).toEqual([...INCIDENT_STATUSES].sort())
  })

  it('makes Closed terminal: no edge leaves it and every transition from it is refused as closed', () => {
    expect(LIFECYCLE.closed.to).toEqual([])
    for (const transition of TRANSITIONS) {
      expect(checkTransition('closed', transition, admin, 'a reason')).toEqual({
        ok: false,
        reason: 'closed',
      })
    }
  })

  it('stamps every status except Detected with its own timestamp field', () => {
    expect(STATUS_TIMESTAMP).toEqual({
      detected: null,
      investigating: 'acknowledgedAt',
      mitigated: 'mitigatedAt',
      resolved: 'resolvedAt',
      postmortem: 'postmortemAt',
      closed: 'closedAt',
    })
  })

  it('counts Detected, Investigating and Mitigated as open', () => {
    expect([...OPEN_STATUSES].sort()).toEqual(['detected', 'investigating', 'mitigated'])
  })
})

describe('the transitions (TRANSITIONS)', () => {
  const transitionEdges = TRANSITIONS.flatMap((t) =>
    t.from.map((from) => ({ action: t.action, from, to: t.to })),
  )

  it.each(transitionEdges)('$action from $from to $to is an edge of LIFECYCLE', ({ from, to }) => {
    expect(isAllowedMove(from, to)).toBe(true)
  })

  it.each(EXPECTED_EDGES.map(([from, to]) => ({ from, to })))(
    'has exactly one transition for $from → $to',
    ({ from, to }) => {
      expect(transitionEdges.filter((e) => e.from === from && e.to === to)).toHaveLength(1)
    },
  )

  it('gives every action one entry, found by transitionFor', () => {
    const actions = TRANSITIONS.map((t) => t.action)
    expect(new Set(actions).size).toBe(actions.length)
    for (const action of actions) expect(transitionFor(action).action).toBe(action)
  })

  it('requires a reason for reopening only', () => {
    expect(TRANSITIONS.filter((t) => t.requiresReason).map((t) => t.action)).toEqual(['reopen'])
  })

  it('refuses a transition from a status it does not start from', () => {
    expect(checkTransition('detected', transitionFor('close'), admin)).toEqual({
      ok: false,
      reason: 'not-from-this-status',
    })
    expect(checkTransition('investigating', transitionFor('reopen'), admin, 'why')).toEqual({
      ok: false,
      reason: 'not-from-this-status',
    })
  })
})

describe('who may take a transition (checkTransition)', () => {
  const start = transitionFor('start-investigating')

  it('lets an admin act on an incident they are not involved in', () => {
    expect(checkTransition('detected', start, actorOf('admin'))).toEqual({ ok: true })
  })

  it.each(['engineer', 'manager'] as const)(
    'refuses a %s who is neither commander nor assignee as not involved',
    (role) => {
      expect(checkTransition('detected', start, actorOf(role))).toEqual({
        ok: false,
        reason: 'not-involved',
      })
    },
  )

  it.each(['engineer', 'manager'] as const)('lets a %s who commands the incident act', (role) => {
    expect(checkTransition('detected', start, actorOf(role, { isCommander: true }))).toEqual({
      ok: true,
    })
  })

  it.each(['engineer', 'manager'] as const)('lets a %s assigned to the incident act', (role) => {
    expect(checkTransition('detected', start, actorOf(role, { isAssignee: true }))).toEqual({
      ok: true,
    })
  })

  it('refuses an actor without any work permission even when involved', () => {
    const viewer: Actor = {
      worksOnAny: false,
      worksOnAssigned: false,
      isCommander: true,
      isAssignee: true,
    }
    expect(checkTransition('detected', start, viewer)).toEqual({
      ok: false,
      reason: 'not-involved',
    })
  })

  it.each(['mitigated', 'resolved'] as const)(
    'refuses reopening from %s without a reason',
    (status) => {
      const reopen = transitionFor('reopen')
      for (const reason of [undefined, null, '', '   \n\t']) {
        expect(checkTransition(status, reopen, admin, reason)).toEqual({
          ok: false,
          reason: 'reason-required',
        })
      }
      expect(checkTransition(status, reopen, admin, 'Errors are back')).toEqual({ ok: true })
    },
  )
})

describe('next steps offered on the page (nextSteps)', () => {
  const EXPECTED_STEPS: Record<IncidentStatus, TransitionAction[]> = {
    detected: ['start-investigating'],
    investigating: ['mark-mitigated'],
    mitigated: ['mark-resolved', 'reopen'],
    resolved: ['start-postmortem', 'reopen'],
    postmortem: ['close'],
    closed: [],
  }
  const involved = [
    { who: 'an uninvolved admin', actor: actorOf('admin') },
    ...ROLES.flatMap((role) => [
      { who: `a commanding ${role}`, actor: actorOf(role, { isCommander: true }) },
      { who: `an assigned ${role}`, actor: actorOf(role, { isAssignee: true }) },
    ]),
  ]

  it.each(
    INCIDENT_STATUSES.flatMap((status) =>
      involved.map(({ who, actor }) => ({ status, who, actor })),
    ),
  )('offers $who on a $status incident exactly its allowed steps', ({ status, actor }) => {
    expect(nextSteps(status, actor).map((t) => t.action)).toEqual(EXPECTED_STEPS[status])
  })

  it.each(
    INCIDENT_STATUSES.flatMap((status) =>
      (['engineer', 'manager'] as const).map((role) => ({ status, role })),
    ),
  )('offers an uninvolved $role nothing on a $status incident', ({ status, role }) => {
    expect(nextSteps(status, actorOf(role))).toEqual([])
  })

  it('offers only steps that checkTransition then accepts', () => {
    for (const status of INCIDENT_STATUSES) {
      for (const step of nextSteps(status, admin)) {
        expect(checkTransition(status, step, admin, step.requiresReason ? 'why' : null).ok).toBe(
          true,
        )
      }
    }
  })
})
