import { LockMode, type EntityManager, type MikroORM } from '@mikro-orm/postgresql'
import { DomainError } from '~/domain/domain-error'
import { MembershipSchema, UserSchema } from '../../../db/entities/access'
import {
  IncidentEventSchema,
  IncidentSchema,
  IncidentTypeSchema,
  ServiceSchema,
  type Incident,
} from '../../../db/entities/incident'
import { OrganizationSchema } from '../../../db/entities/organization'
import {
  PostmortemRevisionSchema,
  PostmortemSchema,
  type GeneratorRecord,
  type Postmortem,
} from '../../../db/entities/postmortem'
import { inScope, readScope } from '../../../db/tenant'
import { now as clockNow } from '~/utils/clock'
import { formatEvidenceBytes } from '~/utils/format-bytes'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { personNamer } from '~/domain/access/person-name'
import { describeEvent } from '~/domain/incident/describe-event.server'
import { appendEvent, lockIncident, toStoredEvent } from '~/domain/incident/event-store.server'
import { IncidentError } from '~/domain/incident/incident-errors'
import type { IncidentStatus, Severity } from '~/domain/incident/vocabulary'
import {
  CHANGE_NOTE_MAX,
  POSTMORTEM_MOVES,
  POSTMORTEM_MOVE_LABELS,
  POSTMORTEM_SECTIONS,
  POSTMORTEM_SECTION_LABELS,
  POSTMORTEM_SECTION_MAX,
  POSTMORTEM_STATUS_LABELS,
  TIMELINE_NOTE_MAX,
  type PostmortemSections,
  type PostmortemStatus,
  type PostmortemTimelineEntry,
} from './vocabulary'

/**
 * The postmortem of an incident: one row per incident (created when the incident enters
 * Postmortem, or on first use for incidents that were already there) and an append-only list of
 * revisions. Every save, accepted draft and status change is a new revision; the row only points
 * at the newest one (`current_revision`) and carries the status and publication stamp.
 *
 * A published postmortem is not edited in place: saving refuses until someone returns it to
 * draft, so what was published stays exactly what readers saw until then.
 */

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

export type RevisionSource = 'human' | 'template' | 'llm'

/** Incidents in these statuses have a postmortem. */
export const POSTMORTEM_INCIDENT_STATUSES: readonly IncidentStatus[] = ['postmortem', 'closed']

export { CHANGE_NOTE_MAX, POSTMORTEM_MOVES, POSTMORTEM_MOVE_LABELS, TIMELINE_NOTE_MAX }

export const PUBLISHED_EDIT_MESSAGE =
  'This postmortem is published. Return it to draft before editing it.'

/** The form was rendered from an older revision: nothing was written. */
export class PostmortemConflictError extends DomainError {
  constructor(
    readonly currentRevision: number,
    readonly baseRevision: number,
  ) {
    super(
      `Someone saved revision ${currentRevision} of this postmortem while you were editing revision ${baseRevision}. Your text is kept below: compare it with the newest revision, then save again to replace it.`,
      { status: 409 },
    )
  }
}

/** The input breaks a rule; per field, what to fix. Nothing was written. */
export class PostmortemInputError extends DomainError {
  constructor(fieldErrors: Record<string, string[]>) {
    super('Correct the marked fields.', { fieldErrors })
  }
}

export function emptySections(): PostmortemSections {
  return Object.fromEntries(POSTMORTEM_SECTIONS.map((s) => [s, ''])) as PostmortemSections
}

/**
 * The incident's postmortem, created if it has none yet. Concurrent callers cannot create two:
 * `incident_id` is unique and the insert yields to a row someone else just wrote.
 */
