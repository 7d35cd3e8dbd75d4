import type { MikroORM } from '@mikro-orm/postgresql'
import { readScope } from '../../../db/tenant'
import { customFieldDefinitions } from '~/domain/custom-fields/custom-field-definitions.server'
import { isChoiceKind } from '~/domain/custom-fields/custom-field-values'
import { periodWhere } from './analytics.server'
import { durationStats } from './metrics'
import type { AnalyticsFilters, DurationStats } from './types'

/** One option of the field grouped by: incidents that hold it, and their MTTR. */
export interface BreakdownRow {
  /** The option id; null for the incidents without a value. */
  id: string | null
  label: string
  count: number
  mttr: DurationStats
}

export interface CustomFieldBreakdown {
  /** The active choice fields one can group by. */
  choices: Array<{ key: string; label: string }>
  /** The field grouped by, when one was asked for (`groupBy=<key>`). */
  field: { key: string; label: string; multiple: boolean } | null
  rows: BreakdownRow[]
}

/**
 * The period's incidents grouped by the options of one choice field, with count and MTTR per
 * option, under the dashboard's filters and counting rule (only incidents classified `incident`
 * count: declined and duplicates never, merged ones as the incident they were merged into). With
 * a multiple-choice field an incident counts once under each option it holds. Read straight from
 * `incident.custom_fields` in one aggregate, and only when asked for, so the dashboard itself
 * costs what it did.
 */
export async function customFieldBreakdown(
  orm: MikroORM,
  organizationId: string,
  filters: AnalyticsFilters,
  groupBy: string | null,
): Promise<CustomFieldBreakdown> {
  const fields = (await customFieldDefinitions(orm, organizationId)).filter(
    (f) => !f.archivedAt && isChoiceKind(f.kind),
  )
  const choices = fields.map((f) => ({ key: f.key, label: f.label }))
  const field = fields.find((f) => f.key === groupBy)
  if (!field) return { choices, field: null, rows: [] }
  const { where, params } = periodWhere(organizationId, filters)
  const rows = await readScope(orm, { organizationId }, (em) =>
    em.execute<Array<{ option: string | null; n: number; ttr: number[] }>>(
      `select v.option, count(*)::int as n,
              coalesce(array_agg(extract(epoch from i.resolved_at - i.impact_started_at))
                         filter (where i.resolved_at is not null), '{}') as ttr
         from incident i
         cross join lateral (
           select x.option from jsonb_array_elements_text(
             case jsonb_typeof(i.custom_fields -> ?::text)
               when 'array' then i.custom_fields -> ?::text
               when 'string' then jsonb_build_array(i.custom_fields -> ?::text)
               else '[null]'::jsonb end) as x(option)
         ) v
        where ${where} and i.classification = 'incident'
        group by v.option`,
      [field.id, field.id, field.id, ...params],
    ),
  )
  const byOption = new Map(rows.map((r) => [r.option, r]))
  const row = (id: string | null, label: string): BreakdownRow => {
    const found = byOption.get(id)
    return {
      id,
      label,
      count: found?.n ?? 0,
      mttr: durationStats((found?.ttr ?? []).map(Number)),
    }
  }
  return {
    choices,
    field: { key: field.key, label: field.label, multiple: field.kind === 'multi_choice' },
    rows: [
      ...field.options.map((o) => row(o.id, o.retired ? `${o.label} (retired)` : o.label)),
      row(null, 'Not set'),
    ],
  }
}
