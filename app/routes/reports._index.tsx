import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data, redirect } from '@remix-run/node'
import {
  Link,
  isRouteErrorResponse,
  useActionData,
  useLoaderData,
  useRouteError,
} from '@remix-run/react'
import { ErrorPage } from '~/components/error-page'
import { PastReports } from '~/components/report/past-reports'
import { ReportRequestForm, useReportRequestForm } from '~/components/report/report-request-form'
import { requireMember } from '~/domain/access/guard.server'
import { listMembers } from '~/domain/access/members.server'
import { getCatalogs } from '~/domain/incident/incident-queries.server'
import {
  reportFormDefaults,
  reportRequestFilters,
  reportRequestSchema as schema,
} from '~/domain/report/report-form'
import { listReportRows } from '~/domain/report/report-list.server'
import { requestReport } from '~/domain/report/report.server'
import { now as clockNow } from '~/utils/clock'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { readFormData } from '~/utils/form-data.server'

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'report.create')
  const organizationId = member.organization.id
  const at = clockNow()
  const [catalogs, members, reports] = await Promise.all([
    getCatalogs(context.orm, organizationId),
    listMembers(context.orm, organizationId),
    listReportRows(context.orm, member, at),
  ])
  return {
    // The form starts from the filters in the URL, so the dashboard can link here with its view.
    defaults: reportFormDefaults(
      new URL(request.url).searchParams,
      member.organization.timezone,
      at,
    ),
    services: catalogs.services,
    types: catalogs.types,
    members: members.filter((m) => m.active).map((m) => ({ id: m.userId, name: m.displayName })),
    reports,
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'report.create')
  const submission = parseWithZod(await readFormData(request), { schema })
  if (submission.status !== 'success') {
    return data({ result: submission.reply() }, { status: 400 })
  }
  const filters = reportRequestFilters(submission.value, member.organization.timezone, clockNow())
  try {
    const { report } = await requestReport(context.orm, context.boss, member, filters)
    return redirect(`/reports/${report.id}`, 303)
  } catch (error) {
    return replyWithDomainError(submission, error)
  }
}

export default function Reports() {
  const { defaults, services, types, members, reports } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const [form, fields] = useReportRequestForm(actionData?.result, defaults)
  return (
    <div className="space-y-10">
      <header className="space-y-1">
        <h1 className="text-2xl font-bold">Reports</h1>
        <p className="text-sm text-slate-600">
          A PDF of the analytics for a period and filters, made in the background: tables, charts
          and the metric definitions, ready to hand on.{' '}
          <Link to="/reports/print" className="text-brand-700 underline">
            Printable report
          </Link>{' '}
          shows the same in the browser.
        </p>
      </header>

      <section aria-labelledby="request-heading" className="space-y-3">
        <h2 id="request-heading" className="text-lg font-semibold">
          New PDF report
        </h2>
        <ReportRequestForm
          form={form}
          fields={fields}
          services={services}
          types={types}
          members={members}
        />
      </section>

      <PastReports reports={reports} />
    </div>
  )
}

export const meta: MetaFunction = () => [{ title: 'Reports · IncidentFlow' }]

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