export async function getOrCreatePostmortem(
  em: EntityManager,
  incident: Pick<Incident, 'id' | 'organizationId'>,
  actorId: string | null,
  now: Date,
): Promise<Postmortem> {
  const existing = await em.findOne(
    PostmortemSchema,
    { organizationId: incident.organizationId, incidentId: incident.id },
    { refresh: true },
  )
  if (existing) return existing
  await em.execute(
    `insert into postmortem (organization_id, incident_id, status, current_revision, created_by, created_at, updated_at)
     values (?, ?, 'draft', 0, ?, ?, ?)
     on conflict (incident_id) do nothing`,
    [incident.organizationId, incident.id, actorId, now, now],
  )
  return em.findOneOrFail(
    PostmortemSchema,
    { organizationId: incident.organizationId, incidentId: incident.id },
    { refresh: true },
  )
}

/**
 * Loads the incident (404 for a number this organization does not have, or one without a
 * postmortem because it never reached Postmortem) and its postmortem, locked FOR UPDATE so
 * revisions are numbered without gaps or races. Callers that also append incident events lock
 * the incident first (`lockIncident`), always in that order.
 */
export async function lockPostmortem(
  em: EntityManager,
  organizationId: string,
  incidentNumber: number,
  actorId: string | null = null,
  now: Date = clockNow(),
): Promise<{ incident: Incident; postmortem: Postmortem }> {
  const incident = await em.findOne(IncidentSchema, { organizationId, number: incidentNumber })
  if (!incident) throw new IncidentError(null, 'Incident not found', 404)
  const found = await em.findOne(PostmortemSchema, { organizationId, incidentId: incident.id })
  if (!found && !POSTMORTEM_INCIDENT_STATUSES.includes(incident.status))
    throw new IncidentError(null, 'This incident has no postmortem yet.', 404)
  if (!found) await getOrCreatePostmortem(em, incident, actorId, now)
  const postmortem = await em.findOneOrFail(
    PostmortemSchema,
    { organizationId, incidentId: incident.id },
    { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true },
  )
  return { incident, postmortem }
}

export interface RevisionInput {
  sections: PostmortemSections
  timeline: PostmortemTimelineEntry[]
  /** Only status changes pass a status; a content change keeps the current one. */
  status?: PostmortemStatus
  source: RevisionSource
  generator: GeneratorRecord | null
  changeNote: string | null
  authorId: string | null
}

/**
 * Inserts the next revision and moves the postmortem on to it. The caller holds the postmortem's
 * row lock (`lockPostmortem`). A content change (no `status`) to a published postmortem is
 * refused: it must be returned to draft first.
 */
export async function appendRevision(
  em: EntityManager,
  postmortem: Postmortem,
  input: RevisionInput,
  now: Date,
): Promise<number> {
  if (input.status === undefined && postmortem.status === 'published')
    throw new IncidentError(null, PUBLISHED_EDIT_MESSAGE)
  const status = input.status ?? postmortem.status
  const revision = postmortem.currentRevision + 1
  em.create(PostmortemRevisionSchema, {
    organizationId: postmortem.organizationId,
    postmortemId: postmortem.id,
    revision,
    status,
    sections: { ...emptySections(), ...input.sections },
    timeline: [...input.timeline].sort((a, b) => a.seq - b.seq),
    source: input.source,
    generator: input.generator,
    changeNote: input.changeNote?.trim() || null,
    authorId: input.authorId,
    createdAt: now,
  })
  postmortem.currentRevision = revision
  postmortem.status = status
  postmortem.updatedAt = now
  await em.flush()
  return revision
}

/** Commander, assignees, managers and admins; other engineers read only. */
export function canEditPostmortem(
  member: Actorish,
  incident: Pick<Incident, 'commanderId' | 'assigneeIds'>,
): boolean {
  if (can(member.role, 'incident.assign') || can(member.role, 'incident.work.any')) return true
  return (
    incident.commanderId === member.user.id || (incident.assigneeIds ?? []).includes(member.user.id)
  )
}

function assertCanEdit(member: Actorish, incident: Incident) {
  if (!canEditPostmortem(member, incident))
    throw new IncidentError(
      null,
      'Only the commander, an assignee, a manager or an admin can change this postmortem.',
      403,
    )
}

