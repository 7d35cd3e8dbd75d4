import { LockMode, type EntityManager, type MikroORM } from '@mikro-orm/postgresql'
import { FieldRefusal } from '~/domain/domain-error'
import { MembershipSchema } from '../../../db/entities/access'
import { IncidentSchema } from '../../../db/entities/incident'
import { OrganizationSchema } from '../../../db/entities/organization'
import { ActionItemSchema, type ActionItem } from '../../../db/entities/postmortem'
import { inScope } from '../../../db/tenant'
import { memberName } from '~/domain/access/person-name'
import { now as clockNow } from '~/utils/clock'
import { dateTimeFormat } from '~/utils/time'
import type { Member } from '~/domain/access/guard.server'
import { memberNames } from '~/domain/access/member-names.server'
import { IncidentError } from '~/domain/incident/incident-errors'
import { canEditPostmortem, lockPostmortem } from './postmortem.server'
import {
  ACTION_ITEM_PRIORITIES,
  ACTION_ITEM_STATUSES,
  OPEN_ACTION_ITEM_STATUSES,
  type ActionItemPriority,
  type ActionItemStatus,
} from './vocabulary'

/**
 * Postmortem action items: what the team promised to do after an incident, who owns it and by
 * when. People who may edit the postmortem add and change items; an item's owner may also move
 * its status. Items are never deleted: one that will not happen is marked "Won't do", so the
 * postmortem keeps the record of what was decided.
 *
 * An item is overdue from the day after its due date in the organization's time zone while it is
 * open or in progress.
 */

type Actor = Pick<Member, 'user' | 'role' | 'organization'>

export const ACTION_ITEM_TITLE_MAX = 300

export type ActionItemField = 'title' | 'owner' | 'dueOn' | 'priority' | 'status'

/** A refused change, with words for the person who asked. */
export class ActionItemError extends FieldRefusal<ActionItemField> {}

export const STALE_ACTION_ITEM_MESSAGE =
  'This action item changed since you opened it. Review its current values, then save again.'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

// ---------------------------------------------------------------------------------------------
// Dates (pure)
// ---------------------------------------------------------------------------------------------

/** The calendar date (YYYY-MM-DD) of `instant` in `timeZone`; UTC for an unknown zone. */
export function localDate(instant: Date, timeZone: string): string {
  const format = (zone: string) =>
    dateTimeFormat('en-CA', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(instant)
  try {
    return format(timeZone)
  } catch {
    return format('UTC')
  }
}

/** `date` (YYYY-MM-DD) moved by `days` calendar days. */
export function addDays(date: string, days: number): string {
  const at = new Date(`${date}T00:00:00Z`)
  at.setUTCDate(at.getUTCDate() + days)
  return at.toISOString().slice(0, 10)
}

/** A real calendar date between 2000 and 2100 as YYYY-MM-DD, or null. */
export function parseCalendarDate(value: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim())
  if (!match) return null
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  if (year < 2000 || year > 2100) return null
  const at = new Date(Date.UTC(year, month - 1, day))
  if (at.getUTCFullYear() !== year || at.getUTCMonth() !== month - 1 || at.getUTCDate() !== day)
    return null
  return match[0]
}

export function isOpenStatus(status: ActionItemStatus) {
  return OPEN_ACTION_ITEM_STATUSES.includes(status)
}

/** Overdue: still open or in progress, and its due date is before `today` (the org's date). */
export function isOverdue(
  item: { dueOn: string | null | undefined; status: ActionItemStatus },
  today: string,
): boolean {
  return isOpenStatus(item.status) && item.dueOn != null && item.dueOn < today
}

