import { LockMode, type EntityManager, type MikroORM } from '@mikro-orm/postgresql'
import { MembershipSchema } from '../../../db/entities/access'
import {
  IncidentEventSchema,
  IncidentSchema,
  IncidentTypeSchema,
  ServiceSchema,
  TriageMatrixSchema,
  type Incident,
} from '../../../db/entities/incident'
import { SlaPolicySchema, type SlaPolicy } from '../../../db/entities/sla'
import { inScope, readScope } from '../../../db/tenant'
import { transactionExecutor } from '../../../db/transaction'
import { now as clockNow } from '~/utils/clock'
import { currentPolicy, refreshSlaDeadline } from '~/domain/sla/sla.server'
import { referenceWritten } from '~/utils/reference-cache.server'
import { currentRequestId } from '~/utils/request-id.server'
import {
  loadTriageMatrix,
  memberDirectory,
  referenceCatalog,
  slaPolicyVersion,
} from '~/domain/reference/reference-data.server'
import type { Member } from '~/domain/access/guard.server'
import { can, canWorkOnIncident } from '~/domain/access/permissions'
import {
  GENESIS_HASH,
  eventHash,
  type EditableFields,
  type EventPayloads,
  type EventType,
  type IncidentState,
  type StoredEvent,
} from './events'
import {
  STATUS_TIMESTAMP,
  checkTransition,
  isAllowedMove,
  nextSteps,
  transitionFor,
  type Actor,
  type Transition,
  type TransitionAction,
  REFUSAL_MESSAGES,
} from './lifecycle'
import { isHigher, triage, type Impact, type TriageMatrix, type Urgency } from './triage'
import { COMMENT_MAX, type IncidentStatus, type Severity } from './vocabulary'
import {
  loadSummaryHtml,
  loadTimeline,
  recordTimelineEntries,
  type TimelinePage,
  type TimelineWindow,
} from './timeline.server'
import { closeRefusal, getOrCreatePostmortem } from '~/domain/postmortem/postmortem.server'
import { DATE_RANGE_MESSAGE, isWithinDateRange } from '~/utils/date-range'

export { COMMENT_MAX }

/** A refused change, with words for the person who asked. */
export class IncidentError extends Error {
  constructor(
    readonly field: string | null,
    message: string,
    readonly status: 400 | 403 | 404 = 400,
  ) {
    super(message)
    this.name = 'IncidentError'
  }
}

/** The form was rendered from an older version: nothing was changed. */
export class IncidentConflictError extends Error {
  constructor(readonly currentVersion: number) {
    super(
      'This incident changed since you opened it. Review the current state below, then submit again.',
    )
    this.name = 'IncidentConflictError'
  }
}

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

/**
 * PostgreSQL text and jsonb cannot hold U+0000, which a form post can carry (`%00`): refuse it
 * as a field error before the database would fail the whole request.
 */
function assertStorableText(fields: Record<string, string | null | undefined>) {
  for (const [field, value] of Object.entries(fields)) {
    if (value?.includes('\u0000'))
      throw new IncidentError(
        field,
        'This text contains a NUL character, which cannot be stored. Remove it.',
      )
  }
}

/** Durations from the impact start are stored in seconds (int): a start in 1900 overflows them. */
function assertImpactStartInRange(impactStartedAt: Date) {
  if (!isWithinDateRange(impactStartedAt))
    throw new IncidentError('impactStartedAt', DATE_RANGE_MESSAGE)
}

export function actorFor(
  member: Actorish,
  incident: Pick<Incident, 'commanderId' | 'assigneeIds'>,
): Actor {
  return {
    worksOnAny: can(member.role, 'incident.work.any'),
    worksOnAssigned: can(member.role, 'incident.work.assigned'),
    isCommander: incident.commanderId === member.user.id,
    isAssignee: incident.assigneeIds.includes(member.user.id),
  }
}

export function canWork(member: Actorish, incident: Pick<Incident, 'commanderId' | 'assigneeIds'>) {
  return canWorkOnIncident(member.role, {
    isCommander: incident.commanderId === member.user.id,
    isAssignee: incident.assigneeIds.includes(member.user.id),
  })
}

const iso = (date: Date) => date.toISOString()
const isoOrNull = (date: Date | null | undefined) => (date ? date.toISOString() : null)