export interface PostmortemView {
  organization: { name: string; timezone: string }
  incident: {
    id: string
    number: number
    title: string
    severity: Severity
    status: IncidentStatus
    serviceName: string | null
    commanderName: string | null
    declaredAt: string
    impactStartedAt: string
    acknowledgedAt: string | null
    mitigatedAt: string | null
    resolvedAt: string | null
    closedAt: string | null
  }
  postmortem: {
    id: string
    status: PostmortemStatus
    currentRevision: number
    publishedAt: string | null
    publishedByName: string | null
    createdAt: string
    updatedAt: string
  }
  revision: {
    revision: number
    sections: PostmortemSections
    timeline: PostmortemTimelineEntry[]
    source: RevisionSource
    generator: GeneratorRecord | null
    authorName: string | null
    createdAt: string
  } | null
  /** The chosen timeline entries, described with describeEvent, oldest first. */
  timelineEntries: Array<{
    seq: number
    eventId: string
    at: string
    actor: string
    summary: string
    detail: string | null
    note: string
  }>
  canEdit: boolean
}

/** One incident event in words, for the timeline picker. */
export interface DescribedEvent {
  seq: number
  eventId: string
  type: string
  at: string
  actor: string
  summary: string
  detail: string | null
}

export interface PostmortemPage {
  view: PostmortemView
  /** Every event of the incident, oldest first, for choosing the timeline. */
  events: DescribedEvent[]
}

const isoOrNull = (date: Date | null | undefined) => (date ? date.toISOString() : null)

/** Names of the organization's people, services and incident types, for describing events. */
async function namesFor(em: EntityManager, organizationId: string) {
  const memberships = await em.find(MembershipSchema, { organizationId })
  const users = memberships.length
    ? await em.find(UserSchema, { id: { $in: memberships.map((m) => m.userId) } })
    : []
  const people = new Map(users.map((u) => [u.id, u.displayName]))
  const services = await em.find(ServiceSchema, { organizationId })
  const types = await em.find(IncidentTypeSchema, { organizationId })
  return {
    name: personNamer((id) => people.get(id)),
    serviceName: (id: string | null) => services.find((s) => s.id === id)?.name ?? null,
    typeName: (id: string | null) => types.find((t) => t.id === id)?.name ?? null,
  }
}

async function describeIncidentEvents(
  em: EntityManager,
  incident: Incident,
  names: Awaited<ReturnType<typeof namesFor>>,
  timeZone: string,
): Promise<DescribedEvent[]> {
  const rows = await em.find(
    IncidentEventSchema,
    { organizationId: incident.organizationId, incidentId: incident.id },
    { orderBy: { seq: 'asc' } },
  )
  return rows.map((row) => {
    const e = toStoredEvent(row)
    const words = describeEvent(e, { ...names, timeZone, formatBytes: formatEvidenceBytes })
    return {
      seq: e.seq,
      eventId: e.id,
      type: e.type,
      at: e.occurredAt,
      actor: names.name(e.actorId) ?? 'System',
      summary: words.summary,
      detail: words.detail,
    }
  })
}

/**
 * Everything the postmortem page shows: the view (also used by the print view and the PDF) and
 * every incident event for the timeline picker. Null for a number this organization does not
 * have, or an incident that has not reached Postmortem.
 */
