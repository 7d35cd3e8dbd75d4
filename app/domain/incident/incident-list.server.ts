import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import * as z from 'zod'
import { readScope } from '../../../db/tenant'
import { customFieldFilterClauses } from '~/domain/custom-fields/custom-field-filters.server'
import type { CustomFieldValues } from '~/domain/custom-fields/custom-field-values'
import type { SlaTimes } from '~/domain/sla/clock'
import type { SeverityTargets, SlaTargets } from '~/domain/sla/policy'
import type { Classification } from './events'
import { OPEN_STATUSES } from './lifecycle'
import { INCIDENT_STATUSES, SEVERITIES, type IncidentStatus, type Severity } from './vocabulary'

const list = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) => (v === undefined || v === '' ? [] : Array.isArray(v) ? v : [v]),
    z.array(item),
  )

/** The list's filters, all GET parameters so a filtered view is a shareable URL. */
export const incidentFilterSchema = z.object({
  status: list(z.enum([...INCIDENT_STATUSES, 'open', 'all'])).default([]),
  severity: list(z.enum(SEVERITIES)).default([]),
  service: z.uuid().optional().catch(undefined),
  type: z.uuid().optional().catch(undefined),
  assignee: z
    .union([z.uuid(), z.literal('me')])
    .optional()
    .catch(undefined),
  q: z.string().trim().max(200).optional().catch(undefined),
  from: z.iso.date().optional().catch(undefined),
  to: z.iso.date().optional().catch(undefined),
  /** Only private (`true`) or only public (`false`) incidents. */
  private: z.enum(['true', 'false']).optional().catch(undefined),
  /** Custom field filters, `cf.<key>=<option id or user id>`. */
  cf: z.record(z.string().max(40), z.string().max(100)).optional().catch(undefined),
  /** Custom fields shown as columns, by key. */
  col: list(z.string().max(40)).optional().catch(undefined),
  after: z.string().max(200).optional().catch(undefined),
})
export type IncidentFilters = z.infer<typeof incidentFilterSchema>

export function parseIncidentFilters(searchParams: URLSearchParams): IncidentFilters {
  const raw: Record<string, unknown> = {}
  const cf: Record<string, string> = {}
  for (const key of new Set(searchParams.keys())) {
    const values = searchParams.getAll(key).filter((v) => v !== '')
    if (!values.length) continue
    if (key.startsWith('cf.')) cf[key.slice(3)] = values[0]!
    else raw[key] = ['status', 'severity', 'col'].includes(key) ? values : values[0]!
  }
  if (Object.keys(cf).length) raw.cf = cf
  const parsed = incidentFilterSchema.safeParse(raw)
  return parsed.success ? parsed.data : incidentFilterSchema.parse({})
}

/** Statuses the filter selects: none chosen means the open ones. */
export function selectedStatuses(filters: IncidentFilters): IncidentStatus[] {
  if (filters.status.includes('all')) return [...INCIDENT_STATUSES]
  const explicit = filters.status.filter((s): s is IncidentStatus => s !== 'open' && s !== 'all')
  const open = filters.status.length === 0 || filters.status.includes('open') ? OPEN_STATUSES : []
  return [...new Set([...open, ...explicit])]
}

interface Cursor {
  severity: Severity
  declaredAt: string
  id: string
}

export function encodeCursor(cursor: Cursor) {
  return Buffer.from(JSON.stringify([cursor.severity, cursor.declaredAt, cursor.id])).toString(
    'base64url',
  )
}

