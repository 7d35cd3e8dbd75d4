import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { MembershipSchema } from '../../../db/entities/access'
import { IncidentSchema, type Incident } from '../../../db/entities/incident'
import { inScope, readScope } from '../../../db/tenant'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { memberDirectory } from '~/domain/reference/reference-data.server'
import { now as clockNow } from '~/utils/clock'
import { appendEvents, lockIncident, type NewEvent } from './event-store.server'
import { IncidentError } from './incident-errors'

/**
 * Private incidents (decision 037): who may see one, who may make an incident private or public
 * again, and who may add and remove its viewers. The database enforces the seeing (row-level
 * security, migration 0020); these commands write the `incident.private` flag, the
 * `incident_viewer` rows and their timeline entries, each in one transaction.
 */

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

export const VISIBILITY_REASON_MAX = 1000

/**
 * Making an incident private or public, and naming its viewers: managers and admins, and the
 * incident's commander whatever their role.
 */
export function canManageVisibility(
  member: Pick<Member, 'user' | 'role'>,
  incident: Pick<Incident, 'commanderId'>,
): boolean {
  return can(member.role, 'incident.assign') || incident.commanderId === member.user.id
}

/** Whether the person sees the private incident without being a viewer (commander or assignee). */
export function isParticipant(
  userId: string,
  incident: Pick<Incident, 'commanderId' | 'assigneeIds'>,
) {
  return incident.commanderId === userId || incident.assigneeIds.includes(userId)
}

/** The incident's viewers, oldest first. */
export async function incidentViewerIds(em: EntityManager, incidentId: string): Promise<string[]> {
  const rows = await em.execute<Array<{ user_id: string }>>(
    `select user_id from incident_viewer where incident_id = ? order by added_at, user_id`,
    [incidentId],
  )
  return rows.map((r) => r.user_id)
}

async function isViewer(em: EntityManager, incidentId: string, userId: string) {
  const rows = await em.execute<Array<{ n: number }>>(
    `select 1 as n from incident_viewer where incident_id = ? and user_id = ?`,
    [incidentId, userId],
  )
  return rows.length > 0
}

async function insertViewer(
  em: EntityManager,
  incident: Pick<Incident, 'id' | 'organizationId'>,
  userId: string,
  addedById: string | null,
  now: Date,
) {
  await em.execute(
    `insert into incident_viewer (organization_id, incident_id, user_id, added_by_id, added_at)
     values (?, ?, ?, ?, ?)`,
    [incident.organizationId, incident.id, userId, addedById, now],
  )
}

/**
 * A private declaration: the declarer keeps sight of the incident they declared (as a viewer
 * when they are not its commander). The incident row was inserted public, so its insert passed
 * the read policy whoever is commander; it turns private here, after the viewer row exists.
 * Returns the entry that records the declarer as viewer, if one is needed.
 */
export async function makeDeclaredPrivate(
  em: EntityManager,
  incident: Incident,
  declaredById: string | null,
  now: Date,
): Promise<Omit<NewEvent, 'incident'> | null> {
  let entry: Omit<NewEvent, 'incident'> | null = null
  if (declaredById && !isParticipant(declaredById, incident)) {
    await insertViewer(em, incident, declaredById, declaredById, now)
    entry = {
      type: 'incident.viewer_added',
      payload: { userId: declaredById },
      actorId: declaredById,
      now,
    } as Omit<NewEvent, 'incident'>
  }
  incident.private = true
  await em.flush()
  return entry
}

export interface VisibilityInput {
  private: boolean
  reason: string
  version?: number
}

/** The incident, locked for a change of who sees it; refused (403) to those who may not make one. */
async function lockForVisibilityChange(
  em: EntityManager,
  member: Actorish,
  number: number,
  version: number | undefined,
) {
  const incident = await lockIncident(em, member.organization.id, number, version)
  if (!canManageVisibility(member, incident))
    throw new IncidentError(
      null,
      'Only the commander, managers and admins can change who sees this incident.',
      403,
    )
  return incident
}