export async function getPostmortemPage(
  orm: MikroORM,
  member: Actorish,
  incidentNumber: number,
  now: Date = clockNow(),
): Promise<PostmortemPage | null> {
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const incident = await em.findOne(IncidentSchema, { organizationId, number: incidentNumber })
    if (!incident) return null
    let postmortem = await em.findOne(PostmortemSchema, {
      organizationId,
      incidentId: incident.id,
    })
    if (!postmortem) {
      if (!POSTMORTEM_INCIDENT_STATUSES.includes(incident.status)) return null
      postmortem = await getOrCreatePostmortem(em, incident, member.user.id, now)
    }
    const organization = await em.findOneOrFail(OrganizationSchema, { id: organizationId })
    const names = await namesFor(em, organizationId)
    const events = await describeIncidentEvents(em, incident, names, organization.timezone)
    const row =
      postmortem.currentRevision > 0
        ? await em.findOne(PostmortemRevisionSchema, {
            organizationId,
            postmortemId: postmortem.id,
            revision: postmortem.currentRevision,
          })
        : null
    const bySeq = new Map(events.map((e) => [e.seq, e]))
    const timelineEntries: PostmortemView['timelineEntries'] = []
    for (const entry of row?.timeline ?? []) {
      const event = bySeq.get(entry.seq)
      if (!event) continue
      timelineEntries.push({
        seq: event.seq,
        eventId: event.eventId,
        at: event.at,
        actor: event.actor,
        summary: event.summary,
        detail: event.detail,
        note: entry.note,
      })
    }
    timelineEntries.sort((a, b) => a.seq - b.seq)
    const view: PostmortemView = {
      organization: { name: organization.name, timezone: organization.timezone },
      incident: {
        id: incident.id,
        number: incident.number,
        title: incident.title,
        severity: incident.severity,
        status: incident.status,
        serviceName: names.serviceName(incident.serviceId ?? null),
        commanderName: names.name(incident.commanderId),
        declaredAt: incident.declaredAt.toISOString(),
        impactStartedAt: incident.impactStartedAt.toISOString(),
        acknowledgedAt: isoOrNull(incident.acknowledgedAt),
        mitigatedAt: isoOrNull(incident.mitigatedAt),
        resolvedAt: isoOrNull(incident.resolvedAt),
        closedAt: isoOrNull(incident.closedAt),
      },
      postmortem: {
        id: postmortem.id,
        status: postmortem.status,
        currentRevision: postmortem.currentRevision,
        publishedAt: isoOrNull(postmortem.publishedAt),
        publishedByName: names.name(postmortem.publishedBy),
        createdAt: postmortem.createdAt.toISOString(),
        updatedAt: postmortem.updatedAt.toISOString(),
      },
      revision: row
        ? {
            revision: row.revision,
            sections: { ...emptySections(), ...row.sections },
            timeline: row.timeline,
            source: row.source,
            generator: row.generator ?? null,
            authorName: names.name(row.authorId),
            createdAt: row.createdAt.toISOString(),
          }
        : null,
      timelineEntries,
      canEdit: canEditPostmortem(member, incident),
    }
    return { view, events }
  })
}

/** The postmortem as the print view, the PDF and the page show it; see `PostmortemView`. */
export async function getPostmortemView(
  orm: MikroORM,
  member: Actorish,
  incidentNumber: number,
): Promise<PostmortemView | null> {
  return (await getPostmortemPage(orm, member, incidentNumber))?.view ?? null
}

export interface SaveInput {
  sections: PostmortemSections
  timeline: PostmortemTimelineEntry[]
  changeNote: string | null
  /** The revision the form was rendered from. */
  revision: number
}

/** Checks lengths and characters; the timeline's events are checked against the incident later. */
export function validatePostmortemInput(input: Omit<SaveInput, 'revision'>) {
  const errors: Record<string, string[]> = {}
  const add = (field: string, message: string) => (errors[field] ??= []).push(message)
  for (const section of POSTMORTEM_SECTIONS) {
    const text = input.sections[section] ?? ''
    if (typeof text !== 'string') add(section, 'Write text here.')
    else if (text.includes('\u0000'))
      add(section, 'This text contains a NUL character, which cannot be stored. Remove it.')
    else if (text.length > POSTMORTEM_SECTION_MAX)
      add(
        section,
        `Keep “${POSTMORTEM_SECTION_LABELS[section]}” under ${POSTMORTEM_SECTION_MAX.toLocaleString('en')} characters (it has ${text.length.toLocaleString('en')}).`,
      )
  }
  const seen = new Set<number>()
  for (const entry of input.timeline) {
    if (!Number.isSafeInteger(entry.seq) || entry.seq < 1) {
      add('timeline', 'Choose timeline entries from the list.')
      continue
    }
    if (seen.has(entry.seq)) add('timeline', `Event #${entry.seq} is chosen twice.`)
    seen.add(entry.seq)
    if (entry.note.includes('\u0000'))
      add(
        `note-${entry.seq}`,
        'This text contains a NUL character, which cannot be stored. Remove it.',
      )
    else if (entry.note.length > TIMELINE_NOTE_MAX)
      add(`note-${entry.seq}`, `Keep notes under ${TIMELINE_NOTE_MAX} characters.`)
  }
  const note = input.changeNote ?? ''
  if (note.includes('\u0000'))
    add('changeNote', 'This text contains a NUL character, which cannot be stored. Remove it.')
  else if (note.trim().length > CHANGE_NOTE_MAX)
    add('changeNote', `Keep the change note under ${CHANGE_NOTE_MAX} characters.`)
  if (Object.keys(errors).length) throw new PostmortemInputError(errors)
}