/** The incident row as lifecycle state, for comparing with the fold of its events. */
export function stateOf(incident: Incident): IncidentState {
  return {
    number: incident.number,
    title: incident.title,
    summary: incident.summary,
    severity: incident.severity,
    impact: incident.impact ?? null,
    urgency: incident.urgency ?? null,
    status: incident.status,
    serviceId: incident.serviceId ?? null,
    incidentTypeId: incident.incidentTypeId ?? null,
    commanderId: incident.commanderId ?? null,
    assigneeIds: [...incident.assigneeIds].sort(),
    declaredById: incident.declaredById ?? null,
    impactStartedAt: iso(incident.impactStartedAt),
    declaredAt: iso(incident.declaredAt),
    acknowledgedAt: isoOrNull(incident.acknowledgedAt),
    mitigatedAt: isoOrNull(incident.mitigatedAt),
    resolvedAt: isoOrNull(incident.resolvedAt),
    postmortemAt: isoOrNull(incident.postmortemAt),
    closedAt: isoOrNull(incident.closedAt),
    version: incident.version,
  }
}

/** The end of an incident's chain, which appending moves on; an `Incident` is one. */
export interface ChainHead {
  id: string
  organizationId: string
  lastEventSeq: number
  lastEventHash?: string | null
  version: number
  updatedAt: Date
}

/** One event to append: the chain it joins, what happened, who did it and when. */
export type NewEvent = {
  [T in EventType]: {
    incident: ChainHead
    type: T
    payload: EventPayloads[T]
    actorId: string | null
    now: Date
  }
}[EventType]

/** Where an appended event sits in its incident's chain. */
export interface AppendedEvent {
  incidentId: string
  seq: number
  hash: string
}

/**
 * Every event and its fan-out outbox row, in one statement: escalation rules, e-mail and webhooks
 * are derived from the outbox by the worker, so none of them can see a rolled-back change. The
 * rows travel as one JSON parameter.
 */
const INSERT_EVENTS = `
  with x as (
    select * from json_to_recordset($1::json) as r(
      organization_id uuid, incident_id uuid, seq integer, type text, actor_id uuid,
      occurred_at timestamptz, payload jsonb, prev_hash text, hash text)
  ), events as (
    insert into incident_event
      (organization_id, incident_id, seq, type, actor_id, occurred_at, payload, prev_hash, hash)
    select organization_id, incident_id, seq, type, actor_id, occurred_at, payload, prev_hash, hash
      from x
  )
  insert into event_outbox (tenant_id, incident_id, event_seq, request_id)
  select organization_id, incident_id, seq, $2::text from x`

/**
 * Appends events to their incidents' chains, in the order given (several events of one incident
 * follow each other in its chain), with their timeline entries and outbox rows, and moves each
 * head on: seq, hash, version and updatedAt. The caller holds every incident's row lock, so `seq`
 * and `prev_hash` cannot race, and writes the heads back (an ORM flush for entities, or a
 * statement of its own).
 */
export async function appendEvents(
  em: EntityManager,
  events: readonly NewEvent[],
): Promise<AppendedEvent[]> {
  if (events.length === 0) return []
  const rows = events.map(({ incident, type, payload, actorId, now }) => {
    const seq = incident.lastEventSeq + 1
    const prevHash = incident.lastEventHash ?? GENESIS_HASH
    const occurredAt = iso(now)
    // Round-trip through JSON so the hash covers exactly what jsonb will store and give back.
    const stored = JSON.parse(JSON.stringify(payload)) as unknown
    const hash = eventHash({
      prevHash,
      seq,
      organizationId: incident.organizationId,
      incidentId: incident.id,
      type,
      actorId,
      occurredAt,
      payload: stored,
    })
    incident.lastEventSeq = seq
    incident.lastEventHash = hash
    incident.version = seq
    incident.updatedAt = now
    return {
      organization_id: incident.organizationId,
      incident_id: incident.id,
      seq,
      type,
      actor_id: actorId,
      occurred_at: occurredAt,
      payload: stored,
      prev_hash: prevHash,
      hash,
    }
  })
  const { executeSql } = await transactionExecutor(em)
  // The request (or the job a request caused) that wrote the events, so their fan-out logs under it.
  await executeSql(INSERT_EVENTS, [JSON.stringify(rows), currentRequestId() ?? null])
  // The page's read model of each entry (its run, its Markdown rendered once) is written with it.
  await recordTimelineEntries(
    em,
    rows.map((r) => ({
      organizationId: r.organization_id,
      incidentId: r.incident_id,
      seq: r.seq,
      type: r.type,
      actorId: r.actor_id,
      payload: r.payload,
    })),
  )
  return rows.map((r) => ({ incidentId: r.incident_id, seq: r.seq, hash: r.hash }))
}

/**
 * Appends one event to the incident's chain and moves its version on. The caller holds the
 * incident's row lock, so `seq` and `prev_hash` cannot race.
 */
