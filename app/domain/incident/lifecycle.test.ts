import { describe, expect, it } from 'vitest'
import { ROLES, can, type Role } from '~/domain/access/permissions'
import {
  LIFECYCLE,
  OPEN_STATUSES,
  TRANSITIONS,
  checkTransition,
  isAllowedMove,
  nextSteps,
  transitionFor,
  type Actor,
  type StatusEffect,
  type StatusTimestampField,
  type TransitionAction,
  type TransitionGuard,
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
    const edges = TRANSITIONS.flatMap((t) => t.from.map((from) => `${from}→${t.to}`))
    expect(edges.sort()).toEqual(EXPECTED_EDGES.map(([f, t]) => `${f}→${t}`).sort())
  })

  it('reaches every status from Detected', () => {
    const seen = new Set<IncidentStatus>(['detected'])
    const queue: IncidentStatus[] = ['detected']
    while (queue.length) {
      const status = queue.shift()!
      for (const next of TRANSITIONS.filter((t) => t.from.includes(status)).map((t) => t.to)) {
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
    expect(TRANSITIONS.filter((t) => t.from.includes('closed'))).toEqual([])
    for (const transition of TRANSITIONS) {
      expect(checkTransition('closed', transition, admin, 'a reason')).toEqual({
        ok: false,
        reason: 'closed',
      })
    }
  })

  it('stamps every status except Detected with its own timestamp field', () => {
    const stamps = Object.fromEntries(INCIDENT_STATUSES.map((s) => [s, LIFECYCLE[s].stamps]))
    expect(stamps).toEqual({
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

  it.each(transitionEdges)(
    '$action from $from to $to is an edge the product describes',
    ({ from, to }) => {
      expect(isExpectedEdge(from, to)).toBe(true)
      expect(isAllowedMove(from, to)).toBe(true)
    },
  )

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

/**
 * Everything that happens on each edge, written out independently of the table: the guards run
 * before the move, the time stamped when the status is entered for the first time, the effects of
 * that first entry and those of every entry.
 */
const EXPECTED_HOOKS: Record<
  string,
  {
    guards: TransitionGuard[]
    stamps: StatusTimestampField
    firstEntry: StatusEffect[]
    everyEntry: StatusEffect[]
  }
> = {
  'detected→investigating': {
    guards: [],
    stamps: 'acknowledgedAt',
    firstEntry: ['refresh-sla-deadline'],
    everyEntry: [],
  },
  'investigating→mitigated': {
    guards: [],
    stamps: 'mitigatedAt',
    firstEntry: ['refresh-sla-deadline'],
    everyEntry: [],
  },
  'mitigated→resolved': {
    guards: [],
    stamps: 'resolvedAt',
    firstEntry: ['refresh-sla-deadline'],
    everyEntry: [],
  },
  'resolved→postmortem': {
    guards: [],
    stamps: 'postmortemAt',
    firstEntry: ['refresh-sla-deadline'],
    everyEntry: ['create-postmortem'],
  },
  'postmortem→closed': {
    guards: ['postmortem-published'],
    stamps: 'closedAt',
    firstEntry: ['refresh-sla-deadline'],
    everyEntry: [],
  },
  'mitigated→investigating': {
    guards: [],
    stamps: 'acknowledgedAt',
    firstEntry: ['refresh-sla-deadline'],
    everyEntry: [],
  },
  'resolved→investigating': {
    guards: [],
    stamps: 'acknowledgedAt',
    firstEntry: ['refresh-sla-deadline'],
    everyEntry: [],
  },
}

describe('the hooks of each edge (onStart, onFirstEntry, onEnter)', () => {
  it('describes every expected edge, no more', () => {
    expect(Object.keys(EXPECTED_HOOKS).sort()).toEqual(
      EXPECTED_EDGES.map(([f, t]) => `${f}→${t}`).sort(),
    )
  })

  it.each(EXPECTED_EDGES.map(([from, to]) => ({ from, to })))(
    'runs exactly the expected guards and effects on $from → $to',
    ({ from, to }) => {
      const transition = TRANSITIONS.find((t) => t.from.includes(from) && t.to === to)!
      expect({
        guards: transition.onStart,
        stamps: LIFECYCLE[to].stamps,
        firstEntry: LIFECYCLE[to].onFirstEntry,
        everyEntry: LIFECYCLE[to].onEnter,
      }).toEqual(EXPECTED_HOOKS[`${from}→${to}`])
    },
  )

  it('guards only closing, with the published-postmortem check', () => {
    const guarded = TRANSITIONS.filter((t) => t.onStart.length > 0)
    expect(guarded.map((t) => [t.action, t.onStart])).toEqual([['close', ['postmortem-published']]])
  })

  it('creates the postmortem on entering Postmortem and on entering no other status', () => {
    const creating = INCIDENT_STATUSES.filter((s) =>
      [...LIFECYCLE[s].onFirstEntry, ...LIFECYCLE[s].onEnter].includes('create-postmortem'),
    )
    expect(creating).toEqual(['postmortem'])
  })

  it('refreshes the SLA deadline on the first entry of exactly the statuses that stamp a time', () => {
    for (const status of INCIDENT_STATUSES) {
      const refreshes = LIFECYCLE[status].onFirstEntry.includes('refresh-sla-deadline')
      expect({ status, refreshes }).toEqual({
        status,
        refreshes: LIFECYCLE[status].stamps !== null,
      })
    }
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
