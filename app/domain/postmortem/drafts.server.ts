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
  PostmortemDraftSchema,
  PostmortemSchema,
  type DraftResult,
  type DraftStatus,
  type GeneratorRecord,
  type PostmortemDraft,
} from '../../../db/entities/postmortem'
import { inScope } from '../../../db/tenant'
import { transactionExecutor } from '../../../db/transaction'
import { sendJob, type PgBoss } from '~/queue/send.server'
import { queues, type JobPayload } from '~/queue/queues'
import type { Logger } from '~/utils/logger.server'
import type { Member } from '~/domain/access/guard.server'
import { memberNames } from '~/domain/access/member-names.server'
import { toStoredEvent } from '~/domain/incident/event-store.server'
import { IncidentError } from '~/domain/incident/incident-errors'
import {
  LlmDraftError,
  PROMPT_VERSION,
  requestLlmDraft,
  type LlmSettings,
} from './draft-llm.server'
import { TEMPLATE_VERSION, buildTemplateDraft, type DraftSource } from './draft-template'
import {
  appendRevision,
  canEditPostmortem,
  lockPostmortem,
  PUBLISHED_EDIT_MESSAGE,
} from './postmortem.server'
import { now as clockNow } from '~/utils/clock'

/**
 * Generated postmortem drafts: requested by a person (a row and its `postmortem-draft` job in one
 * transaction), made by the worker (from the template, or by the configured model), reviewed on
 * their status page, and written into the postmortem only when a person accepts them — as a new
 * revision that records how the draft was made. Every function works under the member's
 * organization: another organization's incident or draft is not found (404).
 */

type Actor = Pick<Member, 'user' | 'role' | 'organization'>

export const DRAFT_MODES = ['template', 'llm'] as const
export type DraftMode = (typeof DRAFT_MODES)[number]

export const DRAFT_MODE_LABELS: Record<DraftMode, string> = {
  template: 'Template (from the incident record)',
  llm: 'Model',
}

/** A refused request, with words for the person who asked. */
export class DraftError extends DomainError {
  constructor(message: string, status: 400 | 403 | 404 | 409) {
    super(message, { status })
  }
}

export const LLM_NOT_CONFIGURED =
  'Drafts from a model are not set up here (LLM_BASE_URL and LLM_MODEL). Use the template.'
export const EDIT_REFUSED =
  'Only the commander, an assignee, a manager or an admin can generate or accept drafts of this postmortem.'

/**
 * A draft still "running" this long after it started belongs to a worker that died on its last
 * attempt: pg-boss has given the job up, so nothing will finish it.
 */
export const STALE_RUNNING_SECONDS = queues['postmortem-draft'].options.expireInSeconds * 2
export const STALE_MESSAGE =
  'The worker stopped while making this draft and did not finish it. Generate a new draft.'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface DraftView {
  id: string
  incidentNumber: number
  incidentTitle: string
  mode: DraftMode
  status: DraftStatus
  error: string | null
  model: string | null
  promptVersion: string | null
  baseRevision: number
  acceptedRevision: number | null
  /** The postmortem's newest revision now; a different one than `baseRevision` blocks accepting. */
  currentRevision: number
  result: DraftResult | null
  requestedBy: string | null
  createdAt: Date
  startedAt: Date | null
  finishedAt: Date | null
}

function isStale(row: PostmortemDraft, now: Date) {
  return (
    row.status === 'running' &&
    row.startedAt != null &&
    now.getTime() - row.startedAt.getTime() > STALE_RUNNING_SECONDS * 1000
  )
}

