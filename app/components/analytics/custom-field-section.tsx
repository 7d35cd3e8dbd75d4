import { Form } from '@remix-run/react'
import type { CustomFieldBreakdown } from '~/domain/analytics/custom-field-breakdown.server'
import { AnalyticsSection } from './analytics-section'
import { DashboardTable } from './dashboard-table'
import { DurationPair, cell, numberCell } from './duration-cells'

/**
 * The period's incidents grouped by a choice field's options: a plain GET form picks the field
 * (`groupBy`, kept with the dashboard's other filters), and a table gives each option's count and
 * MTTR. Shown when the organization has a choice field.
 */
export function CustomFieldSection({
  breakdown,
  query,
}: {
  breakdown: CustomFieldBreakdown
  /** The dashboard's filters as a query string, kept by the form. */
  query: string
}) {
  if (breakdown.choices.length === 0) return null
  const kept = [...new URLSearchParams(query)].filter(([name]) => name !== 'groupBy')
  return (
    <AnalyticsSection
      id="custom-fields"
      title="By custom field"
      definitions={['recurring', 'mttr']}
    >
      <Form
        method="get"
        className="flex flex-wrap items-end gap-3 text-sm"
        aria-label="Group by field"
      >
        {kept.map(([name, value], k) => (
          <input key={`${name}-${k}`} type="hidden" name={name} value={value} />
        ))}
        <label className="block">
          <span className="font-medium text-slate-800">Group by</span>
          <select
            name="groupBy"
            defaultValue={breakdown.field?.key ?? ''}
            className="mt-1 block rounded-md border-slate-300 text-sm"
          >
            <option value="">Choose a field</option>
            {breakdown.choices.map((c) => (
              <option key={c.key} value={c.key}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <button
          type="submit"
          className="rounded-md border border-slate-300 bg-white px-3 py-1.5 hover:bg-slate-50"
        >
          Group
        </button>
      </Form>
      {breakdown.field ? (
        <DashboardTable
          caption={`Incidents by ${breakdown.field.label}${
            breakdown.field.multiple ? ' (an incident counts under each option it holds)' : ''
          }`}
          captionClassName="px-3 py-2 text-left font-medium"
          columns={[breakdown.field.label, 'Incidents', 'Resolved', 'MTTR median', 'MTTR 90th pct']}
        >
          {breakdown.rows.map((r) => (
            <tr key={r.id ?? 'none'}>
              <th scope="row" className={`${cell} text-left font-normal`}>
                {r.label}
              </th>
              <td className={numberCell}>{r.count}</td>
              <td className={numberCell}>{r.mttr.count}</td>
              <DurationPair stats={r.mttr} />
            </tr>
          ))}
        </DashboardTable>
      ) : null}
    </AnalyticsSection>
  )
}
