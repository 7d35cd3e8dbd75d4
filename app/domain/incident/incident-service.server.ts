import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { MembershipSchema } from '../../../db/entities/access'
import {
  IncidentEventSchema,
  IncidentSchema,
  IncidentTypeSchema,
  ServiceSchema,
  type Incident,
} from '../../../db/entities/incident'
import { inScope } from '../../../db/tenant'
import { now as clockNow } from '~/utils/clock'
import { currentPolicy, refreshSlaDeadline } from '~/domain/sla/sla.server'
import { loadTriageMatrix } from '~/domain/reference/reference-data.server'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { DATE_RANGE_MESSAGE, isWithinDateRange } from '~/utils/date-range'
import { appendEvent, appendEvents, lockIncident, type NewEvent } from './event-store.server'
import type { ChatSource, EditableFields, EventPayloads, EventType } from './events'
import { frozenRefusal } from './classification'
import {
  applyDeclaredFields,
  applyStepFields,
  type CustomFieldInput,
} from './custom-field-changes.server'
import { IncidentError } from './incident-errors'
import { actorFor, canWork, stateOf } from './incident-queries.server'
import {
  LIFECYCLE,
  checkTransition,
  transitionFor,
  type Transition,
  type TransitionAction,
  REFUSAL_MESSAGES,
} from './lifecycle'
import { retargetSla } from './sla-effects.server'
import { runEntryEffects, transitionRefusal } from './transition-hooks.server'
import { isHigher, triage, type Impact, type Urgency } from './triage'
import { makeDeclaredPrivate } from './visibility.server'
import { COMMENT_MAX, type Severity } from './vocabulary'

/**
 * The incident commands: every change a person or the system makes to an incident, each in one
 * transaction with its events. Reads live in `incident-queries.server.ts`, the chain in
 * `event-store.server.ts`.
 */

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

const iso = (date: Date) => date.toISOString()

/** A closed incident, or one reclassified (declined, duplicate, merged), takes no more changes. */
function assertChangeable(incident: Incident) {
  if (incident.status === 'closed')
    throw new IncidentError(null, 'A closed incident cannot change.')
  const frozen = frozenRefusal(incident)
  if (frozen) throw new IncidentError(null, frozen)
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
  /**
   * Custom field values by key. Forms and the API pass them (then the fields required from
   * Detected on must be filled); declarations from chat and alerts do not.
   */
  customFields?: CustomFieldInput
  /** Visible only to its participants and admins from the start (decision 037). */
  private?: boolean
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
    await applyDeclaredFields(em, incident!, input.customFields, member.user.id, now)
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
      customFields: {},
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
  const declarerViewers = new Map<Incident, Omit<NewEvent, 'incident'> | null>()
  for (const [k, { input, by }] of declarations.entries()) {
    if (input.private)
      declarerViewers.set(
        incidents[k]!,
        await makeDeclaredPrivate(em, incidents[k]!, by.declaredById, by.now),
      )
  }
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
      customFields: _cf,
      classification: _k,
      classifiedAsOfId: _ka,
      roles: _roles,
      private: isPrivate,
      ...declared
    } = stateOf(incident)
    events.push({
      incident,
      type: 'incident.declared',
      // Only a private declaration says so: an entry without the flag is public.
      payload: isPrivate ? { ...declared, private: true } : declared,
      actorId: by.declaredById,
      now: by.now,
    })
    const viewer = declarerViewers.get(incident)
    if (viewer) events.push({ incident, ...viewer } as NewEvent)
    if (then) events.push({ incident, ...then, actorId: null, now: by.now } as NewEvent)
  }
  await appendEvents(em, events)
  await em.flush()
  return incidents
}

export interface TransitionInput {
  action: TransitionAction
  reason?: string | null
  version?: number
  /** Values of the fields the new status requires, filled in with the step (by key). */
  customFields?: CustomFieldInput
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
    const frozen = frozenRefusal(incident)
    if (frozen) throw new IncidentError(null, frozen)
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
    await applyStepFields(em, incident, input.customFields, transition.to, member.user.id, now)
    const refusal = await transitionRefusal(em, incident, transition)
    if (refusal) throw new IncidentError(null, refusal)
    await applyStatusChange(
      em,
      incident,
      transition,
      input.reason?.trim() || null,
      member.user.id,
      now,
    )
    return { status: incident.status, version: incident.version }
  })
}

