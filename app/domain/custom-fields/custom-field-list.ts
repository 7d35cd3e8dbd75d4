import {
  formatCustomFieldValue,
  type CustomFieldDefinition,
  type CustomFieldKind,
  type CustomFieldValues,
} from './custom-field-values'

/** The kinds the incident list filters by: one value out of a known set. */
const FILTERABLE_KINDS: ReadonlySet<CustomFieldKind> = new Set([
  'single_choice',
  'multi_choice',
  'member',
])

export const isFilterable = (field: Pick<CustomFieldDefinition, 'kind' | 'archivedAt'>) =>
  !field.archivedAt && FILTERABLE_KINDS.has(field.kind)

/**
 * What the incident list offers for custom fields: a filter per active choice or member field,
 * the fields that can be shown as columns, and the cells of the columns asked for (`col=<key>`).
 */
export function customFieldListView(
  fields: readonly CustomFieldDefinition[],
  asked: { cf?: Record<string, string> | undefined; col?: string[] | undefined },
  members: ReadonlyArray<{ id: string; name: string; active: boolean }>,
) {
  const active = fields.filter((f) => !f.archivedAt)
  const name = (id: string) => members.find((m) => m.id === id)?.name ?? null
  const columns = active.filter((f) => (asked.col ?? []).includes(f.key))
  return {
    filters: active.filter(isFilterable).map((f) => ({
      key: f.key,
      label: f.label,
      value: asked.cf?.[f.key] ?? '',
      options:
        f.kind === 'member'
          ? members.filter((m) => m.active).map((m) => ({ value: m.id, label: m.name }))
          : f.options.map((o) => ({
              value: o.id,
              label: o.retired ? `${o.label} (retired)` : o.label,
            })),
    })),
    columnChoices: active.map((f) => ({
      key: f.key,
      label: f.label,
      checked: columns.includes(f),
    })),
    columns: columns.map((f) => ({ key: f.key, label: f.label })),
    cells: (values: CustomFieldValues) =>
      columns.map((f) => formatCustomFieldValue(f, values[f.id], name)),
  }
}
