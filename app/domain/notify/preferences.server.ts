import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { DomainError } from '~/domain/domain-error'
import { NotificationPreferenceSchema } from '../../../db/entities/sla'
import { inScope } from '../../../db/tenant'
import { NOTIFICATION_KINDS, type NotificationKind } from './kinds'

/** Whose preferences: a member of the organization, acting for themselves. */
export interface PreferenceOwner {
  user: { id: string }
  organization: { id: string }
}

/** A refused preference change, with words for the member who made it. */
export class PreferenceError extends DomainError {}

const isKind = (value: string): value is NotificationKind =>
  (NOTIFICATION_KINDS as readonly string[]).includes(value)

/** Known kinds only, once each, in the order of NOTIFICATION_KINDS. */
function knownKinds(kinds: readonly string[]): NotificationKind[] {
  return NOTIFICATION_KINDS.filter((kind) => kinds.includes(kind))
}

/** The kinds of e-mail the member turned off in this organization (none until they save). */
export async function getPreferences(
  orm: MikroORM,
  member: PreferenceOwner,
): Promise<{ disabledKinds: NotificationKind[] }> {
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const row = await em.findOne(NotificationPreferenceSchema, {
      organizationId,
      userId: member.user.id,
    })
    return { disabledKinds: knownKinds(row?.disabledKinds ?? []) }
  })
}

/**
 * Stores the kinds the member does not want by e-mail. Anything not in NOTIFICATION_KINDS is
 * refused. `sla.breached` may be turned off, but breaches of incidents the member commands are
 * still sent (see `wantsEmail`).
 */
export async function savePreferences(
  orm: MikroORM,
  member: PreferenceOwner,
  disabledKinds: readonly string[],
): Promise<NotificationKind[]> {
  const unknown = disabledKinds.filter((kind) => !isKind(kind))
  if (unknown.length) throw new PreferenceError('Choose notification kinds from the list.')
  const kinds = knownKinds(disabledKinds)
  const organizationId = member.organization.id
  await inScope(orm, { organizationId }, (em) =>
    em.execute(
      `insert into notification_preference (organization_id, user_id, disabled_kinds)
       values (?, ?, array(select jsonb_array_elements_text(?::jsonb)))
       on conflict (organization_id, user_id)
       do update set disabled_kinds = excluded.disabled_kinds, updated_at = now()`,
      // The list travels as one JSON parameter: the query layer would spread a plain array.
      [organizationId, member.user.id, JSON.stringify(kinds)],
    ),
  )
  return kinds
}

/**
 * Turned-off kinds per user, for the worker deciding who gets an e-mail. `em` is inside a
 * transaction under the organization's scope. Every requested user has an entry (empty when
 * they never saved preferences).
 */
export async function disabledKindsFor(
  em: EntityManager,
  organizationId: string,
  userIds: readonly string[],
): Promise<Map<string, string[]>> {
  const unique = [...new Set(userIds)]
  const map = new Map<string, string[]>(unique.map((id) => [id, []]))
  if (unique.length === 0) return map
  const rows = await em.find(NotificationPreferenceSchema, {
    organizationId,
    userId: { $in: unique },
  })
  for (const row of rows) map.set(row.userId, [...row.disabledKinds])
  return map
}
