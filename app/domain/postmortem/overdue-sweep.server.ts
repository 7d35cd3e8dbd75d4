import { LockMode, type MikroORM } from '@mikro-orm/postgresql'
import { MembershipSchema, UserSchema } from '../../../db/entities/access'
import { IncidentSchema } from '../../../db/entities/incident'
import { OrganizationSchema } from '../../../db/entities/organization'
import { ActionItemSchema } from '../../../db/entities/postmortem'
import { inScope } from '../../../db/tenant'
import { queueEmail } from '~/domain/email/outbox.server'
import { actionItemOverdueEmail } from '~/domain/notify/emails'
import { wantsEmail } from '~/domain/notify/kinds'
import { disabledKindsFor } from '~/domain/notify/preferences.server'
import type { PgBoss } from '~/queue/send.server'
import type { Logger } from '~/utils/logger.server'
import { isOverdue, localDate } from './action-items.server'
import {
  ACTION_ITEM_PRIORITY_LABELS,
  ACTION_ITEM_STATUS_LABELS,
  OPEN_ACTION_ITEM_STATUSES,
  type ActionItemPriority,
  type ActionItemStatus,
} from './vocabulary'
import { usersWhoSee } from '~/domain/incident/visibility.server'

export interface ActionItemSweepDeps {
  orm: MikroORM
  boss: PgBoss
  logger: Logger
  /** Base of the link in the e-mails. */
  appUrl: string
}

export interface ActionItemSweepResult {
  /** Items found overdue whose owner had not been told about this due date. */
  overdue: number
  /** E-mails queued (owners who turned the kind off, or left, are not written to). */
  emails: number
  organizations: number
}

/** How many candidate rows one pass reads; a sweep makes passes until nothing moves. */
const PASS = 2000
/** The latest time zones run this far ahead of UTC: their "today" can be UTC's tomorrow. */
const MAX_ZONE_AHEAD_MS = 14 * 3600_000

/**
 * One overdue sweep at `at`: finds candidate items through the narrow `action_item_due` table
 * (ids and dates only, across organizations; an item whose due date has passed anywhere on
 * earth), then per organization and in one transaction locks them, keeps those overdue in the
 * organization's own time zone, queues one e-mail per item to its owner (unless they turned
 * `action_item.overdue` off) and records `overdue_notified_on`, which drops the item from the
 * narrow table until its due date changes. A retry or an overlapping sweep finds the items
 * already recorded, and the e-mail's idempotency key is the last word on duplicates.
 */
export async function sweepOverdueActionItems(
  deps: ActionItemSweepDeps,
  at: Date,
  maxPasses = 20,
): Promise<ActionItemSweepResult> {
  const result: ActionItemSweepResult = { overdue: 0, emails: 0, organizations: 0 }
  const seen = new Set<string>()
  // Due dates before the latest "today" on earth can be overdue somewhere.
  const latestToday = localDate(new Date(at.getTime() + MAX_ZONE_AHEAD_MS), 'UTC')
  for (let pass = 0; pass < maxPasses; pass += 1) {
    const due = await inScope(deps.orm, {}, (em) =>
      em.execute<Array<{ action_item_id: string; tenant_id: string }>>(
        `select action_item_id, tenant_id from action_item_due
          where due_on < ?::date order by due_on, action_item_id limit ?`,
        [latestToday, PASS],
      ),
    )
    if (due.length === 0) break
    const byOrganization = new Map<string, string[]>()
    for (const row of due) {
      const ids = byOrganization.get(row.tenant_id) ?? []
      ids.push(row.action_item_id)
      byOrganization.set(row.tenant_id, ids)
    }
    let progressed = 0
    for (const [organizationId, ids] of byOrganization) {
      seen.add(organizationId)
      const done = await sweepOrganization(deps, organizationId, ids, at)
      result.overdue += done.overdue
      result.emails += done.emails
      progressed += done.overdue
    }
    // Items not yet overdue in their own zone stay in the table: stop when a pass moved nothing.
    if (due.length < PASS || progressed === 0) break
  }
  result.organizations = seen.size
  if (result.overdue > 0)
    deps.logger.info({ ...result, at: at.toISOString() }, 'action item sweep told owners')
  return result
}

