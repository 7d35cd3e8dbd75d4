import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { IncidentFilterForm } from '~/components/incident/incident-filter-form'
import { incidentRowsHtml } from '~/components/incident/incident-rows.server'
import { INCIDENT_ROWS_ID, IncidentTable } from '~/components/incident/incident-table'
import { LiveIncidentList } from '~/components/live/live-incident'
import { requireMember } from '~/domain/access/guard.server'
import { incidentListPageView } from '~/domain/incident/incident-list-page.server'
import { now as clockNow } from '~/utils/clock'
import { markupForPage } from '~/utils/document-markup.server'

export const meta: MetaFunction = () => [{ title: 'Incidents · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const { rows, ...page } = await incidentListPageView(
    context.orm,
    member,
    new URL(request.url),
    clockNow(),
  )
  // The rows travel as their markup, not as data (see incident-rows.server.tsx).
  return {
    ...page,
    rowCount: rows.length,
    rowsHtml: markupForPage(
      context,
      INCIDENT_ROWS_ID,
      incidentRowsHtml(member.organization.id, rows),
    ),
  }
}

export default function Incidents() {
  const { rowCount, rowsHtml, filters, nextUrl, firstUrl, services, types, members, customFields } =
    useLoaderData<typeof loader>()
  return (
    <div className="space-y-6">
      <LiveIncidentList />
      <header className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-bold">Incidents</h1>
        <Link
          to="/incidents/new"
          className="rounded-md bg-red-700 px-4 py-2 text-sm font-semibold text-white hover:bg-red-800"
        >
          Declare incident
        </Link>
      </header>

      <IncidentFilterForm
        filters={filters}
        services={services}
        types={types}
        members={members}
        customFields={customFields}
      />

      {rowCount === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-slate-600">
          No incidents match these filters.
        </p>
      ) : (
        <IncidentTable rowsHtml={rowsHtml} customColumns={customFields.columns} />
      )}
      <nav aria-label="Pages" className="flex gap-3 text-sm">
        {firstUrl ? (
          <Link to={firstUrl} className="underline">
            First page
          </Link>
        ) : null}
        {nextUrl ? (
          <Link to={nextUrl} className="underline">
            Next page
          </Link>
        ) : null}
      </nav>
    </div>
  )
}
