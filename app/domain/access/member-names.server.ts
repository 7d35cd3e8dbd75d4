import type { EntityManager } from '@mikro-orm/postgresql'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The display names of the given users, found only through the organization's memberships
 * (former members included, so old reports and action items keep their names). `app_user` has
 * no row-level security — an account may belong to several organizations — so a name is never
 * looked up by user id alone: an id that arrived in a request (a filter, a form) and belongs to
 * someone outside the organization simply has no name here. Ids that are not UUIDs are ignored.
 */
export async function memberNames(
  em: EntityManager,
  organizationId: string,
  ids: ReadonlyArray<string | null | undefined>,
): Promise<Map<string, string>> {
  const wanted = [
    ...new Set(ids.filter((id): id is string => typeof id === 'string' && UUID.test(id))),
  ].map((id) => id.toLowerCase())
  if (wanted.length === 0) return new Map()
  const rows = await em.execute<Array<{ id: string; name: string }>>(
    // Ids travel as one JSON parameter: the query layer would spread a plain array.
    `select u.id, u.display_name as name
       from membership m
       join app_user u on u.id = m.user_id
      where m.organization_id = ?
        and m.user_id = any(array(select jsonb_array_elements_text(?::jsonb)::uuid))`,
    [organizationId, JSON.stringify(wanted)],
  )
  return new Map(rows.map((r) => [r.id, r.name]))
}
