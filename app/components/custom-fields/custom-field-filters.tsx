import { FilterCheckboxes, FilterSelect } from '~/components/filter-fields'
import type { IncidentListPageView } from '~/domain/incident/incident-list-page.server'

/**
 * The incident list's custom field part of its GET form: a select per choice or member field
 * (`cf.<key>`), and checkboxes choosing the fields shown as columns (`col`), so the view stays in
 * the URL.
 */
export function CustomFieldFilters({
  customFields,
}: {
  customFields: IncidentListPageView['customFields']
}) {
  if (customFields.columnChoices.length === 0) return null
  return (
    <div className="mt-4 grid gap-4 border-t border-slate-100 pt-4 sm:grid-cols-2 lg:grid-cols-4">
      {customFields.filters.map((f) => (
        <div key={f.key} className="text-sm">
          <FilterSelect
            label={f.label}
            name={`cf.${f.key}`}
            value={f.value}
            anyLabel="Any"
            options={f.options.map((o) => ({ id: o.value, name: o.label }))}
          />
        </div>
      ))}
      <FilterCheckboxes
        legend="Columns"
        name="col"
        hint="Custom fields to show in the table."
        options={customFields.columnChoices.map((c) => ({ value: c.key, label: c.label }))}
        checked={customFields.columnChoices.filter((c) => c.checked).map((c) => c.key)}
      />
    </div>
  )
}