export async function appendEvent<T extends EventType>(
  em: EntityManager,
  incident: Incident,
  type: T,
  payload: EventPayloads[T],
  actorId: string | null,
  now: Date,
) {
  await appendEvents(em, [{ incident, type, payload, actorId, now } as NewEvent])
}

/**
 * After a severity change: the incident keeps its policy version but now runs on that
 * severity's targets, which the timeline records before the deadline is recomputed.
 */
export async function retargetSla(em: EntityManager, incident: Incident, now: Date) {
  if (incident.slaPolicyId) {
    const policy = await em.findOneOrFail(SlaPolicySchema, { id: incident.slaPolicyId })
    const row = policy.targets[incident.severity]
    await appendEvent(
      em,
      incident,
      'sla.retargeted',
      {
        severity: incident.severity,
        policyVersion: policy.version,
        targets: { acknowledge: row.acknowledge, mitigate: row.mitigate, resolve: row.resolve },
        warningPercent: row.warningPercent,
      },
      null,
      now,
    )
  }
  await refreshSlaDeadline(em, incident, now)
}

export async function saveTriageMatrix(orm: MikroORM, member: Actorish, matrix: TriageMatrix) {
  if (!can(member.role, 'settings.manage'))
    throw new IncidentError(null, 'Only admins can change the triage matrix.', 403)
  await inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const row = await em.findOne(TriageMatrixSchema, { organizationId: member.organization.id })
    if (row) {
      row.matrix = matrix
      row.updatedBy = member.user.id
    } else {
      em.create(TriageMatrixSchema, {
        organizationId: member.organization.id,
        matrix,
        updatedBy: member.user.id,
      })
    }
  })
  referenceWritten(orm, member.organization.id)
}

export interface DeclareInput {
  title: string
  summary: string
  severity?: Severity
  impact?: Impact
  urgency?: Urgency
  serviceId?: string | null
  incidentTypeId?: string | null
  impactStartedAt?: Date | null
  /** Declaring makes the declarer commander unless someone else is named. */
  commanderId?: string | null
}

async function assertCatalogEntry(
  em: EntityManager,
  schema: typeof ServiceSchema | typeof IncidentTypeSchema,
  organizationId: string,
  id: string | null | undefined,
  field: string,
) {
  if (!id) return
  const found = await em.count(schema, { id, organizationId, active: true })
  if (!found) throw new IncidentError(field, 'Choose one from the list.')
}

async function assertMembers(
  em: EntityManager,
  organizationId: string,
  userIds: string[],
  field: string,
) {
  if (userIds.length === 0) return
  const found = await em.count(MembershipSchema, {
    organizationId,
    userId: { $in: userIds },
    active: true,
  })
  if (found !== new Set(userIds).size)
    throw new IncidentError(field, 'Choose active members of this organization.')
}

/**
 * Declares an incident: takes the organization's next number (gap-free: the counter row is
 * locked and its increment rolls back with the transaction), stores the incident and its
 * `incident.declared` event together.
 */
export async function declareIncident(
  orm: MikroORM,
  member: Actorish,
  input: DeclareInput,
  now = clockNow(),
) {
  if (!can(member.role, 'incident.declare'))
    throw new IncidentError(null, 'Your role cannot declare incidents.', 403)
  assertStorableText({ title: input.title, summary: input.summary })
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const commanderId = input.commanderId === undefined ? member.user.id : input.commanderId
    const [incident] = await declareInTransaction(em, organizationId, [
      { input, by: { declaredById: member.user.id, commanderId, now } },
    ])
    return { id: incident!.id, number: incident!.number }
  })
}

/**
 * Declares an incident that no member declared (an inbound alert), inside the caller's
 * transaction under the organization: `declaredById` and the event's actor are null, nobody is
 * commander unless `input.commanderId` names a member. Everything else is as `declareIncident`:
 * the number, the `incident.declared` event through the outbox, the SLA clock.
 */
export async function declareIncidentAsSystem(
  em: EntityManager,
  organizationId: string,
  input: DeclareInput,
  now = clockNow(),
  /** An entry that follows the declaration at once (the alert that declared it), appended with it. */
  then?: SystemEntry,
): Promise<Incident> {
  const [incident] = await declareIncidentsAsSystem(em, organizationId, [{ input, then }], now)
  return incident!
}

/**
 * Several system declarations at once (the new alerts of a batch), in as many statements as one:
 * consecutive numbers from one counter update, one insert of the incidents, one append of all
 * their entries. In the order given.
 */