/** Refuses timeline entries that are not events of this incident. */
async function assertTimelineEvents(
  em: EntityManager,
  incident: Incident,
  timeline: PostmortemTimelineEntry[],
) {
  if (timeline.length === 0) return
  const seqs = [...new Set(timeline.map((t) => t.seq))]
  const found = await em.find(
    IncidentEventSchema,
    { organizationId: incident.organizationId, incidentId: incident.id, seq: { $in: seqs } },
    { fields: ['seq'] },
  )
  const known = new Set(found.map((e) => e.seq))
  const missing = seqs.filter((s) => !known.has(s)).sort((a, b) => a - b)
  if (missing.length)
    throw new PostmortemInputError({
      timeline: [
        `${missing.map((s) => `#${s}`).join(', ')} ${missing.length === 1 ? 'is not an event' : 'are not events'} of this incident. Choose entries from the list.`,
      ],
    })
}

function normalizeTimeline(timeline: PostmortemTimelineEntry[]): PostmortemTimelineEntry[] {
  return timeline
    .map((t) => ({ seq: t.seq, note: (t.note ?? '').trim() }))
    .sort((a, b) => a.seq - b.seq)
}

/**
 * Locks the postmortem for a change by `member` made on `revision`: refuses people who may not
 * edit it (403) and changes made on an older revision (PostmortemConflictError).
 */
async function lockForEdit(
  em: EntityManager,
  member: Actorish,
  incidentNumber: number,
  revision: number,
  now: Date,
) {
  const locked = await lockPostmortem(
    em,
    member.organization.id,
    incidentNumber,
    member.user.id,
    now,
  )
  assertCanEdit(member, locked.incident)
  if (revision !== locked.postmortem.currentRevision)
    throw new PostmortemConflictError(locked.postmortem.currentRevision, revision)
  return locked
}

/** Saves the editor's content as a new revision by a person. */
export async function savePostmortem(
  orm: MikroORM,
  member: Actorish,
  incidentNumber: number,
  input: SaveInput,
  now = clockNow(),
): Promise<{ revision: number }> {
  const timeline = normalizeTimeline(input.timeline)
  validatePostmortemInput({ ...input, timeline })
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const { incident, postmortem } = await lockForEdit(
      em,
      member,
      incidentNumber,
      input.revision,
      now,
    )
    await assertTimelineEvents(em, incident, timeline)
    const revision = await appendRevision(
      em,
      postmortem,
      {
        sections: input.sections,
        timeline,
        source: 'human',
        generator: null,
        changeNote: input.changeNote,
        authorId: member.user.id,
      },
      now,
    )
    return { revision }
  })
}

/**
 * Moves the postmortem between draft, in review and published. The change is a new revision
 * (same content, new status) and a `postmortem.status_changed` entry on the incident's timeline,
 * in one transaction. Publishing stamps who and when; leaving Published clears the stamp.
 */
