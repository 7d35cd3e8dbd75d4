import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { MembershipSchema } from '../../../db/entities/access'
import { inScope, readScope } from '../../../db/tenant'
import { now as clockNow } from '~/utils/clock'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { frozenRefusal } from './classification'
import { appendEvents, lockIncident, type NewEvent } from './event-store.server'
import { IncidentError } from './incident-errors'

/**
 * Incident roles besides commander and assignees (decision 038): the built-in Communications lead
 * and Scribe every organization has, and roles its admins add. One member holds a role on an
 * incident at a time; taking and leaving a role are `incident.role_assigned` entries on the chain.
 * Role holders are participants: they see a private incident, receive its e-mails as assignees do
 * and are invited to its Slack channel.
 */

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

export const BUILTIN_ROLE_KEYS = ['communications_lead', 'scribe'] as const
export const ROLE_NAME_MAX = 60

export interface IncidentRole {
  id: string
  key: string
  name: string
  builtin: boolean
  position: number
  archived: boolean
}

interface RoleRow {
  id: string
  key: string
  name: string
  builtin: boolean
  position: number
  archived_at: Date | null
}

const toRole = (r: RoleRow): IncidentRole => ({
  id: r.id,
  key: r.key,
  name: r.name,
  builtin: r.builtin,
  position: r.position,
  archived: r.archived_at !== null,
})

/** The organization's incident roles, inside the caller's transaction. */
export async function listIncidentRolesIn(
  em: EntityManager,
  organizationId: string,
): Promise<IncidentRole[]> {
  const rows = await em.execute<RoleRow[]>(
    `select id, key, name, builtin, position, archived_at from incident_role
      where organization_id = ? order by archived_at is not null, position, name`,
    [organizationId],
  )
  return rows.map(toRole)
}

/** The organization's incident roles: active ones first, in their order. */
export async function listIncidentRoles(orm: MikroORM, organizationId: string) {
  return readScope(orm, { organizationId }, (em) => listIncidentRolesIn(em, organizationId))
}

export interface RoleHolder {
  roleId: string
  roleKey: string
  roleName: string
  archived: boolean
  userId: string
}

/** Who holds which role on one incident, in the roles' order. */
export async function incidentRoleHolders(
  em: EntityManager,
  incidentId: string,
): Promise<RoleHolder[]> {
  const rows = await em.execute<
    Array<{ role_id: string; key: string; name: string; archived_at: Date | null; user_id: string }>
  >(
    `select h.role_id, r.key, r.name, r.archived_at, h.user_id
       from incident_role_holder h
       join incident_role r on r.organization_id = h.organization_id and r.id = h.role_id
      where h.incident_id = ?
      order by r.position, r.name`,
    [incidentId],
  )
  return rows.map((r) => ({
    roleId: r.role_id,
    roleKey: r.key,
    roleName: r.name,
    archived: r.archived_at !== null,
    userId: r.user_id,
  }))
}

/** Role holders of several incidents, as each incident's state names them (role id → user id). */
export async function roleHoldersByIncident(
  em: EntityManager,
  organizationId: string,
  incidentIds: string[],
): Promise<Map<string, Record<string, string>>> {
  const byIncident = new Map<string, Record<string, string>>()
  if (incidentIds.length === 0) return byIncident
  const rows = await em.execute<Array<{ incident_id: string; role_id: string; user_id: string }>>(
    `select incident_id, role_id, user_id from incident_role_holder
      where organization_id = ? and incident_id = any(?::uuid[])`,
    [organizationId, `{${incidentIds.join(',')}}`],
  )
  for (const r of rows) {
    const roles = byIncident.get(r.incident_id) ?? {}
    roles[r.role_id] = r.user_id
    byIncident.set(r.incident_id, roles)
  }
  return byIncident
}