async function sweepOrganization(
  deps: ActionItemSweepDeps,
  organizationId: string,
  ids: string[],
  at: Date,
) {
  return inScope(deps.orm, { organizationId }, async (em) => {
    const organization = await em.findOne(OrganizationSchema, { id: organizationId })
    if (!organization) return { overdue: 0, emails: 0 }
    const today = localDate(at, organization.timezone)
    // The row locks serialise this with people's edits and with an overlapping sweep; the
    // conditions are re-read on the locked rows.
    const items = await em.find(
      ActionItemSchema,
      {
        organizationId,
        id: { $in: ids },
        status: { $in: [...OPEN_ACTION_ITEM_STATUSES] },
        dueOn: { $ne: null, $lt: today },
      },
      { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } },
    )
    const pending = items.filter(
      (item) =>
        isOverdue({ dueOn: item.dueOn, status: item.status }, today) &&
        item.overdueNotifiedOn !== item.dueOn,
    )
    if (pending.length === 0) return { overdue: 0, emails: 0 }

    const ownerIds = [...new Set(pending.flatMap((i) => (i.ownerId ? [i.ownerId] : [])))]
    // One statement at a time: the transaction has one connection (Promise.all would only queue
    // them on it).
    const memberships = ownerIds.length
      ? await em.find(MembershipSchema, { organizationId, userId: { $in: ownerIds }, active: true })
      : []
    const owners = ownerIds.length ? await em.find(UserSchema, { id: { $in: ownerIds } }) : []
    const preferences = await disabledKindsFor(em, organizationId, ownerIds)
    const incidents = await em.find(IncidentSchema, {
      organizationId,
      id: { $in: [...new Set(pending.map((i) => i.incidentId))] },
    })
    const active = new Set(memberships.map((m) => m.userId))
    const ownerById = new Map(owners.map((u) => [u.id, u]))
    const incidentById = new Map(incidents.map((i) => [i.id, i]))
    // The owner of an item on a private incident they may no longer see hears nothing of it.
    const seeing = new Map<string, Set<string>>()
    for (const incident of incidents)
      if (incident.private)
        seeing.set(
          incident.id,
          await usersWhoSee(
            em,
            incident,
            pending.filter((i) => i.incidentId === incident.id && i.ownerId).map((i) => i.ownerId!),
          ),
        )

    let emails = 0
    for (const item of pending) {
      const owner = item.ownerId ? ownerById.get(item.ownerId) : undefined
      const incident = incidentById.get(item.incidentId)
      const wanted =
        owner &&
        incident &&
        active.has(owner.id) &&
        (seeing.get(incident.id)?.has(owner.id) ?? true) &&
        wantsEmail(preferences.get(owner.id) ?? [], 'action_item.overdue', { isCommander: false })
      if (wanted) {
        const email = actionItemOverdueEmail({
          appUrl: deps.appUrl,
          organizationName: organization.name,
          incident: { number: incident.number, title: incident.title },
          item: {
            title: item.title,
            dueOn: item.dueOn!,
            priority: ACTION_ITEM_PRIORITY_LABELS[item.priority as ActionItemPriority],
            status: ACTION_ITEM_STATUS_LABELS[item.status as ActionItemStatus],
          },
        })
        await queueEmail(em, deps.boss, {
          organizationId,
          kind: 'action_item.overdue',
          to: owner.email,
          ...email,
          idempotencyKey: `action-item-overdue:${item.id}:${item.dueOn}:${owner.id}`,
        })
        emails += 1
      }
      // Recorded also when nobody is written to (no owner, a former member, turned off): the
      // owner is told once per due date, and the next sweep does not reconsider the item. Not
      // through the entity, so `updated_at` (the edit forms' version) stays as it was.
      await em.execute(`update action_item set overdue_notified_on = ?::date where id = ?`, [
        item.dueOn,
        item.id,
      ])
    }
    return { overdue: pending.length, emails }
  })
}