function toView(
  row: PostmortemDraft,
  incident: Pick<Incident, 'number' | 'title'>,
  currentRevision: number,
  requestedBy: string | null,
  now: Date,
): DraftView {
  const stale = isStale(row, now)
  return {
    id: row.id,
    incidentNumber: incident.number,
    incidentTitle: incident.title,
    mode: row.mode,
    status: stale ? 'failed' : row.status,
    error: stale ? STALE_MESSAGE : (row.error ?? null),
    model: row.model ?? null,
    promptVersion: row.promptVersion ?? null,
    baseRevision: row.baseRevision,
    acceptedRevision: row.acceptedRevision ?? null,
    currentRevision,
    result: row.result ?? null,
    requestedBy,
    createdAt: row.createdAt,
    startedAt: row.startedAt ?? null,
    finishedAt: row.finishedAt ?? null,
  }
}

async function userName(em: EntityManager, organizationId: string, id: string | null | undefined) {
  if (!id) return null
  return (await memberNames(em, organizationId, [id])).get(id) ?? 'A former member'
}

/** lockPostmortem, with its refusals as DraftErrors. */
async function lockFor(em: EntityManager, member: Actor, number: number, now: Date) {
  try {
    const locked = await lockPostmortem(em, member.organization.id, number, member.user.id, now)
    if (!canEditPostmortem(member, locked.incident)) throw new DraftError(EDIT_REFUSED, 403)
    return locked
  } catch (error) {
    if (error instanceof IncidentError && error.status === 404)
      throw new DraftError(error.message, 404)
    throw error
  }
}

/** The postmortem and one of its drafts, both locked; another postmortem's draft is not found. */
async function lockDraft(
  em: EntityManager,
  member: Actor,
  number: number,
  draftId: string,
  now: Date,
) {
  const { postmortem } = await lockFor(em, member, number, now)
  const draft = await em.findOne(
    PostmortemDraftSchema,
    { id: draftId, organizationId: member.organization.id, postmortemId: postmortem.id },
    { lockMode: LockMode.PESSIMISTIC_WRITE },
  )
  if (!draft) throw new DraftError('Draft not found', 404)
  return { postmortem, draft }
}

/**
 * Requests a draft of the incident's postmortem. The draft row (on top of the postmortem's
 * current revision) and its job are written in one transaction: neither exists without the
 * other. `llmAvailable` says whether this process has a model configured.
 */
export async function requestDraft(
  orm: MikroORM,
  boss: PgBoss,
  member: Actor,
  number: number,
  mode: DraftMode,
  options: {
    llmAvailable: boolean
    /** The revision the requesting form showed; a newer one means it is stale (409). */
    revision?: number
    now?: Date
  },
): Promise<DraftView> {
  const now = options.now ?? clockNow()
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const { incident, postmortem } = await lockFor(em, member, number, now)
    if (mode === 'llm' && !options.llmAvailable) throw new DraftError(LLM_NOT_CONFIGURED, 400)
    if (postmortem.status === 'published') throw new DraftError(PUBLISHED_EDIT_MESSAGE, 409)
    if (options.revision !== undefined && options.revision !== postmortem.currentRevision)
      throw new DraftError(
        `The postmortem was saved as revision ${postmortem.currentRevision} since you opened revision ${options.revision}. Review it, then generate a draft again.`,
        409,
      )
    const [inserted] = await em.execute<Array<{ id: string }>>(
      `insert into postmortem_draft
         (organization_id, postmortem_id, mode, status, requested_by, base_revision, created_at)
       values (?, ?, ?, 'queued', ?, ?, ?)
       returning id`,
      [organizationId, postmortem.id, mode, member.user.id, postmortem.currentRevision, now],
    )
    const id = inserted!.id
    const jobId = await sendJob(
      boss,
      'postmortem-draft',
      { draftId: id, organizationId },
      { db: await transactionExecutor(em) },
    )
    await em.execute(`update postmortem_draft set job_id = ? where id = ?`, [jobId, id])
    const row = await em.findOneOrFail(PostmortemDraftSchema, { id, organizationId })
    return toView(row, incident, postmortem.currentRevision, member.user.displayName, now)
  })
}

/**
 * One draft of the incident's postmortem, for its status page: null when the incident, its
 * postmortem or the draft is not this organization's (or not this incident's).
 */