function decodeCursor(value: string | undefined): Cursor | null {
  if (!value) return null
  try {
    const [severity, declaredAt, id] = JSON.parse(
      Buffer.from(value, 'base64url').toString('utf8'),
    ) as string[]
    const parsed = z
      .object({ severity: z.enum(SEVERITIES), declaredAt: z.iso.datetime(), id: z.uuid() })
      .safeParse({ severity, declaredAt, id })
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

export interface IncidentListRow {
  id: string
  number: number
  title: string
  severity: Severity
  status: IncidentStatus
  serviceName: string | null
  typeName: string | null
  commanderName: string | null
  assigneeCount: number
  /** Custom field values by field id. */
  customFields: CustomFieldValues
  /** Private (decision 037): listed only to those who may see it. */
  private: boolean
  /** Reclassified incidents (decision 038) are listed with their classification. */
  classification: Classification
  declaredAt: string
  impactStartedAt: string
  /** What the SLA clock needs: the targets of the incident's policy version and severity. */
  sla: { targets: SeverityTargets; times: SlaTimes } | null
}

export const PAGE_SIZE = 25

/**
 * One page of incidents, most severe first, then newest: keyset pagination on
 * (severity, declared_at desc, id), so deep pages cost the same as the first.
 */
export async function listIncidents(
  orm: MikroORM,
  organizationId: string,
  viewerId: string,
  filters: IncidentFilters,
  pageSize = PAGE_SIZE,
): Promise<{ rows: IncidentListRow[]; next: string | null }> {
  const where: string[] = ['i.organization_id = ?']
  const params: unknown[] = [organizationId]
  const statuses = selectedStatuses(filters)
  where.push(`i.status in (${statuses.map(() => '?').join(', ')})`)
  params.push(...statuses)
  // "Open" means open incidents: a reclassified one (declined, duplicate, merged) is listed
  // only under a status chosen by name.
  if (
    !filters.status.includes('all') &&
    (filters.status.length === 0 || filters.status.includes('open'))
  ) {
    const named = filters.status.filter((s) => s !== 'open')
    where.push(
      named.length
        ? `(i.classification = 'incident' or i.status in (${named.map(() => '?').join(', ')}))`
        : `i.classification = 'incident'`,
    )
    params.push(...named)
  }
  if (filters.severity.length) {
    where.push(`i.severity in (${filters.severity.map(() => '?').join(', ')})`)
    params.push(...filters.severity)
  }
  if (filters.service) {
    where.push('i.service_id = ?')
    params.push(filters.service)
  }
  if (filters.type) {
    where.push('i.incident_type_id = ?')
    params.push(filters.type)
  }
  if (filters.assignee) {
    const who = filters.assignee === 'me' ? viewerId : filters.assignee
    where.push('(i.assignee_ids @> array[?]::uuid[] or i.commander_id = ?)')
    params.push(who, who)
  }
  if (filters.private) {
    where.push('i.private = ?')
    params.push(filters.private === 'true')
  }
  if (filters.from) {
    where.push('i.declared_at >= ?::date')
    params.push(filters.from)
  }
  if (filters.to) {
    where.push(`i.declared_at < (?::date + interval '1 day')`)
    params.push(filters.to)
  }
  const cursor = decodeCursor(filters.after)
  if (cursor) {
    where.push(
      '(i.severity > ? or (i.severity = ? and (i.declared_at < ? or (i.declared_at = ? and i.id > ?))))',
    )
    params.push(cursor.severity, cursor.severity, cursor.declaredAt, cursor.declaredAt, cursor.id)
  }
  const search = titleSearch(filters.q)
  return readScope(orm, { organizationId }, async (em) => {
    const matched = search ? await searchClause(em, search) : null
    if (matched === 'none') return { rows: [], next: null }
    if (matched) {
      where.push(matched.sql)
      params.push(...matched.params)
    }
    if (filters.cf) {
      const custom = await customFieldFilterClauses(em, organizationId, filters.cf)
      where.push(...custom.sql)
      params.push(...custom.params)
    }
    params.push(pageSize + 1)
    const rows = await em.execute<
      Array<{
        id: string
        number: number
        title: string
        severity: Severity
        status: IncidentStatus
        service_name: string | null
        type_name: string | null
        commander_name: string | null
        assignee_count: number
        declared_at: Date
        impact_started_at: Date
        acknowledged_at: Date | null
        mitigated_at: Date | null
        resolved_at: Date | null
        sla_targets: SlaTargets | null
        private: boolean
        classification: Classification
        custom_fields: CustomFieldValues | null
      }>
    >(
      `select i.id, i.number, i.title, i.severity, i.status, s.name as service_name, t.name as type_name,
              u.display_name as commander_name, cardinality(i.assignee_ids) as assignee_count,
              i.private, i.classification, i.custom_fields, i.declared_at, i.impact_started_at, i.acknowledged_at, i.mitigated_at, i.resolved_at,
              p.targets as sla_targets
         from incident i
         left join sla_policy p on p.id = i.sla_policy_id
         left join service s on s.id = i.service_id
         left join incident_type t on t.id = i.incident_type_id
         left join app_user u on u.id = i.commander_id
        where ${where.join(' and ')}
        order by i.severity asc, i.declared_at desc, i.id asc
        limit ?`,
      params,
    )
    const page = rows.slice(0, pageSize).map((r) => ({
      id: r.id,
      number: r.number,
      title: r.title,
      severity: r.severity,
      status: r.status,
      serviceName: r.service_name,
      typeName: r.type_name,
      commanderName: r.commander_name,
      assigneeCount: Number(r.assignee_count),
      private: Boolean(r.private),
      classification: r.classification,
      customFields: r.custom_fields ?? {},
      declaredAt: new Date(r.declared_at).toISOString(),
      impactStartedAt: new Date(r.impact_started_at).toISOString(),
      sla: r.sla_targets
        ? {
            targets: r.sla_targets[r.severity],
            times: {
              impactStartedAt: new Date(r.impact_started_at),
              acknowledgedAt: r.acknowledged_at ? new Date(r.acknowledged_at) : null,
              mitigatedAt: r.mitigated_at ? new Date(r.mitigated_at) : null,
              resolvedAt: r.resolved_at ? new Date(r.resolved_at) : null,
            },
          }
        : null,
    }))
    const last = page[page.length - 1]
    const next =
      rows.length > pageSize && last
        ? encodeCursor({ severity: last.severity, declaredAt: last.declaredAt, id: last.id })
        : null
    return { rows: page, next }
  })
}

function escapeLike(text: string) {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`)
}

/**
 * The most ids the title index hands back for one search. Fewer matches than this: the page is
 * read by id (the primary key) and sorted — at most this many rows. More: the term is common
 * enough that walking the list's own index in order reaches a page of matches quickly
 * (measured at 1M incidents, docs/decisions/019-incident-title-search.md).
 */
export const TITLE_SEARCH_CAP = 5000

interface TitleSearch {
  /** `%term%`, lower-cased, with LIKE's wildcards escaped: a case-insensitive substring. */
  pattern: string
  /** "INC-12", "inc-12" or "12" also finds incident 12. */
  number: number | null
}

function titleSearch(q: string | undefined): TitleSearch | null {
  if (!q) return null
  const number = /^(?:inc-)?(\d{1,9})$/i.exec(q)?.[1]
  return {
    pattern: `%${escapeLike(q.toLowerCase())}%`,
    number: number ? Number(number) : null,
  }
}

/**
 * The search's WHERE clause, or 'none' when nothing can match.
 *
 * `lower(title) like ?` cannot use an index on `incident` itself under row-level security (LIKE
 * is not leakproof), so `incidentflow_title_search` (migration 0009) looks the pattern up in the
 * trigram index of the titles' copy and returns this organization's matching ids — or NULL when
 * there are more than TITLE_SEARCH_CAP of them. The page itself is still read from `incident`
 * under its policy, with every other filter and the keyset cursor.
 */
async function searchClause(
  em: EntityManager,
  search: TitleSearch,
): Promise<{ sql: string; params: unknown[] } | 'none'> {
  const [found] = await em.execute<Array<{ ids: string[] | null }>>(
    'select incidentflow_title_search(?, ?) as ids',
    [search.pattern, TITLE_SEARCH_CAP],
  )
  const ids = found?.ids ?? null
  if (ids) {
    if (ids.length === 0 && search.number === null) return 'none'
    // One array literal (`em.execute` would spread a JS array into a list of values).
    const list = `{${ids.join(',')}}`
    return search.number === null
      ? { sql: 'i.id = any(?::uuid[])', params: [list] }
      : { sql: '(i.id = any(?::uuid[]) or i.number = ?)', params: [list, search.number] }
  }
  // A common term: walk the list in order and test each title, stopping at the page. Under
  // row-level security the planner uses no statistics for LIKE (it is not leakproof) and guesses
  // that almost nothing matches, so it would sort every candidate instead; wrapped in coalesce
  // the test is opaque to it and gets the default estimate of half the rows, which is what a
  // term with this many matches deserves.
  return search.number === null
    ? { sql: 'coalesce(lower(i.title) like ?, false)', params: [search.pattern] }
    : {
        sql: 'coalesce(i.number = ? or lower(i.title) like ?, false)',
        params: [search.number, search.pattern],
      }
}