export async function declareIncidentsAsSystem(
  em: EntityManager,
  organizationId: string,
  declarations: ReadonlyArray<{ input: DeclareInput; then?: SystemEntry }>,
  now = clockNow(),
): Promise<Incident[]> {
  if (!em.isInTransaction()) throw new Error('declareIncidentAsSystem must run in a transaction')
  for (const { input } of declarations)
    assertStorableText({ title: input.title, summary: input.summary })
  return declareInTransaction(
    em,
    organizationId,
    declarations.map(({ input, then }) => ({
      input,
      by: { declaredById: null, commanderId: input.commanderId ?? null, now },
      then,
    })),
  )
}

/** An entry the system appends with no one as its actor. */
export type SystemEntry = {
  [T in EventType]: { type: T; payload: EventPayloads[T] }
}[EventType]

interface Declaration {
  input: DeclareInput
  by: { declaredById: string | null; commanderId: string | null; now: Date }
  then?: SystemEntry | undefined
}

async function declareInTransaction(
  em: EntityManager,
  organizationId: string,
  declarations: readonly Declaration[],
): Promise<Incident[]> {
  if (declarations.length === 0) return []
  const checked: Array<{ severity: Severity; impactStartedAt: Date }> = []
  for (const { input, by } of declarations) {
    let severity = input.severity
    if (!severity) {
      if (!input.impact || !input.urgency)
        throw new IncidentError('severity', 'Choose a severity, or an impact and an urgency.')
      severity = triage(await loadTriageMatrix(em, organizationId), input.impact, input.urgency)
    }
    const impactStartedAt = input.impactStartedAt ?? by.now
    if (impactStartedAt.getTime() > by.now.getTime() + 60_000) {
      throw new IncidentError('impactStartedAt', 'Impact cannot start in the future.')
    }
    assertImpactStartInRange(impactStartedAt)
    checked.push({ severity, impactStartedAt })
  }
  const distinct = (ids: Array<string | null | undefined>) => [
    ...new Set(ids.filter((id): id is string => Boolean(id))),
  ]
  for (const id of distinct(declarations.map((d) => d.input.serviceId)))
    await assertCatalogEntry(em, ServiceSchema, organizationId, id, 'serviceId')
  for (const id of distinct(declarations.map((d) => d.input.incidentTypeId)))
    await assertCatalogEntry(em, IncidentTypeSchema, organizationId, id, 'incidentTypeId')
  const commanders = distinct(declarations.map((d) => d.by.commanderId))
  if (commanders.length) await assertMembers(em, organizationId, commanders, 'commanderId')

  const count = declarations.length
  const [counter] = await em.execute<{ last_number: number }[]>(
    `insert into incident_counter (organization_id, last_number) values (?, ?)
     on conflict (organization_id) do update set last_number = incident_counter.last_number + ?
     returning last_number`,
    [organizationId, count, count],
  )
  const first = counter!.last_number - count + 1
  const policy = await currentPolicy(em, organizationId)
  const incidents: Incident[] = []
  for (const [k, { input, by }] of declarations.entries()) {
    const incident = em.create(IncidentSchema, {
      organizationId,
      number: first + k,
      title: input.title.trim(),
      summary: input.summary,
      severity: checked[k]!.severity,
      impact: input.impact ?? null,
      urgency: input.urgency ?? null,
      status: 'detected',
      serviceId: input.serviceId ?? null,
      incidentTypeId: input.incidentTypeId ?? null,
      commanderId: by.commanderId,
      assigneeIds: [],
      declaredById: by.declaredById,
      impactStartedAt: checked[k]!.impactStartedAt,
      declaredAt: by.now,
      version: 0,
      lastEventSeq: 0,
      lastEventHash: null,
      slaPolicyId: policy.id,
      slaNextDeadline: null,
      updatedAt: by.now,
    })
    await refreshSlaDeadline(em, incident, by.now)
    incidents.push(incident)
  }
  await em.flush()
  const events: NewEvent[] = []
  for (const [k, { by, then }] of declarations.entries()) {
    const incident = incidents[k]!
    const {
      version: _version,
      acknowledgedAt: _a,
      mitigatedAt: _m,
      resolvedAt: _r,
      postmortemAt: _p,
      closedAt: _c,
      ...declared
    } = stateOf(incident)
    events.push({
      incident,
      type: 'incident.declared',
      payload: declared,
      actorId: by.declaredById,
      now: by.now,
    })
    if (then) events.push({ incident, ...then, actorId: null, now: by.now } as NewEvent)
  }
  await appendEvents(em, events)
  await em.flush()
  return incidents
}