export async function getDraft(
  orm: MikroORM,
  member: Actor,
  number: number,
  draftId: string,
  now: Date = clockNow(),
): Promise<DraftView | null> {
  if (!UUID.test(draftId)) return null
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const incident = await em.findOne(IncidentSchema, { organizationId, number })
    if (!incident) return null
    const postmortem = await em.findOne(PostmortemSchema, {
      organizationId,
      incidentId: incident.id,
    })
    if (!postmortem) return null
    if (!canEditPostmortem(member, incident)) throw new DraftError(EDIT_REFUSED, 403)
    const row = await em.findOne(PostmortemDraftSchema, {
      id: draftId,
      organizationId,
      postmortemId: postmortem.id,
    })
    if (!row) return null
    return toView(
      row,
      incident,
      postmortem.currentRevision,
      await userName(em, organizationId, row.requestedBy),
      now,
    )
  })
}

export interface DraftSummary {
  id: string
  mode: DraftMode
  status: DraftStatus
  requestedBy: string | null
  createdAt: Date
}

/**
 * The incident's newest drafts (at most `limit`), for listing on the postmortem page; empty for
 * an incident without a postmortem or a member who cannot edit it.
 */
export async function listDrafts(
  orm: MikroORM,
  member: Actor,
  number: number,
  options: { limit?: number; now?: Date } = {},
): Promise<DraftSummary[]> {
  const organizationId = member.organization.id
  const now = options.now ?? clockNow()
  return inScope(orm, { organizationId }, async (em) => {
    const incident = await em.findOne(IncidentSchema, { organizationId, number })
    if (!incident || !canEditPostmortem(member, incident)) return []
    const postmortem = await em.findOne(PostmortemSchema, {
      organizationId,
      incidentId: incident.id,
    })
    if (!postmortem) return []
    const rows = await em.find(
      PostmortemDraftSchema,
      { organizationId, postmortemId: postmortem.id },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: options.limit ?? 5 },
    )
    const names = await memberNames(
      em,
      organizationId,
      rows.map((r) => r.requestedBy),
    )
    return rows.map((row) => ({
      id: row.id,
      mode: row.mode,
      status: isStale(row, now) ? 'failed' : row.status,
      requestedBy: row.requestedBy ? (names.get(row.requestedBy) ?? 'A former member') : null,
      createdAt: row.createdAt,
    }))
  })
}

/**
 * Accepts a finished draft: its sections and timeline become the postmortem's next revision,
 * recording the mode, model, prompt version, time and every statement with its citations.
 * Refused when the postmortem got a newer revision after the draft was requested.
 */
export async function acceptDraft(
  orm: MikroORM,
  member: Actor,
  number: number,
  draftId: string,
  now: Date = clockNow(),
): Promise<{ revision: number }> {
  if (!UUID.test(draftId)) throw new DraftError('Draft not found', 404)
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const { postmortem, draft } = await lockDraft(em, member, number, draftId, now)
    if (draft.status !== 'done' || !draft.result) throw new DraftError(notReady(draft), 409)
    if (postmortem.currentRevision !== draft.baseRevision)
      throw new DraftError(
        `The postmortem was saved as revision ${postmortem.currentRevision} after this draft was requested on revision ${draft.baseRevision}, so accepting it would overwrite that work. Generate a new draft.`,
        409,
      )
    if (postmortem.status === 'published') throw new DraftError(PUBLISHED_EDIT_MESSAGE, 409)
    const generator: GeneratorRecord = {
      draftId: draft.id,
      mode: draft.mode,
      model: draft.model ?? null,
      promptVersion: draft.promptVersion ?? '',
      generatedAt: (draft.finishedAt ?? now).toISOString(),
      statements: draft.result.statements,
    }
    const revision = await appendRevision(
      em,
      postmortem,
      {
        sections: draft.result.sections,
        timeline: draft.result.timeline,
        source: draft.mode,
        generator,
        changeNote:
          draft.mode === 'llm'
            ? `Accepted a draft by ${draft.model ?? 'the model'} (prompt ${draft.promptVersion})`
            : `Accepted the template draft (${draft.promptVersion})`,
        authorId: member.user.id,
      },
      now,
    )
    draft.status = 'accepted'
    draft.acceptedRevision = revision
    await em.flush()
    return { revision }
  })
}

