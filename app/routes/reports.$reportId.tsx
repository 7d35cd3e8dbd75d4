import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, isRouteErrorResponse, useLoaderData, useRouteError } from '@remix-run/react'
import { ErrorPage } from '~/components/error-page'
import { PendingRefresh } from '~/components/pending-refresh'
import { requireMember } from '~/domain/access/guard.server'
import { getReport, reportFilterNames } from '~/domain/report/report.server'
import { REPORT_STATUS_WORDS, describeFilters, describePeriod } from '~/domain/report/report-text'
import { formatBytes } from '~/utils/format-bytes'
import { formatInZone } from '~/utils/time'
import { refusalResponse } from '~/utils/error-reply.server'

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'report.create')
  const timeZone = member.organization.timezone
  let report
  try {
    report = await getReport(context.orm, member, params.reportId ?? '')
  } catch (error) {
    throw refusalResponse(error)
  }
  if (!report) throw new Response('Report not found', { status: 404 })
  const names = report.parameters
    ? await reportFilterNames(context.orm, member, [report.parameters])
    : null
  const at = (date: Date | null) => (date ? formatInZone(date.toISOString(), timeZone) : null)
  return {
    report: {
      id: report.id,
      status: report.status,
      progress: report.progress,
      error: report.error,
      size: formatBytes(report.sizeBytes),
      requestedBy: report.requestedBy?.name ?? 'Unknown',
      requestedAt: at(report.createdAt),
      startedAt: at(report.startedAt),
      finishedAt: at(report.finishedAt),
    },
    organization: member.organization.name,
    title: report.postmortem
      ? `Postmortem PDF · INC-${report.postmortem.incidentNumber}`
      : `Incident report · ${member.organization.name}`,
    ...(report.parameters && names
      ? {
          period: describePeriod(report.parameters, timeZone),
          filters: describeFilters(report.parameters, names),
          postmortem: null,
        }
      : { period: null, filters: null, postmortem: report.postmortem }),
  }
}

export const meta: MetaFunction<typeof loader> = () => [{ title: 'Report · IncidentFlow' }]

export default function ReportPage() {
  const { report, title, period, filters, postmortem } = useLoaderData<typeof loader>()
  const inProgress = report.status === 'queued' || report.status === 'running'
  return (
    <div className="max-w-3xl space-y-6">
      <header className="space-y-1">
        <p className="text-sm">
          <Link to="/reports" className="text-brand-700 underline">
            Reports
          </Link>
        </p>
        <h1 className="text-2xl font-bold">{title}</h1>
        <p className="text-sm text-slate-600">{postmortem ? postmortem.incidentTitle : period}</p>
      </header>

      <section
        aria-labelledby="status-heading"
        className="rounded-lg border border-slate-200 bg-white p-4"
      >
        <h2 id="status-heading" className="text-lg font-semibold">
          Status:{' '}
          <span data-report-status={report.status}>{REPORT_STATUS_WORDS[report.status]}</span>
        </h2>
        <div role="status" className="mt-2 space-y-2 text-sm">
          {report.status === 'queued' ? <p>Waiting for the worker to start.</p> : null}
          {report.status === 'running' ? (
            <>
              <p>Generating: {report.progress} % done.</p>
              <progress
                max={100}
                value={report.progress}
                aria-label="Report progress"
                className="h-2 w-full"
              >
                {report.progress} %
              </progress>
            </>
          ) : null}
          {report.status === 'done' ? (
            <>
              <p>The report is ready ({report.size}).</p>
              <p>
                <a
                  href={`/reports/${report.id}/download`}
                  className="inline-flex items-center rounded-md bg-brand-600 px-4 py-2 font-semibold text-white hover:bg-brand-700"
                >
                  Download PDF
                </a>
              </p>
            </>
          ) : null}
          {report.status === 'failed' ? (
            <p className="text-red-800">
              The report could not be generated. Reason: {report.error ?? 'unknown'}
            </p>
          ) : null}
        </div>
        {inProgress ? (
          <p className="mt-3 text-sm">
            <PendingRefresh />
          </p>
        ) : null}
      </section>

      <section aria-labelledby="parameters-heading" className="space-y-2">
        <h2 id="parameters-heading" className="text-lg font-semibold">
          Parameters
        </h2>
        <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
          {postmortem ? (
            <>
              <dt className="font-medium text-slate-700">Postmortem</dt>
              <dd>
                <a
                  href={`/incidents/${postmortem.incidentNumber}/postmortem`}
                  className="text-brand-700 underline"
                >
                  INC-{postmortem.incidentNumber}: {postmortem.incidentTitle}
                </a>
              </dd>
              <dt className="font-medium text-slate-700">Revision</dt>
              <dd>{postmortem.revision} when requested (the PDF shows the newest)</dd>
            </>
          ) : (
            <>
              <dt className="font-medium text-slate-700">Period</dt>
              <dd>{period}</dd>
              <dt className="font-medium text-slate-700">Filters</dt>
              <dd>{filters}</dd>
            </>
          )}
          <dt className="font-medium text-slate-700">Requested by</dt>
          <dd>
            {report.requestedBy}, {report.requestedAt}
          </dd>
          {report.startedAt ? (
            <>
              <dt className="font-medium text-slate-700">Started</dt>
              <dd>{report.startedAt}</dd>
            </>
          ) : null}
          {report.finishedAt ? (
            <>
              <dt className="font-medium text-slate-700">Finished</dt>
              <dd>{report.finishedAt}</dd>
            </>
          ) : null}
        </dl>
      </section>
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