/** Loads and locks one incident of the organization, checking the form's version. */
export async function lockIncident(
  em: EntityManager,
  organizationId: string,
  number: number,
  version: number | undefined,
) {
  const incident = await em.findOne(
    IncidentSchema,
    { organizationId, number },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  )
  if (!incident) throw new IncidentError(null, 'Incident not found', 404)
  if (version !== undefined && version !== incident.version) {
    // Only people's changes make a form stale: entries the system appends by itself (SLA signals,
    // escalation rule firings) change nothing a form shows, so a form opened before them stands.
    const since =
      version < incident.version
        ? await em.find(
            IncidentEventSchema,
            { organizationId, incidentId: incident.id, seq: { $gt: version } },
            { fields: ['type'] },
          )
        : []
    if (since.length === 0 || since.some((e) => !SYSTEM_NOTE_TYPES.has(e.type)))
      throw new IncidentConflictError(incident.version)
  }
  return incident
}

/**
 * Timeline entries that change nothing an incident form shows: what the system noticed or did
 * (SLA signals, rule firings, inbound alerts) and the postmortem's own status.
 */
const SYSTEM_NOTE_TYPES = new Set<string>([
  'sla.warning',
  'sla.breached',
  'sla.retargeted',
  'escalation.fired',
  'alert.received',
  'alert.resolved',
  'postmortem.status_changed',
])

export interface TransitionInput {
  action: TransitionAction
  reason?: string | null
  version?: number
}

/** Moves the incident along the lifecycle; the table and the actor's role are checked here, in the transaction. */
export async function transitionIncident(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: TransitionInput,
  now = clockNow(),
) {
  assertStorableText({ reason: input.reason })
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const incident = await lockIncident(em, member.organization.id, number, input.version)
    const transition = transitionFor(input.action)
    const verdict = checkTransition(
      incident.status,
      transition,
      actorFor(member, incident),
      input.reason,
    )
    if (!verdict.ok) {
      throw new IncidentError(
        verdict.reason === 'reason-required' ? 'reason' : null,
        REFUSAL_MESSAGES[verdict.reason],
        verdict.reason === 'not-involved' ? 403 : 400,
      )
    }
    if (transition.action === 'close') {
      const refusal = await closeRefusal(em, incident)
      if (refusal) throw new IncidentError(null, refusal)
    }
    await applyStatusChange(
      em,
      incident,
      transition,
      input.reason?.trim() || null,
      member.user.id,
      now,
    )
    if (transition.to === 'postmortem')
      await getOrCreatePostmortem(em, incident, member.user.id, now)
    return { status: incident.status, version: incident.version }
  })
}

/**
 * The effects of a status change, the same for people and the system: the status timestamp
 * stamped on first entry, the `incident.status_changed` event, the SLA deadline moved on.
 */
async function applyStatusChange(
  em: EntityManager,
  incident: Incident,
  transition: Transition,
  reason: string | null,
  actorId: string | null,
  now: Date,
) {
  const from = incident.status
  const field = STATUS_TIMESTAMP[transition.to]
  let stamped: EventPayloads['incident.status_changed']['stamped'] = null
  if (field && incident[field] == null) {
    incident[field] = now
    stamped = { field, at: iso(now) }
  }
  incident.status = transition.to
  await appendEvent(
    em,
    incident,
    'incident.status_changed',
    { from, to: transition.to, action: transition.action, reason, stamped },
    actorId,
    now,
  )
  if (stamped) await refreshSlaDeadline(em, incident, now)
}

/**
 * Marks an incident mitigated on the system's word (its alert source reported the alert
 * resolved), inside the caller's transaction, which holds the incident's row lock. Only from
 * Investigating, as the lifecycle table allows: an incident nobody acknowledged stays Detected
 * rather than being moved through Investigating on nobody's behalf. Returns whether it moved.
 */
export async function mitigateAsSystem(
  em: EntityManager,
  incident: Incident,
  reason: string,
  now = clockNow(),
): Promise<boolean> {
  const transition = transitionFor('mark-mitigated')
  if (!transition.from.includes(incident.status) || !isAllowedMove(incident.status, transition.to))
    return false
  await applyStatusChange(em, incident, transition, reason, null, now)
  return true
}

export interface SeverityInput {
  severity: Severity
  reason: string
  version?: number
}