/**
 * Makes the incident private (visible only to its participants and admins) or visible to the
 * whole organization again, with a reason, as a timeline entry. Whoever makes it private keeps
 * seeing it: they become a viewer when they are neither its commander nor an assignee.
 */
export async function setIncidentVisibility(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: VisibilityInput,
  now = clockNow(),
) {
  const reason = input.reason.trim()
  if (!reason) throw new IncidentError('reason', 'Give a reason.')
  if (reason.length > VISIBILITY_REASON_MAX)
    throw new IncidentError('reason', `Keep the reason under ${VISIBILITY_REASON_MAX} characters.`)
  if (reason.includes('\u0000'))
    throw new IncidentError('reason', 'This text contains a NUL character, which cannot be stored.')
  const organizationId = member.organization.id
  // As the member, also outside a web request: a command never acts on what its person cannot see.
  return inScope(orm, { organizationId, actingUserId: member.user.id }, async (em) => {
    const incident = await lockForVisibilityChange(em, member, number, input.version)
    if (incident.private === input.private)
      throw new IncidentError(
        null,
        input.private
          ? 'This incident is already private.'
          : 'This incident is already visible to everyone.',
      )
    const events: NewEvent[] = []
    if (
      input.private &&
      !isParticipant(member.user.id, incident) &&
      !(await isViewer(em, incident.id, member.user.id))
    ) {
      await insertViewer(em, incident, member.user.id, member.user.id, now)
      events.push({
        incident,
        type: 'incident.viewer_added',
        payload: { userId: member.user.id },
        actorId: member.user.id,
        now,
      })
    }
    incident.private = input.private
    events.push({
      incident,
      type: 'incident.visibility_changed',
      payload: { private: input.private, reason },
      actorId: member.user.id,
      now,
    })
    await appendEvents(em, events)
    await em.flush()
    return { private: incident.private, version: incident.version }
  })
}

export interface ViewerInput {
  userId: string
  version?: number
}

/** Gives an active member of the organization sight of the private incident. */
export async function addIncidentViewer(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: ViewerInput,
  now = clockNow(),
) {
  const organizationId = member.organization.id
  return inScope(orm, { organizationId, actingUserId: member.user.id }, async (em) => {
    const incident = await lockForVisibilityChange(em, member, number, input.version)
    if (!incident.private)
      throw new IncidentError(
        'userId',
        'Everyone in the organization sees this incident: viewers are for private incidents.',
      )
    const active = await em.count(MembershipSchema, {
      organizationId,
      userId: input.userId,
      active: true,
    })
    if (!active) throw new IncidentError('userId', 'Choose an active member of this organization.')
    if (await isViewer(em, incident.id, input.userId))
      throw new IncidentError('userId', 'This person is already a viewer.')
    await insertViewer(em, incident, input.userId, member.user.id, now)
    await appendEvents(em, [
      {
        incident,
        type: 'incident.viewer_added',
        payload: { userId: input.userId },
        actorId: member.user.id,
        now,
      },
    ])
    await em.flush()
    return { version: incident.version }
  })
}

/** Takes a viewer's sight of the private incident away (their other roles on it stay). */
export async function removeIncidentViewer(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: ViewerInput,
  now = clockNow(),
) {
  const organizationId = member.organization.id
  return inScope(orm, { organizationId, actingUserId: member.user.id }, async (em) => {
    const incident = await lockForVisibilityChange(em, member, number, input.version)
    const removed = await em.execute<Array<{ user_id: string }>>(
      `delete from incident_viewer where incident_id = ? and user_id = ? returning user_id`,
      [incident.id, input.userId],
    )
    if (removed.length === 0) throw new IncidentError('userId', 'This person is not a viewer.')
    await appendEvents(em, [
      {
        incident,
        type: 'incident.viewer_removed',
        payload: { userId: input.userId },
        actorId: member.user.id,
        now,
      },
    ])
    await em.flush()
    return { version: incident.version }
  })
}