export async function setPostmortemStatus(
  orm: MikroORM,
  member: Actorish,
  incidentNumber: number,
  input: { to: PostmortemStatus; revision: number },
  now = clockNow(),
): Promise<{ revision: number; status: PostmortemStatus }> {
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    // The incident first, then the postmortem: the order every writer takes both locks in.
    const incident = await lockIncident(em, organizationId, incidentNumber, undefined)
    const { postmortem } = await lockForEdit(em, member, incidentNumber, input.revision, now)
    const from: PostmortemStatus = postmortem.status
    if (from === input.to)
      throw new IncidentError(
        null,
        `The postmortem is already ${POSTMORTEM_STATUS_LABELS[from].toLowerCase()}.`,
      )
    if (!POSTMORTEM_MOVES[from].includes(input.to))
      throw new IncidentError(
        null,
        `A postmortem that is ${POSTMORTEM_STATUS_LABELS[from].toLowerCase()} cannot move to ${POSTMORTEM_STATUS_LABELS[input.to].toLowerCase()}.`,
      )
    const current =
      postmortem.currentRevision > 0
        ? await em.findOneOrFail(PostmortemRevisionSchema, {
            organizationId,
            postmortemId: postmortem.id,
            revision: postmortem.currentRevision,
          })
        : null
    if (input.to !== 'draft' && !current?.sections.summary?.trim())
      throw new IncidentError(
        null,
        'Write and save a summary before sending the postmortem for review or publishing it.',
      )
    if (input.to === 'published') {
      postmortem.publishedAt = now
      postmortem.publishedBy = member.user.id
    } else {
      postmortem.publishedAt = null
      postmortem.publishedBy = null
    }
    const revision = await appendRevision(
      em,
      postmortem,
      {
        sections: current?.sections ?? emptySections(),
        timeline: current?.timeline ?? [],
        status: input.to,
        source: 'human',
        generator: null,
        changeNote: `${POSTMORTEM_STATUS_LABELS[from]} → ${POSTMORTEM_STATUS_LABELS[input.to]}`,
        authorId: member.user.id,
      },
      now,
    )
    await appendEvent(
      em,
      incident,
      'postmortem.status_changed',
      { postmortemId: postmortem.id, from, to: input.to, revision },
      member.user.id,
      now,
    )
    return { revision, status: input.to }
  })
}

/**
 * The close guard: closing a SEV-1 or SEV-2 incident in an organization that requires
 * postmortems needs the postmortem published. Returns the reason to show, or null when allowed.
 */
export async function closeRefusal(
  em: EntityManager,
  incident: Pick<Incident, 'id' | 'organizationId' | 'severity'>,
): Promise<string | null> {
  if (incident.severity !== 'SEV-1' && incident.severity !== 'SEV-2') return null
  const organization = await em.findOneOrFail(OrganizationSchema, {
    id: incident.organizationId,
  })
  if (!organization.requirePostmortem) return null
  const postmortem = await em.findOne(PostmortemSchema, {
    organizationId: incident.organizationId,
    incidentId: incident.id,
  })
  if (postmortem?.status === 'published') return null
  return `${incident.severity} incidents need a published postmortem before they can be closed. Publish the postmortem first.`
}

export interface RevisionSummary {
  revision: number
  status: PostmortemStatus
  source: RevisionSource
  authorName: string | null
  changeNote: string | null
  createdAt: string
  model: string | null
}

/** Every revision, newest first; null when the incident has no postmortem here. */
export async function listRevisions(
  orm: MikroORM,
  member: Actorish,
  incidentNumber: number,
): Promise<{ view: PostmortemView; revisions: RevisionSummary[] } | null> {
  const view = await getPostmortemView(orm, member, incidentNumber)
  if (!view) return null
  const organizationId = member.organization.id
  const revisions = await inScope(orm, { organizationId }, async (em) => {
    const names = await namesFor(em, organizationId)
    const rows = await em.find(
      PostmortemRevisionSchema,
      { organizationId, postmortemId: view.postmortem.id },
      { orderBy: { revision: 'desc' } },
    )
    return rows.map((r) => ({
      revision: r.revision,
      status: r.status,
      source: r.source,
      authorName: names.name(r.authorId),
      changeNote: r.changeNote ?? null,
      createdAt: r.createdAt.toISOString(),
      model: r.generator?.model ?? null,
    }))
  })
  return { view, revisions }
}

/** One revision's content as diffable text: sections as written, the timeline as one line each. */
export interface RevisionContent {
  revision: number
  status: PostmortemStatus
  sections: PostmortemSections
  /** "#<seq> <actor> <summary> — <note>", oldest first. */
  timelineLines: string[]
}