/** A severity change by someone working on the incident; always with a reason. */
export async function changeSeverity(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: SeverityInput,
  now = clockNow(),
) {
  if (!input.reason.trim()) throw new IncidentError('reason', 'Give a reason for the change.')
  assertStorableText({ reason: input.reason })
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const incident = await lockIncident(em, member.organization.id, number, input.version)
    if (!canWork(member, incident) && !can(member.role, 'incident.escalate')) {
      throw new IncidentError(
        null,
        'Only the commander, an assignee, a manager or an admin can change the severity.',
        403,
      )
    }
    if (incident.status === 'closed')
      throw new IncidentError(null, 'A closed incident cannot change.')
    if (incident.severity === input.severity)
      throw new IncidentError('severity', 'That is already the severity.')
    const from = incident.severity
    incident.severity = input.severity
    await appendEvent(
      em,
      incident,
      'incident.severity_changed',
      { from, to: input.severity, reason: input.reason.trim() },
      member.user.id,
      now,
    )
    await retargetSla(em, incident, now)
    return { severity: incident.severity }
  })
}

export interface EscalateInput {
  severity: Severity
  reason: string
  takeCommand: boolean
  version?: number
}

/** Force-escalation by a manager or admin: raises severity, optionally taking command. */
export async function forceEscalate(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: EscalateInput,
  now = clockNow(),
) {
  if (!can(member.role, 'incident.escalate'))
    throw new IncidentError(null, 'Only managers and admins can force-escalate.', 403)
  if (!input.reason.trim()) throw new IncidentError('reason', 'Give a reason for the escalation.')
  assertStorableText({ reason: input.reason })
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const incident = await lockIncident(em, member.organization.id, number, input.version)
    if (incident.status === 'closed')
      throw new IncidentError(null, 'A closed incident cannot change.')
    if (!isHigher(input.severity, incident.severity)) {
      throw new IncidentError(
        'severity',
        `Escalation must raise the severity above ${incident.severity}.`,
      )
    }
    const from = incident.severity
    let commander: EventPayloads['incident.escalated']['commander'] = null
    if (input.takeCommand && incident.commanderId !== member.user.id) {
      commander = { from: incident.commanderId ?? null, to: member.user.id }
      incident.commanderId = member.user.id
    }
    incident.severity = input.severity
    await appendEvent(
      em,
      incident,
      'incident.escalated',
      { from, to: input.severity, reason: input.reason.trim(), commander },
      member.user.id,
      now,
    )
    await retargetSla(em, incident, now)
    return { severity: incident.severity }
  })
}

export interface AssignInput {
  commanderId: string | null
  assigneeIds: string[]
  version?: number
}

export async function assignIncident(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: AssignInput,
  now = clockNow(),
) {
  if (!can(member.role, 'incident.assign'))
    throw new IncidentError(null, 'Only managers and admins can assign incidents.', 403)
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const incident = await lockIncident(em, member.organization.id, number, input.version)
    if (incident.status === 'closed')
      throw new IncidentError(null, 'A closed incident cannot change.')
    const wanted = [...new Set(input.assigneeIds)].sort()
    await assertMembers(em, member.organization.id, wanted, 'assigneeIds')
    if (input.commanderId)
      await assertMembers(em, member.organization.id, [input.commanderId], 'commanderId')
    const current = new Set(incident.assigneeIds)
    const added = wanted.filter((id) => !current.has(id))
    const removed = [...current].filter((id) => !wanted.includes(id)).sort()
    const commander =
      (incident.commanderId ?? null) !== input.commanderId
        ? { from: incident.commanderId ?? null, to: input.commanderId }
        : null
    if (!commander && added.length === 0 && removed.length === 0)
      throw new IncidentError(null, 'Nothing changed.')
    incident.commanderId = input.commanderId
    incident.assigneeIds = wanted
    await appendEvent(
      em,
      incident,
      'incident.assignment_changed',
      { commander, added, removed },
      member.user.id,
      now,
    )
    return { commanderId: incident.commanderId, assigneeIds: incident.assigneeIds }
  })
}

export interface EditInput extends Partial<Omit<EditableFields, 'impactStartedAt'>> {
  impactStartedAt?: Date
  version?: number
}