/** Whether `userId` holds the role with this key (e.g. `communications_lead`) on the incident. */
export async function holdsIncidentRole(
  em: EntityManager,
  incidentId: string,
  userId: string,
  roleKey: string,
): Promise<boolean> {
  const [row] = await em.execute<Array<{ held: boolean }>>(
    `select exists (
       select 1 from incident_role_holder h
         join incident_role r on r.organization_id = h.organization_id and r.id = h.role_id
        where h.incident_id = ? and h.user_id = ? and r.key = ?) as held`,
    [incidentId, userId, roleKey],
  )
  return row?.held ?? false
}

export interface AssignRolesInput {
  /** Role id → the member who should hold it, or null for nobody. Roles not named stay as they are. */
  holders: Record<string, string | null>
  version?: number
}

/**
 * Sets who holds each named role on the incident (managers, admins and the incident's commander):
 * one `incident.role_assigned` entry per role that changes. Holders must be active members; an
 * archived role can be left but not given.
 */
export async function assignIncidentRoles(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: AssignRolesInput,
  now = clockNow(),
) {
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const incident = await lockIncident(em, organizationId, number, input.version)
    if (!can(member.role, 'incident.assign') && incident.commanderId !== member.user.id)
      throw new IncidentError(
        null,
        'Only the commander, a manager or an admin can assign incident roles.',
        403,
      )
    if (incident.status === 'closed')
      throw new IncidentError(null, 'A closed incident cannot change.')
    const frozen = frozenRefusal(incident)
    if (frozen) throw new IncidentError(null, frozen)
    const roles = new Map((await listIncidentRolesIn(em, organizationId)).map((r) => [r.id, r]))
    const current = new Map(
      (await incidentRoleHolders(em, incident.id)).map((h) => [h.roleId, h.userId]),
    )
    const wanted = Object.entries(input.holders)
    for (const [roleId] of wanted)
      if (!roles.has(roleId))
        throw new IncidentError(`role-${roleId}`, 'Choose a role from the list.')
    const people = [
      ...new Set(wanted.map(([, userId]) => userId).filter((id): id is string => !!id)),
    ]
    if (people.length) {
      const active = await em.count(MembershipSchema, {
        organizationId,
        userId: { $in: people },
        active: true,
      })
      if (active !== people.length) {
        const field = wanted.find(([, userId]) => userId)?.[0]
        throw new IncidentError(`role-${field}`, 'Choose active members of this organization.')
      }
    }
    const events: NewEvent[] = []
    for (const [roleId, userId] of wanted) {
      const role = roles.get(roleId)!
      const previous = current.get(roleId) ?? null
      if (previous === (userId ?? null)) continue
      if (userId && role.archived)
        throw new IncidentError(`role-${roleId}`, `${role.name} is archived: it cannot be given.`)
      if (previous)
        await em.execute(
          `delete from incident_role_holder
            where organization_id = ? and incident_id = ? and role_id = ?`,
          [organizationId, incident.id, roleId],
        )
      if (userId)
        await em.execute(
          `insert into incident_role_holder (organization_id, incident_id, role_id, user_id, assigned_at)
           values (?, ?, ?, ?, ?)`,
          [organizationId, incident.id, roleId, userId, now],
        )
      events.push({
        incident,
        type: 'incident.role_assigned',
        payload: {
          roleId,
          roleKey: role.key,
          roleName: role.name,
          userId: userId ?? null,
          previousUserId: previous,
        },
        actorId: member.user.id,
        now,
      })
    }
    if (events.length === 0) throw new IncidentError(null, 'Nothing changed.')
    await appendEvents(em, events)
    await em.flush()
    return { changed: events.length }
  })
}

// ---------------------------------------------------------------------------------------------
// The admin's list of roles

function assertManagesRoles(member: Pick<Member, 'role'>) {
  if (!can(member.role, 'settings.manage'))
    throw new IncidentError(null, 'Only admins can change incident roles.', 403)
}