/**
 * A status change, the same for people and the system: the status's time stamped on its first
 * entry, the `incident.status_changed` event, then the entry effects the lifecycle table names.
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
  const field = LIFECYCLE[transition.to].stamps
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
  await runEntryEffects(em, incident, stamped !== null, { actorId, now })
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
  if (!transition.from.includes(incident.status) || frozenRefusal(incident)) return false
  if (await transitionRefusal(em, incident, transition)) return false
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
    assertChangeable(incident)
    if (incident.severity === input.severity)
      throw new IncidentError('severity', 'That is already the severity.')
    await applySeverityChange(
      em,
      incident,
      input.severity,
      input.reason.trim(),
      member.user.id,
      now,
    )
    return { severity: incident.severity }
  })
}

/**
 * Changes the severity on the system's word (an escalation rule), inside the caller's
 * transaction, which holds the incident's row lock: the same entry and SLA retargeting as
 * `changeSeverity`, with no one as its actor. A closed incident, or one already at that
 * severity, stays as it is. Returns whether it changed.
 */
export async function changeSeverityAsSystem(
  em: EntityManager,
  incident: Incident,
  severity: Severity,
  reason: string,
  now = clockNow(),
): Promise<boolean> {
  if (incident.status === 'closed' || frozenRefusal(incident) || incident.severity === severity)
    return false
  await applySeverityChange(em, incident, severity, reason, null, now)
  return true
}

/**
 * The effects of a severity change, the same for people and the system: the
 * `incident.severity_changed` entry, then the SLA moved to that severity's targets.
 */
async function applySeverityChange(
  em: EntityManager,
  incident: Incident,
  to: Severity,
  reason: string,
  actorId: string | null,
  now: Date,
) {
  const from = incident.severity
  incident.severity = to
  await appendEvent(em, incident, 'incident.severity_changed', { from, to, reason }, actorId, now)
  await retargetSla(em, incident, now)
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
    assertChangeable(incident)
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
    assertChangeable(incident)
    const wanted = [...new Set(input.assigneeIds)].sort()
    await assertMembers(em, member.organization.id, wanted, 'assigneeIds')
    if (input.commanderId)
      await assertMembers(em, member.organization.id, [input.commanderId], 'commanderId')
    const to = { commanderId: input.commanderId, assigneeIds: wanted }
    if (!(await applyAssignment(em, incident, to, member.user.id, now)))
      throw new IncidentError(null, 'Nothing changed.')
    return { commanderId: incident.commanderId, assigneeIds: incident.assigneeIds }
  })
}

/**
 * Makes an active member commander on the system's word (an escalation rule), inside the
 * caller's transaction, which holds the incident's row lock: the same
 * `incident.assignment_changed` entry as `assignIncident`, with no one as its actor. A closed
 * incident, the same commander, or someone who is no longer an active member leaves it as it
 * is. Returns whether it changed.
 */
export async function assignCommanderAsSystem(
  em: EntityManager,
  incident: Incident,
  commanderId: string,
  now = clockNow(),
): Promise<boolean> {
  if (
    incident.status === 'closed' ||
    frozenRefusal(incident) ||
    incident.commanderId === commanderId
  )
    return false
  const active = await em.count(MembershipSchema, {
    organizationId: incident.organizationId,
    userId: commanderId,
    active: true,
  })
  if (!active) return false
  const to = { commanderId, assigneeIds: incident.assigneeIds }
  return applyAssignment(em, incident, to, null, now)
}

/**
 * The effects of an assignment, the same for people and the system: the commander and assignees
 * written, and one `incident.assignment_changed` entry naming what changed. Returns false, with
 * nothing written, when nothing would change.
 */
async function applyAssignment(
  em: EntityManager,
  incident: Incident,
  to: { commanderId: string | null; assigneeIds: string[] },
  actorId: string | null,
  now: Date,
): Promise<boolean> {
  const current = new Set(incident.assigneeIds)
  const added = to.assigneeIds.filter((id) => !current.has(id))
  const removed = [...current].filter((id) => !to.assigneeIds.includes(id)).sort()
  const commander =
    (incident.commanderId ?? null) !== to.commanderId
      ? { from: incident.commanderId ?? null, to: to.commanderId }
      : null
  if (!commander && added.length === 0 && removed.length === 0) return false
  incident.commanderId = to.commanderId
  incident.assigneeIds = to.assigneeIds
  await appendEvent(
    em,
    incident,
    'incident.assignment_changed',
    { commander, added, removed },
    actorId,
    now,
  )
  return true
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
    assertChangeable(incident)
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
  input: { body: string; version?: number; source?: ChatSource },
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
    const payload = input.source ? { body, source: input.source } : { body }
    await appendEvent(em, incident, 'comment.added', payload, member.user.id, now)
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