/** Edits details; each changed field becomes its own event with old and new value. */
export async function editIncident(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: EditInput,
  now = clockNow(),
) {
  assertStorableText({ title: input.title, summary: input.summary })
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const incident = await lockIncident(em, member.organization.id, number, input.version)
    if (!canWork(member, incident) && !can(member.role, 'incident.assign')) {
      throw new IncidentError(
        null,
        'Only the commander, an assignee, a manager or an admin can edit this incident.',
        403,
      )
    }
    if (incident.status === 'closed')
      throw new IncidentError(null, 'A closed incident cannot change.')
    await assertCatalogEntry(
      em,
      ServiceSchema,
      member.organization.id,
      input.serviceId,
      'serviceId',
    )
    await assertCatalogEntry(
      em,
      IncidentTypeSchema,
      member.organization.id,
      input.incidentTypeId,
      'incidentTypeId',
    )
    if (input.impactStartedAt && input.impactStartedAt.getTime() > now.getTime() + 60_000) {
      throw new IncidentError('impactStartedAt', 'Impact cannot start in the future.')
    }
    if (input.impactStartedAt) assertImpactStartInRange(input.impactStartedAt)
    let changes = 0
    const record = async <K extends keyof EditableFields>(
      field: K,
      from: EditableFields[K],
      to: EditableFields[K],
    ) => {
      if (from === to) return
      changes++
      await appendEvent(
        em,
        incident,
        'incident.field_changed',
        { field, from, to } as EventPayloads['incident.field_changed'],
        member.user.id,
        now,
      )
    }
    if (input.title !== undefined) {
      await record('title', incident.title, input.title.trim())
      incident.title = input.title.trim()
    }
    if (input.summary !== undefined) {
      await record('summary', incident.summary, input.summary)
      incident.summary = input.summary
    }
    if (input.serviceId !== undefined) {
      await record('serviceId', incident.serviceId ?? null, input.serviceId)
      incident.serviceId = input.serviceId
    }
    if (input.incidentTypeId !== undefined) {
      await record('incidentTypeId', incident.incidentTypeId ?? null, input.incidentTypeId)
      incident.incidentTypeId = input.incidentTypeId
    }
    if (input.impactStartedAt !== undefined) {
      await record('impactStartedAt', iso(incident.impactStartedAt), iso(input.impactStartedAt))
      incident.impactStartedAt = input.impactStartedAt
      await refreshSlaDeadline(em, incident, now)
    }
    if (changes === 0) throw new IncidentError(null, 'Nothing changed.')
    return { version: incident.version }
  })
}

export async function addComment(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: { body: string; version?: number },
  now = clockNow(),
) {
  const body = input.body.trim()
  if (!body) throw new IncidentError('body', 'Write a comment first.')
  assertStorableText({ body })
  if (body.length > COMMENT_MAX)
    throw new IncidentError('body', `Keep comments under ${COMMENT_MAX} characters.`)
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const incident = await lockIncident(em, member.organization.id, number, input.version)
    if (!canWork(member, incident))
      throw new IncidentError(null, 'Only the commander, an assignee or an admin can comment.', 403)
    await appendEvent(em, incident, 'comment.added', { body }, member.user.id, now)
    return { seq: incident.lastEventSeq }
  })
}

/** A comment is corrected by a new event that supersedes it; the original stays in the chain. */
export async function correctComment(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: { seq: number; body: string; version?: number },
  now = clockNow(),
) {
  const body = input.body.trim()
  if (!body) throw new IncidentError('body', 'Write the corrected comment.')
  assertStorableText({ body })
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const incident = await lockIncident(em, member.organization.id, number, input.version)
    const original = await em.findOne(IncidentEventSchema, {
      organizationId: member.organization.id,
      incidentId: incident.id,
      seq: input.seq,
      type: { $in: ['comment.added', 'comment.corrected'] },
    })
    if (!original) throw new IncidentError(null, 'Comment not found', 404)
    if (original.actorId !== member.user.id && !can(member.role, 'incident.work.any')) {
      throw new IncidentError(null, 'Only the author or an admin can correct a comment.', 403)
    }
    await appendEvent(
      em,
      incident,
      'comment.corrected',
      { supersedesSeq: input.seq, body },
      member.user.id,
      now,
    )
    return { seq: incident.lastEventSeq }
  })
}

export function toStoredEvent(row: {
  id: string
  organizationId: string
  incidentId: string
  seq: number
  type: string
  actorId?: string | null
  occurredAt: Date
  payload: unknown
  prevHash: string
  hash: string
}): StoredEvent {
  return {
    id: row.id,
    organizationId: row.organizationId,
    incidentId: row.incidentId,
    seq: row.seq,
    type: row.type,
    actorId: row.actorId ?? null,
    occurredAt: iso(row.occurredAt),
    payload: row.payload,
    prevHash: row.prevHash,
    hash: row.hash,
  } as StoredEvent
}

export interface IncidentDetail {
  incident: Incident
  events: StoredEvent[]
  people: Map<string, { name: string; email: string }>
  services: Array<{ id: string; name: string; active: boolean }>
  types: Array<{ id: string; name: string; active: boolean }>
  members: Array<{ id: string; name: string; role: string }>
  nextSteps: ReturnType<typeof nextSteps>
  /** The SLA policy version the incident runs under. */
  slaPolicy: { version: number; targets: SlaPolicy['targets'] } | null
  canWork: boolean
  canAssign: boolean
  canEscalate: boolean
}

