import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, isRouteErrorResponse, useLoaderData, useRouteError } from '@remix-run/react'
import { ErrorPage } from '~/components/error-page'
import { PrintPage } from '~/components/print-page'
import { ReportDefinitionsSection } from '~/components/report/report-definitions-section'
import { ReportHeader } from '~/components/report/report-header'
import { ReportOpenAgeSection } from '~/components/report/report-open-age-section'
import { ReportPeopleSection } from '~/components/report/report-people-section'
import { ReportRecurringSection } from '~/components/report/report-recurring-section'
import { ReportResponseSection } from '~/components/report/report-response-section'
import { ReportSlaSection } from '~/components/report/report-sla-section'
import { ReportSummarySection } from '~/components/report/report-summary-section'
import { ReportVolumeSection } from '~/components/report/report-volume-section'
import { requireMember } from '~/domain/access/guard.server'
import { loadDashboardView } from '~/domain/report/dashboard-view.server'
import { now as clockNow } from '~/utils/clock'
import type { RouteHandle } from '~/root'

/**
 * The dashboard laid out for paper: a page header with organization, period, generation time and
 * definitions version; one section per part of the dashboard, each starting a new page; tables
 * only, then the metric definitions. The app's navigation is left out (see `handle`), so the
 * browser's "Print" / "Save as PDF" gives a clean A4 document.
 */

export const handle: RouteHandle = { bare: true }

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'analytics.view')
  return loadDashboardView(context.orm, member, new URL(request.url).searchParams, clockNow(), {
    describeFilters: true,
  })
}

export default function PrintableReport() {
  const { dashboard: d, period, filtersText, generated, query } = useLoaderData<typeof loader>()
  return (
    <PrintPage
      runningHead={`${d.organization.name} · ${period}`}
      runningFoot={`Generated ${generated} · metric definitions version ${d.definitionsVersion}`}
      tableRules=".report-table { break-inside: auto; } .report-table thead { display: table-header-group; } .report-table tr { break-inside: avoid; }"
      instructions="Print this page (Ctrl+P or ⌘P) and choose “Save as PDF” for a clean A4 document."
      links={
        <p className="flex gap-3">
          <Link to={`/analytics?${query}`} className="underline">
            Back to analytics
          </Link>
          <Link to={`/reports?${query}`} className="underline">
            Generate PDF report
          </Link>
        </p>
      }
    >
      <main id="main">
        <ReportHeader dashboard={d} period={period} filters={filtersText} generated={generated} />
        <div className="space-y-8">
          <ReportSummarySection dashboard={d} />
          <ReportVolumeSection dashboard={d} />
          <ReportResponseSection dashboard={d} />
          <ReportSlaSection dashboard={d} />
          <ReportRecurringSection dashboard={d} />
          <ReportPeopleSection dashboard={d} />
          <ReportOpenAgeSection dashboard={d} generated={generated} />
          <ReportDefinitionsSection version={d.definitionsVersion} />
        </div>
      </main>
    </PrintPage>
  )
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: data
      ? `Incident report · ${data.dashboard.organization.name} · ${data.period}`
      : 'Incident report · IncidentFlow',
  },
]

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