/**
 * Two revisions of the incident's postmortem, for a diff. Null when the incident, its
 * postmortem or either revision does not exist here.
 */
export async function getRevisionPair(
  orm: MikroORM,
  member: Actorish,
  incidentNumber: number,
  from: number,
  to: number,
): Promise<{ from: RevisionContent; to: RevisionContent } | null> {
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const incident = await em.findOne(IncidentSchema, { organizationId, number: incidentNumber })
    if (!incident) return null
    const postmortem = await em.findOne(PostmortemSchema, {
      organizationId,
      incidentId: incident.id,
    })
    if (!postmortem) return null
    const rows = await em.find(PostmortemRevisionSchema, {
      organizationId,
      postmortemId: postmortem.id,
      revision: { $in: [from, to] },
    })
    const a = rows.find((r) => r.revision === from)
    const b = rows.find((r) => r.revision === to)
    if (!a || !b) return null
    const organization = await em.findOneOrFail(OrganizationSchema, { id: organizationId })
    const names = await namesFor(em, organizationId)
    const events = await describeIncidentEvents(em, incident, names, organization.timezone)
    const bySeq = new Map(events.map((e) => [e.seq, e]))
    const content = (row: typeof a): RevisionContent => ({
      revision: row.revision,
      status: row.status,
      sections: { ...emptySections(), ...row.sections },
      timelineLines: row.timeline.map((t) => {
        const e = bySeq.get(t.seq)
        const words = e ? `${e.actor} ${e.summary}` : 'event not found'
        return `#${t.seq} ${words}${t.note ? ` — ${t.note}` : ''}`
      }),
    })
    return { from: content(a), to: content(b) }
  })
}

/** The postmortem's status for the incident page; null when the incident has none yet. */
export async function postmortemStatusOf(
  orm: MikroORM,
  organizationId: string,
  incidentId: string,
): Promise<PostmortemStatus | null> {
  return readScope(orm, { organizationId }, async (em) => {
    const postmortem = await em.findOne(
      PostmortemSchema,
      { organizationId, incidentId },
      { fields: ['status'] },
    )
    return postmortem?.status ?? null
  })
}

/** The settings form was rendered before someone else saved it: nothing was changed. */
export class PostmortemSettingsConflictError extends DomainError {
  constructor() {
    super('These settings changed since you opened them. Review them below, then save again.', {
      status: 409,
    })
  }
}

export interface PostmortemSettings {
  requirePostmortem: boolean
  /** What the form carries back, so a change made meanwhile is noticed. */
  version: string
}

export async function getPostmortemSettings(
  orm: MikroORM,
  member: Actorish,
): Promise<PostmortemSettings> {
  if (!can(member.role, 'settings.manage'))
    throw new IncidentError(null, 'Only admins can change postmortem settings.', 403)
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const organization = await em.findOneOrFail(OrganizationSchema, {
      id: member.organization.id,
    })
    return {
      requirePostmortem: organization.requirePostmortem,
      version: organization.updatedAt.toISOString(),
    }
  })
}

/** Turns the close guard on or off for the member's organization (admins only). */
export async function savePostmortemSettings(
  orm: MikroORM,
  member: Actorish,
  input: { requirePostmortem: boolean; version: string },
): Promise<PostmortemSettings> {
  if (!can(member.role, 'settings.manage'))
    throw new IncidentError(null, 'Only admins can change postmortem settings.', 403)
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const organization = await em.findOneOrFail(
      OrganizationSchema,
      { id: member.organization.id },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    )
    if (organization.updatedAt.toISOString() !== input.version)
      throw new PostmortemSettingsConflictError()
    if (organization.requirePostmortem !== input.requirePostmortem) {
      organization.requirePostmortem = input.requirePostmortem
      organization.updatedAt = new Date(
        Math.max(clockNow().getTime(), organization.updatedAt.getTime() + 1),
      )
    }
    await em.flush()
    return {
      requirePostmortem: organization.requirePostmortem,
      version: organization.updatedAt.toISOString(),
    }
  })
}