function notReady(draft: PostmortemDraft) {
  switch (draft.status) {
    case 'accepted':
      return `This draft was already accepted as revision ${draft.acceptedRevision}.`
    case 'discarded':
      return 'This draft was discarded.'
    case 'failed':
      return 'This draft failed and cannot be accepted. Generate a new draft.'
    default:
      return 'This draft is not ready yet.'
  }
}

/** Discards a draft that was not accepted; its job, if still to run, then leaves it alone. */
export async function discardDraft(
  orm: MikroORM,
  member: Actor,
  number: number,
  draftId: string,
  now: Date = clockNow(),
): Promise<void> {
  if (!UUID.test(draftId)) throw new DraftError('Draft not found', 404)
  const organizationId = member.organization.id
  await inScope(orm, { organizationId }, async (em) => {
    const { draft } = await lockDraft(em, member, number, draftId, now)
    if (draft.status === 'accepted') throw new DraftError(notReady(draft), 409)
    if (draft.status === 'discarded') return
    draft.status = 'discarded'
    draft.finishedAt ??= now
    await em.flush()
  })
}

/** What the incident's record says, with ids turned into names: the input of both generators. */
export async function loadDraftSource(em: EntityManager, incident: Incident): Promise<DraftSource> {
  const organizationId = incident.organizationId
  // One query after another: a transaction has one connection.
  const organization = await em.findOneOrFail(OrganizationSchema, { id: organizationId })
  const rows = await em.find(
    IncidentEventSchema,
    { organizationId, incidentId: incident.id },
    { orderBy: { seq: 'asc' } },
  )
  const memberships = await em.find(MembershipSchema, { organizationId })
  const users = memberships.length
    ? await em.find(UserSchema, { id: { $in: memberships.map((m) => m.userId) } })
    : []
  const services = await em.find(ServiceSchema, { organizationId })
  const types = await em.find(IncidentTypeSchema, { organizationId })
  const serviceNames = Object.fromEntries(services.map((s) => [s.id, s.name]))
  const typeNames = Object.fromEntries(types.map((t) => [t.id, t.name]))
  const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null)
  return {
    incident: {
      number: incident.number,
      title: incident.title,
      summary: incident.summary,
      severity: incident.severity,
      impact: incident.impact ?? null,
      urgency: incident.urgency ?? null,
      status: incident.status,
      serviceName: incident.serviceId ? (serviceNames[incident.serviceId] ?? null) : null,
      incidentTypeName: incident.incidentTypeId
        ? (typeNames[incident.incidentTypeId] ?? null)
        : null,
      commanderId: incident.commanderId ?? null,
      impactStartedAt: incident.impactStartedAt.toISOString(),
      declaredAt: incident.declaredAt.toISOString(),
      acknowledgedAt: iso(incident.acknowledgedAt),
      mitigatedAt: iso(incident.mitigatedAt),
      resolvedAt: iso(incident.resolvedAt),
    },
    events: rows.map(toStoredEvent),
    people: Object.fromEntries(users.map((u) => [u.id, u.displayName])),
    timeZone: organization.timezone,
    catalog: { services: serviceNames, incidentTypes: typeNames },
  }
}

export interface DraftRunDeps {
  orm: MikroORM
  logger: Logger
  /** The worker's model endpoint; null when none is configured. */
  llm: LlmSettings | null
  fetch?: typeof fetch
  now?: () => Date
}

/** Which attempt of the job this is; on the last one a failure is final. */
export interface Attempt {
  retryCount: number
  retryLimit: number
}

export type DraftOutcome = 'done' | 'failed' | 'skipped'

