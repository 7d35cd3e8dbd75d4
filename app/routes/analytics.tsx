import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { isRouteErrorResponse, useLoaderData, useRouteError } from '@remix-run/react'
import { ActionItemsSection } from '~/components/analytics/action-items-section'
import { AnalyticsFilterForm } from '~/components/analytics/analytics-filter-form'
import { AnalyticsHeader } from '~/components/analytics/analytics-header'
import { ExportLinks } from '~/components/analytics/export-links'
import { OpenAgeSection } from '~/components/analytics/open-age-section'
import { PeopleSection } from '~/components/analytics/people-section'
import { RecurringSection } from '~/components/analytics/recurring-section'
import { ResponseSection } from '~/components/analytics/response-section'
import { SlaSection } from '~/components/analytics/sla-section'
import { useHydrated } from '~/components/analytics/use-hydrated'
import { VolumeSection } from '~/components/analytics/volume-section'
import { ErrorPage } from '~/components/error-page'
import { requireMember } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { listMembers } from '~/domain/access/members.server'
import { getCatalogs } from '~/domain/incident/incident-queries.server'
import { countActionItems } from '~/domain/postmortem/action-items.server'
import { loadDashboardView } from '~/domain/report/dashboard-view.server'
import { customFieldBreakdown } from '~/domain/analytics/custom-field-breakdown.server'
import { CustomFieldSection } from '~/components/analytics/custom-field-section'
import { now as clockNow } from '~/utils/clock'

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'analytics.view')
  const organizationId = member.organization.id
  const at = clockNow()
  const [view, catalogs, members, actionItems] = await Promise.all([
    loadDashboardView(context.orm, member, new URL(request.url).searchParams, at),
    getCatalogs(context.orm, organizationId),
    listMembers(context.orm, organizationId),
    countActionItems(context.orm, organizationId, at),
  ])
  const byField = await customFieldBreakdown(
    context.orm,
    organizationId,
    view.dashboard.filters,
    new URL(request.url).searchParams.get('groupBy'),
  )
  return {
    ...view,
    byField,
    canExport: can(member.role, 'export.create'),
    services: catalogs.services,
    types: catalogs.types,
    members: members.map((m) => ({ id: m.userId, name: m.displayName })),
    actionItems,
  }
}

export default function Analytics() {
  const data = useLoaderData<typeof loader>()
  const d = data.dashboard
  // Charts are an enhancement: they appear once JavaScript runs; the tables are always there.
  const enhanced = useHydrated()
  return (
    <div className="space-y-8">
      <AnalyticsHeader view={data} />
      <AnalyticsFilterForm
        filters={d.filters}
        dates={data.dates}
        services={data.services}
        types={data.types}
        members={data.members}
      />
      <ExportLinks query={data.query} canExport={data.canExport} />
      <VolumeSection dashboard={d} enhanced={enhanced} />
      <ResponseSection dashboard={d} enhanced={enhanced} />
      <SlaSection dashboard={d} enhanced={enhanced} />
      <RecurringSection dashboard={d} enhanced={enhanced} />
      <CustomFieldSection breakdown={data.byField} query={data.query} />
      <PeopleSection dashboard={d} enhanced={enhanced} />
      <OpenAgeSection dashboard={d} enhanced={enhanced} />
      <ActionItemsSection actionItems={data.actionItems} timeZone={d.organization.timezone} />
    </div>
  )
}

export const meta: MetaFunction = () => [{ title: 'Analytics · IncidentFlow' }]

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