/** Overdue first, then by due date (none last), then by title. */
export function compareByUrgency(
  a: { overdue: boolean; dueOn: string | null; title: string },
  b: { overdue: boolean; dueOn: string | null; title: string },
): number {
  if (a.overdue !== b.overdue) return a.overdue ? -1 : 1
  if (a.dueOn !== b.dueOn) {
    if (a.dueOn === null) return 1
    if (b.dueOn === null) return -1
    return a.dueOn < b.dueOn ? -1 : 1
  }
  return a.title.localeCompare(b.title)
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

export interface ActionItemView {
  id: string
  postmortemId: string
  incidentNumber: number
  title: string
  ownerId: string | null
  /** The owner's name; null when nobody owns the item (or the owner's account was removed). */
  ownerName: string | null
  dueOn: string | null
  priority: ActionItemPriority
  status: ActionItemStatus
  overdue: boolean
  completedAt: string | null
  createdAt: string
  /** What an edit form carries back, so a change made meanwhile is noticed. */
  version: string
}

async function organizationZone(em: EntityManager, organizationId: string) {
  const organization = await em.findOne(OrganizationSchema, { id: organizationId })
  return organization?.timezone ?? 'UTC'
}

function toView(
  item: ActionItem,
  incidentNumber: number,
  names: Map<string, string>,
  today: string,
): ActionItemView {
  return {
    id: item.id,
    postmortemId: item.postmortemId,
    incidentNumber,
    title: item.title,
    ownerId: item.ownerId ?? null,
    ownerName: item.ownerId ? (names.get(item.ownerId) ?? null) : null,
    dueOn: item.dueOn ?? null,
    priority: item.priority,
    status: item.status,
    overdue: isOverdue({ dueOn: item.dueOn, status: item.status }, today),
    completedAt: item.completedAt ? item.completedAt.toISOString() : null,
    createdAt: item.createdAt.toISOString(),
    version: item.updatedAt.toISOString(),
  }
}

/** The postmortem's action items in the order they were added, with owner names and `overdue`. */
export async function listActionItems(
  orm: MikroORM,
  organizationId: string,
  postmortemId: string,
  now: Date = clockNow(),
): Promise<ActionItemView[]> {
  if (!UUID.test(postmortemId)) return []
  return inScope(orm, { organizationId }, async (em) => {
    const items = await em.find(
      ActionItemSchema,
      { organizationId, postmortemId },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    )
    if (items.length === 0) return []
    const incident = await em.findOne(IncidentSchema, {
      organizationId,
      id: items[0]!.incidentId,
    })
    const today = localDate(now, await organizationZone(em, organizationId))
    const names = await memberNames(
      em,
      organizationId,
      items.map((i) => i.ownerId),
    )
    return items.map((item) => toView(item, incident?.number ?? 0, names, today))
  })
}

export interface MyActionItem extends ActionItemView {
  incidentTitle: string
}

/** The member's open and in-progress items in their organization: overdue first, then by due date. */
export async function listMyActionItems(
  orm: MikroORM,
  member: Actor,
  now: Date = clockNow(),
  limit = 50,
): Promise<MyActionItem[]> {
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const items = await em.find(
      ActionItemSchema,
      { organizationId, ownerId: member.user.id, status: { $in: [...OPEN_ACTION_ITEM_STATUSES] } },
      { orderBy: { dueOn: 'asc', createdAt: 'asc' }, limit: 500 },
    )
    if (items.length === 0) return []
    const incidents = await em.find(IncidentSchema, {
      organizationId,
      id: { $in: [...new Set(items.map((i) => i.incidentId))] },
    })
    const byId = new Map(incidents.map((i) => [i.id, i]))
    const today = localDate(now, await organizationZone(em, organizationId))
    const names = new Map([[member.user.id, member.user.displayName]])
    return items
      .map((item) => {
        const incident = byId.get(item.incidentId)
        return {
          ...toView(item, incident?.number ?? 0, names, today),
          incidentTitle: incident?.title ?? '',
        }
      })
      .sort(compareByUrgency)
      .slice(0, limit)
  })
}

export interface ActionItemCounts {
  open: number
  overdue: number
  /** Per owner (null: nobody), most open first. */
  owners: Array<{ userId: string | null; name: string; open: number; overdue: number }>
}