function cleanName(name: string) {
  const trimmed = name.trim().replace(/\s+/g, ' ')
  if (!trimmed) throw new IncidentError('name', 'Enter a name.')
  if (trimmed.length > ROLE_NAME_MAX)
    throw new IncidentError('name', `Use at most ${ROLE_NAME_MAX} characters.`)
  if (trimmed.includes('\u0000'))
    throw new IncidentError(
      'name',
      'This text contains a NUL character, which cannot be stored. Remove it.',
    )
  return trimmed
}

async function assertNameFree(
  em: EntityManager,
  organizationId: string,
  name: string,
  except: string | null,
) {
  const [taken] = await em.execute<Array<{ id: string }>>(
    `select id from incident_role
      where organization_id = ? and lower(name) = lower(?) and archived_at is null
        and id is distinct from ?::uuid`,
    [organizationId, name, except],
  )
  if (taken) throw new IncidentError('name', 'There already is a role with this name.')
}

/** A key for a new role, from its name: lowercase words joined by `_`, unique in the organization. */
export function roleKeyFor(name: string, taken: ReadonlySet<string>): string {
  const base =
    name
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 40) || 'role'
  let key = base
  for (let n = 2; taken.has(key); n++) key = `${base}_${n}`
  return key
}

export async function addIncidentRole(
  orm: MikroORM,
  member: Pick<Member, 'role' | 'organization'>,
  rawName: string,
) {
  assertManagesRoles(member)
  const name = cleanName(rawName)
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    // One admin at a time adds a role: positions and keys stay unique.
    await em.execute(`select pg_advisory_xact_lock(hashtext('incident_role:' || ?))`, [
      organizationId,
    ])
    await assertNameFree(em, organizationId, name, null)
    const existing = await listIncidentRolesIn(em, organizationId)
    const key = roleKeyFor(name, new Set(existing.map((r) => r.key)))
    const position = Math.max(0, ...existing.map((r) => r.position)) + 1
    const [row] = await em.execute<Array<{ id: string }>>(
      `insert into incident_role (organization_id, key, name, builtin, position)
       values (?, ?, ?, false, ?) returning id`,
      [organizationId, key, name, position],
    )
    return { id: row!.id, key }
  })
}

/** Renames a role (built-ins too); its key, and so every rule that names it, stays. */
export async function renameIncidentRole(
  orm: MikroORM,
  member: Pick<Member, 'role' | 'organization'>,
  roleId: string,
  rawName: string,
) {
  assertManagesRoles(member)
  const name = cleanName(rawName)
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    await assertNameFree(em, organizationId, name, roleId)
    const rows = await em.execute<Array<{ id: string }>>(
      `update incident_role set name = ? where organization_id = ? and id = ? returning id`,
      [name, organizationId, roleId],
    )
    if (rows.length === 0) throw new IncidentError(null, 'Role not found', 404)
  })
}

/**
 * Archives a role an admin added, or restores it: an archived role is no longer offered, while
 * incidents that had a holder keep them and their entries. The built-in roles stay (the status
 * page relies on the Communications lead); rename them instead.
 */
export async function setIncidentRoleArchived(
  orm: MikroORM,
  member: Pick<Member, 'role' | 'organization'>,
  roleId: string,
  archived: boolean,
  now = clockNow(),
) {
  assertManagesRoles(member)
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const [role] = await em.execute<Array<{ builtin: boolean; name: string }>>(
      `select builtin, name from incident_role where organization_id = ? and id = ? for update`,
      [organizationId, roleId],
    )
    if (!role) throw new IncidentError(null, 'Role not found', 404)
    if (role.builtin)
      throw new IncidentError(null, 'Built-in roles cannot be archived. Rename it instead.')
    if (!archived) await assertNameFree(em, organizationId, role.name, roleId)
    await em.execute(
      `update incident_role set archived_at = ? where organization_id = ? and id = ?`,
      [archived ? now : null, organizationId, roleId],
    )
  })
}