/**
 * Makes one draft (the worker's `postmortem-draft` job): queued → running → done with the
 * result, model and prompt version, or failed with a reason people can read. A draft no longer
 * queued or running (done, accepted, discarded) is left alone, so a repeated job changes nothing.
 * A model failure is final at once (the person waiting can ask again); any other error is
 * retried by pg-boss and final on the last attempt.
 */
export async function runDraft(
  deps: DraftRunDeps,
  payload: JobPayload<'postmortem-draft'>,
  attempt: Attempt = { retryCount: 0, retryLimit: 0 },
): Promise<DraftOutcome> {
  const now = deps.now ?? clockNow
  const { draftId, organizationId } = payload
  const scope = { organizationId }

  const claimed = await inScope(deps.orm, scope, async (em) => {
    const draft = await em.findOne(
      PostmortemDraftSchema,
      { id: draftId, organizationId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    )
    if (!draft || (draft.status !== 'queued' && draft.status !== 'running')) return null
    const postmortem = await em.findOneOrFail(PostmortemSchema, {
      id: draft.postmortemId,
      organizationId,
    })
    const incident = await em.findOneOrFail(IncidentSchema, {
      id: postmortem.incidentId,
      organizationId,
    })
    draft.status = 'running'
    draft.startedAt = now()
    draft.error = null
    await em.flush()
    return { mode: draft.mode, source: await loadDraftSource(em, incident) }
  })
  if (!claimed) return 'skipped'

  const started = performance.now()
  try {
    let made: { result: DraftResult; model: string | null; promptVersion: string }
    if (claimed.mode === 'template') {
      made = {
        result: buildTemplateDraft(claimed.source),
        model: null,
        promptVersion: TEMPLATE_VERSION,
      }
    } else {
      if (!deps.llm)
        throw new LlmDraftError(
          'The worker has no model configured (LLM_BASE_URL and LLM_MODEL). Use the template.',
        )
      const draft = await requestLlmDraft(deps.llm, claimed.source, deps.fetch)
      made = { result: draft.result, model: draft.model, promptVersion: PROMPT_VERSION }
    }
    const outcome = await inScope(deps.orm, scope, async (em) => {
      const draft = await em.findOne(
        PostmortemDraftSchema,
        { id: draftId, organizationId },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      )
      // Discarded while it ran, or finished by another attempt.
      if (!draft || draft.status !== 'running') return 'skipped' as const
      draft.status = 'done'
      draft.result = made.result
      draft.model = made.model
      draft.promptVersion = made.promptVersion
      draft.finishedAt = now()
      await em.flush()
      return 'done' as const
    })
    deps.logger.info(
      {
        draftId,
        mode: claimed.mode,
        model: made.model,
        promptVersion: made.promptVersion,
        statements: made.result.statements.length,
        flagged: made.result.statements.filter((s) => s.flagged).length,
        ms: Math.round(performance.now() - started),
        outcome,
      },
      'postmortem draft made',
    )
    return outcome
  } catch (error) {
    const final = error instanceof LlmDraftError || attempt.retryCount >= attempt.retryLimit
    // The reason only: never the prompt (incident content) or the key.
    deps.logger.warn(
      {
        draftId,
        mode: claimed.mode,
        final,
        reason: error instanceof Error ? error.message : String(error),
      },
      'postmortem draft failed',
    )
    if (!final) throw error
    const reason =
      error instanceof LlmDraftError
        ? error.message
        : 'The draft could not be made because of an internal error. Generate a new draft.'
    await inScope(deps.orm, scope, (em) =>
      em.nativeUpdate(
        PostmortemDraftSchema,
        { id: draftId, organizationId, status: { $in: ['queued', 'running'] } },
        {
          status: 'failed',
          error: reason.slice(0, 2000),
          promptVersion: claimed.mode === 'llm' ? PROMPT_VERSION : TEMPLATE_VERSION,
          model: claimed.mode === 'llm' ? (deps.llm?.model ?? null) : null,
          finishedAt: now(),
        },
      ),
    )
    return 'failed'
  }
}