export interface VisibilityView {
  number: number
  title: string
  version: number
  private: boolean
  /** May make it private or public and name its viewers. */
  canManage: boolean
  viewers: Array<{ userId: string; name: string }>
  /** Active members who are not viewers yet, for the picker. */
  candidates: Array<{ userId: string; name: string }>
}

/**
 * Who sees the incident and what the member may change about it, for the incident page and the
 * visibility page. Null when the member cannot see the incident (or it does not exist): the same
 * 404 as another organization's.
 */
export async function incidentVisibilityView(
  orm: MikroORM,
  member: Pick<Member, 'user' | 'role' | 'organization'>,
  number: number,
): Promise<VisibilityView | null> {
  const organizationId = member.organization.id
  const found = await readScope(
    orm,
    { organizationId, actingUserId: member.user.id },
    async (em) => {
      const incident = await em.findOne(IncidentSchema, { organizationId, number })
      if (!incident) return null
      return { incident, viewerIds: await incidentViewerIds(em, incident.id) }
    },
  )
  if (!found) return null
  const directory = await memberDirectory(orm, organizationId)
  return visibilityViewOf(member, found.incident, found.viewerIds, directory)
}

/** The visibility view of an incident already read, with its viewers and the member directory. */
export function visibilityViewOf(
  member: Pick<Member, 'user' | 'role'>,
  incident: Pick<Incident, 'number' | 'title' | 'version' | 'private' | 'commanderId'>,
  viewerIds: readonly string[],
  directory: ReadonlyArray<{ userId: string; displayName: string; active: boolean }>,
): VisibilityView {
  const names = new Map(directory.map((m) => [m.userId, m.displayName]))
  const viewerSet = new Set(viewerIds)
  return {
    number: incident.number,
    title: incident.title,
    version: incident.version,
    private: incident.private,
    canManage: canManageVisibility(member, incident),
    viewers: viewerIds.map((userId) => ({ userId, name: names.get(userId) ?? 'Former member' })),
    candidates: directory
      .filter((m) => m.active && !viewerSet.has(m.userId))
      .map((m) => ({ userId: m.userId, name: m.displayName })),
  }
}

/**
 * Those of `userIds` who may see the incident, decided by the database's own rule
 * (`incidentflow_can_see_incident`, which incident-role holders join in migration 0021), so a
 * notification about a private incident reaches no one the incident's pages would answer 404.
 * Runs inside the caller's transaction: each person's visibility is asked under their acting-user
 * setting, and the caller's settings are put back afterwards.
 */
export async function usersWhoSee(
  em: EntityManager,
  incident: Pick<Incident, 'id' | 'organizationId' | 'private' | 'commanderId' | 'assigneeIds'>,
  userIds: Iterable<string>,
): Promise<Set<string>> {
  const candidates = [...new Set(userIds)]
  if (!incident.private) return new Set(candidates)
  const [saved] = await em.execute<Array<{ acting: string | null; all: string | null }>>(
    `select current_setting('app.acting_user_id', true) as acting,
            current_setting('app.all_incidents', true) as "all"`,
  )
  const seeing = new Set<string>()
  try {
    for (const userId of candidates) {
      await em.execute(
        `select set_config('app.acting_user_id', ?, true), set_config('app.all_incidents', '', true)`,
        [userId],
      )
      const [row] = await em.execute<Array<{ sees: boolean }>>(
        `select incidentflow_can_see_incident(?, ?, true, ?, ?::uuid[]) as sees`,
        [
          incident.organizationId,
          incident.id,
          incident.commanderId ?? null,
          `{${incident.assigneeIds.join(',')}}`,
        ],
      )
      if (row?.sees) seeing.add(userId)
    }
  } finally {
    await em.execute(
      `select set_config('app.acting_user_id', ?, true), set_config('app.all_incidents', ?, true)`,
      [saved?.acting ?? '', saved?.all ?? ''],
    )
  }
  return seeing
}