/** An incident's detail without its events. */
export type IncidentOverview = Omit<IncidentDetail, 'events'>

/** Everything about one incident with all its events; null for a number this organization does not have. */
export async function getIncidentDetail(
  orm: MikroORM,
  member: Actorish,
  number: number,
): Promise<IncidentDetail | null> {
  const organizationId = member.organization.id
  const reference = await readReferenceData(orm, organizationId)
  const found = await readScope(orm, { organizationId }, async (em) => {
    const incident = await em.findOne(IncidentSchema, { organizationId, number })
    if (!incident) return null
    // One after another: a transaction has one connection, and pg refuses to queue queries on a
    // busy client in its next major version (it warns now).
    const rows = await em.find(
      IncidentEventSchema,
      { organizationId, incidentId: incident.id },
      { orderBy: { seq: 'asc' } },
    )
    return { incident, events: rows.map(toStoredEvent) }
  })
  if (!found) return null
  return { ...(await overview(orm, member, found.incident, reference)), events: found.events }
}

export interface IncidentPageDetail extends IncidentOverview {
  /** The page of the timeline asked for, not every event. */
  timeline: TimelinePage
  /** The summary as sanitised HTML, rendered when it was written. */
  summaryHtml: string
}

/**
 * What the incident page shows: the incident and one page of its timeline, read through the
 * timeline's read model (no Markdown is rendered here); null for a number this organization does
 * not have.
 */
export async function getIncidentWithTimeline(
  orm: MikroORM,
  member: Actorish,
  number: number,
  window: TimelineWindow,
): Promise<IncidentPageDetail | null> {
  const organizationId = member.organization.id
  const reference = await readReferenceData(orm, organizationId)
  const found = await readScope(orm, { organizationId }, async (em) => {
    const incident = await em.findOne(IncidentSchema, { organizationId, number })
    if (!incident) return null
    const timeline = await loadTimeline(em, incident, window)
    const summaryHtml = await loadSummaryHtml(em, incident)
    return { incident, timeline, summaryHtml }
  })
  if (!found) return null
  const { incident, timeline, summaryHtml } = found
  return { ...(await overview(orm, member, incident, reference)), timeline, summaryHtml }
}

/**
 * The organization's services, types and members, read before the incident's transaction opens:
 * a reference-cache miss loads on a connection of its own, which must not be awaited while the
 * transaction holds one.
 */
async function readReferenceData(orm: MikroORM, organizationId: string) {
  const catalog = await referenceCatalog(orm, organizationId)
  const directory = await memberDirectory(orm, organizationId)
  return { catalog, directory }
}

/** The incident with its people, catalogs, SLA policy and what the member may do. */
async function overview(
  orm: MikroORM,
  member: Actorish,
  incident: Incident,
  { catalog, directory }: Awaited<ReturnType<typeof readReferenceData>>,
): Promise<IncidentOverview> {
  const policy = incident.slaPolicyId
    ? await slaPolicyVersion(orm, member.organization.id, incident.slaPolicyId)
    : null
  const actor = actorFor(member, incident)
  const choice = (e: { id: string; name: string; active: boolean }) => ({
    id: e.id,
    name: e.name,
    active: e.active,
  })
  return {
    incident,
    people: new Map(directory.map((m) => [m.userId, { name: m.displayName, email: m.email }])),
    services: catalog.services.map(choice),
    types: catalog.types.map(choice),
    // The directory lists active members first, each group by name.
    members: directory
      .filter((m) => m.active)
      .map((m) => ({ id: m.userId, name: m.displayName, role: m.role })),
    nextSteps: nextSteps(incident.status, actor),
    slaPolicy: policy ? { version: policy.version, targets: policy.targets } : null,
    canWork: canWork(member, incident),
    canAssign: can(member.role, 'incident.assign'),
    canEscalate: can(member.role, 'incident.escalate'),
  }
}

/** The services and incident types a new incident may name, and the triage matrix. */
export async function getCatalogs(orm: MikroORM, organizationId: string) {
  const { services, types, matrix } = await referenceCatalog(orm, organizationId)
  const choice = (e: { id: string; name: string }) => ({ id: e.id, name: e.name })
  return {
    services: services.filter((s) => s.active).map(choice),
    types: types.filter((t) => t.active).map(choice),
    matrix,
  }
}

export type { IncidentStatus }
