import { Form, Link } from '@remix-run/react'
import { CustomFieldFilters } from '~/components/custom-fields/custom-field-filters'
import { DateRangeFields, FilterCheckboxes, FilterSelect } from '~/components/filter-fields'
import type { IncidentListPageView } from '~/domain/incident/incident-list-page.server'
import { INCIDENT_STATUSES, SEVERITIES, STATUS_LABELS } from '~/domain/incident/vocabulary'

/**
 * The list's filters as a plain GET form: status, severity, service, type, assignee, text, dates,
 * custom choice and member fields, and which custom fields to show as columns.
 */
export function IncidentFilterForm({
  filters,
  services,
  types,
  members,
  customFields,
}: Pick<IncidentListPageView, 'filters' | 'services' | 'types' | 'members'> &
  Partial<Pick<IncidentListPageView, 'customFields'>>) {
  return (
    <Form
      method="get"
      className="rounded-lg border border-slate-200 bg-white p-4"
      aria-label="Filter incidents"
    >
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <FilterCheckboxes
          legend="Status"
          name="status"
          options={INCIDENT_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] }))}
          checked={filters.statuses}
        />
        <FilterCheckboxes
          legend="Severity"
          name="severity"
          options={SEVERITIES.map((s) => ({ value: s, label: s }))}
          checked={filters.severity}
        />
        <div className="space-y-2 text-sm">
          <FilterSelect
            label="Service"
            name="service"
            value={filters.service}
            anyLabel="Any service"
            options={services}
          />
          <FilterSelect
            label="Incident type"
            name="type"
            value={filters.type}
            anyLabel="Any type"
            options={types}
          />
          <label className="block">
            <span className="font-medium text-slate-800">Assignee</span>
            <select
              name="assignee"
              defaultValue={filters.assignee ?? ''}
              className="mt-1 block w-full rounded-md border-slate-300 text-sm"
            >
              <option value="">Anyone</option>
              <option value="me">Me</option>
              {members.map((m) => (
                <option key={m.id} value={m.id}>
                  {m.name}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="space-y-2 text-sm">
          <label className="block">
            <span className="font-medium text-slate-800">Search</span>
            <input
              type="search"
              name="q"
              defaultValue={filters.q ?? ''}
              placeholder="Title or INC number"
              className="mt-1 block w-full rounded-md border-slate-300 text-sm"
            />
          </label>
          <DateRangeFields
            from={filters.from}
            to={filters.to}
            labels={{ from: 'Declared from', to: 'Declared to' }}
          />
        </div>
      </div>
      {customFields ? <CustomFieldFilters customFields={customFields} /> : null}
      <div className="mt-4 flex flex-wrap gap-2">
        <button
          type="submit"
          className="rounded-md bg-brand-600 px-4 py-2 text-sm font-semibold text-white hover:bg-brand-700"
        >
          Filter
        </button>
        <Link
          to="/incidents"
          className="rounded-md border border-slate-300 px-4 py-2 text-sm hover:bg-slate-50"
        >
          Reset
        </Link>
        <Link
          to="/incidents?status=all"
          className="rounded-md border border-slate-300 px-4 py-2 text-sm hover:bg-slate-50"
        >
          All incidents
        </Link>
      </div>
    </Form>
  )
}
