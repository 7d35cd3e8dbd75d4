import type { EntityManager } from '@mikro-orm/postgresql'
import { customFieldsIn } from './custom-field-definitions.server'
import { isFilterable } from './custom-field-list'

/**
 * The list's WHERE clauses for `cf.<key>=<value>` filters: the incident's values contain the
 * option (or member) asked for. Keys that name no active choice or member field are ignored, as
 * any other unknown parameter is. Containment (`@>`) on the one jsonb column keeps it one test
 * per row on the list's own index walk.
 */
export async function customFieldFilterClauses(
  em: EntityManager,
  organizationId: string,
  wanted: Readonly<Record<string, string>>,
): Promise<{ sql: string[]; params: unknown[] }> {
  const fields = await customFieldsIn(em, organizationId)
  const sql: string[] = []
  const params: unknown[] = []
  for (const [key, value] of Object.entries(wanted)) {
    const field = fields.find((f) => f.key === key)
    if (!field || !isFilterable(field) || !value) continue
    sql.push('i.custom_fields @> ?::jsonb')
    params.push(JSON.stringify({ [field.id]: field.kind === 'multi_choice' ? [value] : value }))
  }
  return { sql, params }
}