/** Open (open or in progress) and overdue action items of the organization, in all and per owner. */
export async function countActionItems(
  orm: MikroORM,
  organizationId: string,
  now: Date = clockNow(),
): Promise<ActionItemCounts> {
  return inScope(orm, { organizationId }, async (em) => {
    const today = localDate(now, await organizationZone(em, organizationId))
    const rows = await em.execute<
      Array<{ owner_id: string | null; name: string | null; open: number; overdue: number }>
    >(
      `select a.owner_id, u.display_name as name, count(*)::int as open,
              count(*) filter (where a.due_on < ?::date)::int as overdue
         from action_item a
         left join membership m on m.organization_id = a.organization_id and m.user_id = a.owner_id
         left join app_user u on u.id = m.user_id
        where a.organization_id = ? and a.status in ('open', 'in_progress')
        group by a.owner_id, u.display_name`,
      [today, organizationId],
    )
    const owners = rows
      .map((r) => ({
        userId: r.owner_id,
        name: r.owner_id ? memberName(r.name) : 'No owner',
        open: r.open,
        overdue: r.overdue,
      }))
      .sort((a, b) => b.open - a.open || b.overdue - a.overdue || a.name.localeCompare(b.name))
    return {
      open: owners.reduce((sum, o) => sum + o.open, 0),
      overdue: owners.reduce((sum, o) => sum + o.overdue, 0),
      owners,
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

export interface ActionItemInput {
  title: string
  ownerId: string
  /** YYYY-MM-DD. */
  dueOn: string
  priority: ActionItemPriority
}

export interface ActionItemChange extends Partial<ActionItemInput> {
  status: ActionItemStatus
  /** The `version` the form was rendered from. */
  version: string
}

function checkTitle(title: string): string {
  const trimmed = title.trim()
  if (!trimmed) throw new ActionItemError('title', 'Enter a title.')
  if (trimmed.length > ACTION_ITEM_TITLE_MAX)
    throw new ActionItemError('title', `Use at most ${ACTION_ITEM_TITLE_MAX} characters.`)
  // PostgreSQL text cannot hold U+0000, which a form post can carry.
  if (trimmed.includes('\u0000'))
    throw new ActionItemError('title', 'This text contains a NUL character. Remove it.')
  return trimmed
}

/** A valid due date, today or later in the organization's zone. */
function checkDueOn(value: string, today: string): string {
  const date = parseCalendarDate(value)
  if (!date) throw new ActionItemError('dueOn', 'Enter a date as YYYY-MM-DD.')
  if (date < today) throw new ActionItemError('dueOn', 'Choose today or a later date.')
  return date
}

function checkPriority(value: string): ActionItemPriority {
  if (!(ACTION_ITEM_PRIORITIES as readonly string[]).includes(value))
    throw new ActionItemError('priority', 'Choose a priority from the list.')
  return value as ActionItemPriority
}

function checkStatus(value: string): ActionItemStatus {
  if (!(ACTION_ITEM_STATUSES as readonly string[]).includes(value))
    throw new ActionItemError('status', 'Choose a status from the list.')
  return value as ActionItemStatus
}

async function requireActiveMember(em: EntityManager, organizationId: string, userId: string) {
  const membership = UUID.test(userId)
    ? await em.findOne(MembershipSchema, { organizationId, userId, active: true })
    : null
  if (!membership)
    throw new ActionItemError('owner', 'Choose an owner from the active members of your team.')
}

/** The incident, its postmortem locked, and whether the actor may edit it; 404 otherwise. */
async function lockForChange(em: EntityManager, member: Actor, incidentNumber: number, now: Date) {
  try {
    const locked = await lockPostmortem(
      em,
      member.organization.id,
      incidentNumber,
      member.user.id,
      now,
    )
    return { ...locked, editor: canEditPostmortem(member, locked.incident) }
  } catch (error) {
    if (error instanceof IncidentError && error.status === 404)
      throw new ActionItemError(null, 'Postmortem not found.', 404)
    throw error
  }
}

/** Adds an action item to the incident's postmortem; editors of the postmortem only. */
export async function createActionItem(
  orm: MikroORM,
  member: Actor,
  incidentNumber: number,
  input: ActionItemInput,
  now: Date = clockNow(),
): Promise<ActionItemView> {
  const organizationId = member.organization.id
  const today = localDate(now, member.organization.timezone)
  const title = checkTitle(input.title)
  const dueOn = checkDueOn(input.dueOn, today)
  const priority = checkPriority(input.priority)
  return inScope(orm, { organizationId }, async (em) => {
    const { incident, postmortem, editor } = await lockForChange(em, member, incidentNumber, now)
    if (!editor)
      throw new ActionItemError(null, 'Your role does not allow editing this postmortem.', 403)
    await requireActiveMember(em, organizationId, input.ownerId)
    const item = em.create(ActionItemSchema, {
      organizationId,
      postmortemId: postmortem.id,
      incidentId: incident.id,
      title,
      ownerId: input.ownerId,
      dueOn,
      priority,
      status: 'open',
      createdBy: member.user.id,
      completedAt: null,
      overdueNotifiedOn: null,
    })
    await em.flush()
    const names = await memberNames(em, organizationId, [item.ownerId])
    return toView(item, incident.number, names, today)
  })
}

/**
 * Changes an item. Editors of the postmortem may change everything; the item's owner may change
 * its status only. A form rendered from an older version changes nothing (409). Moving to Done
 * records when; moving away from Done clears it.
 */
export async function updateActionItem(
  orm: MikroORM,
  member: Actor,
  incidentNumber: number,
  itemId: string,
  change: ActionItemChange,
  now: Date = clockNow(),
): Promise<ActionItemView> {
  const organizationId = member.organization.id
  const today = localDate(now, member.organization.timezone)
  const status = checkStatus(change.status)
  return inScope(orm, { organizationId }, async (em) => {
    const { incident, postmortem, editor } = await lockForChange(em, member, incidentNumber, now)
    const item = UUID.test(itemId)
      ? await em.findOne(
          ActionItemSchema,
          { id: itemId, organizationId, postmortemId: postmortem.id },
          { lockMode: LockMode.PESSIMISTIC_WRITE },
        )
      : null
    if (!item) throw new ActionItemError(null, 'Action item not found.', 404)
    const isOwner = item.ownerId === member.user.id
    if (!editor && !isOwner)
      throw new ActionItemError(null, 'Your role does not allow changing this action item.', 403)
    if (item.updatedAt.toISOString() !== change.version)
      throw new ActionItemError(null, STALE_ACTION_ITEM_MESSAGE, 409)

    const next = {
      title: change.title === undefined ? item.title : checkTitle(change.title),
      ownerId: change.ownerId === undefined ? (item.ownerId ?? null) : change.ownerId,
      dueOn:
        change.dueOn === undefined || change.dueOn === item.dueOn
          ? (item.dueOn ?? null)
          : checkDueOn(change.dueOn, today),
      priority: change.priority === undefined ? item.priority : checkPriority(change.priority),
    }
    const changesMoreThanStatus =
      next.title !== item.title ||
      next.ownerId !== (item.ownerId ?? null) ||
      next.dueOn !== (item.dueOn ?? null) ||
      next.priority !== item.priority
    if (changesMoreThanStatus && !editor)
      throw new ActionItemError(
        null,
        'As its owner you may change the status of this item; ask an editor of the postmortem for other changes.',
        403,
      )
    if (next.ownerId !== (item.ownerId ?? null)) {
      if (!next.ownerId)
        throw new ActionItemError('owner', 'Choose an owner from the active members of your team.')
      await requireActiveMember(em, organizationId, next.ownerId)
    }

    if (status === 'done' && item.status !== 'done') item.completedAt = now
    if (status !== 'done') item.completedAt = null
    // A new owner has not been told yet that the item is overdue.
    if (next.ownerId !== (item.ownerId ?? null)) item.overdueNotifiedOn = null
    item.status = status
    item.title = next.title
    item.ownerId = next.ownerId
    item.dueOn = next.dueOn
    item.priority = next.priority
    await em.flush()
    const names = await memberNames(em, organizationId, [item.ownerId])
    return toView(item, incident.number, names, today)
  })
}
