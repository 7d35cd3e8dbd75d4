import { Form, Link } from '@remix-run/react'
import { DateRangeFields, FilterCheckboxes, FilterSelect } from '~/components/filter-fields'
import { PERIODS, PERIOD_LABELS } from '~/domain/analytics/filters'
import type { AnalyticsFilters } from '~/domain/analytics/types'
import { SEVERITIES } from '~/domain/incident/vocabulary'

type Choice = { id: string; name: string }

/** The dashboard's filters as a GET form, so a filtered view is a link and works without JavaScript. */
export function AnalyticsFilterForm({
  filters: f,
  dates,
  services,
  types,
  members,
}: {
  filters: AnalyticsFilters
  dates: { from: string; to: string }
  services: Choice[]
  types: Choice[]
  members: Choice[]
}) {
  const input = 'mt-1 block w-full rounded-md border-slate-300 text-sm'
  return (
    <Form
      method="get"
      className="rounded-lg border border-slate-200 bg-white p-4"
      aria-label="Filter analytics"
    >
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <div className="space-y-2 text-sm">
          <label className="block">
            <span className="font-medium text-slate-800">Period</span>
            <select name="period" defaultValue={f.period} className={input}>
              {PERIODS.map((p) => (
                <option key={p} value={p}>
                  {PERIOD_LABELS[p]}
                </option>
              ))}
            </select>
          </label>
          <DateRangeFields from={dates.from} to={dates.to} labels={{ from: 'From', to: 'To' }} />
          <p className="text-xs text-slate-500">From and To apply to “Custom dates”.</p>
        </div>
        <FilterCheckboxes
          legend="Severity"
          name="severity"
          options={SEVERITIES.map((s) => ({ value: s, label: s }))}
          checked={f.severities}
          hint="None ticked: every severity."
        />
        <div className="space-y-2 text-sm">
          <FilterSelect
            label="Service"
            name="service"
            value={f.serviceId}
            anyLabel="Any service"
            options={services}
            className={input}
          />
          <FilterSelect
            label="Incident type"
            name="type"
            value={f.incidentTypeId}
            anyLabel="Any type"
            options={types}
            className={input}
          />
        </div>
        <div className="space-y-2 text-sm">
          <FilterSelect
            label="Commander"
            name="commander"
            value={f.commanderId}
            anyLabel="Anyone"
            options={members}
            className={input}
          />
          <label className="block">
            <span className="font-medium text-slate-800">Buckets</span>
            <select name="bucket" defaultValue={f.bucket} className={input}>
              <option value="day">Days</option>
              <option value="week">Weeks</option>
            </select>
          </label>
        </div>
      </div>
      <div className="mt-4 flex flex-wrap gap-2">
        <button
          type="submit"
          className="rounded-md bg-brand-600 px-4 py-2 text-sm font-semibold text-white hover:bg-brand-700"
        >
          Apply
        </button>
        <Link
          to="/analytics"
          className="rounded-md border border-slate-300 px-4 py-2 text-sm hover:bg-slate-50"
        >
          Reset
        </Link>
      </div>
    </Form>
  )
}
