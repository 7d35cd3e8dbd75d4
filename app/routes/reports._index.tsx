import { getCollectionProps, getFormProps, getSelectProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data, redirect } from '@remix-run/node'
import {
  Form,
  Link,
  isRouteErrorResponse,
  useActionData,
  useLoaderData,
  useRouteError,
} from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import { FormError } from '~/components/form-error'
import { ErrorList, SubmitButton } from '~/components/forms'
import { TableHead } from '~/components/table-head'
import { requireMember } from '~/domain/access/guard.server'
import { listMembers } from '~/domain/access/members.server'
import {
  PERIODS,
  PERIOD_LABELS,
  parseAnalyticsFilters,
  periodDates,
} from '~/domain/analytics/filters'
import { getCatalogs } from '~/domain/incident/incident-queries.server'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import {
  ReportError,
  listReports,
  reportFilterNames,
  requestReport,
} from '~/domain/report/report.server'
import {
  REPORT_STATUS_WORDS,
  describeFilters,
  describePeriod,
  formatBytes,
} from '~/domain/report/report-text'
import { now as clockNow } from '~/utils/clock'
import { formatInZone } from '~/utils/time'
import { DATE_RANGE_MESSAGE, isDateOutsideRange } from '~/utils/date-range'
import { readFormData } from '~/utils/form-data.server'

const optionalId = z
  .union([z.uuid(), z.literal('')])
  .optional()
  .transform((v) => v || '')

const isoDate = /^\d{4}-\d{2}-\d{2}$/

const customDate = z
  .string()
  .trim()
  .max(10)
  .optional()
  .refine((value) => !value || !isDateOutsideRange(value), { error: DATE_RANGE_MESSAGE })

const schema = z
  .object({
    period: z.enum(PERIODS, { error: 'Choose a period' }),
    from: customDate,
    to: customDate,
    severity: z.array(z.enum(SEVERITIES)).optional(),
    service: optionalId,
    type: optionalId,
    commander: optionalId,
    bucket: z.enum(['day', 'week']).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.period !== 'custom') return
    if (!value.from || !isoDate.test(value.from))
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'Enter the first day of the period' })
    if (!value.to || !isoDate.test(value.to))
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'Enter the last day of the period' })
    if (value.from && value.to && value.from > value.to)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'The last day is before the first' })
  })

export const meta: MetaFunction = () => [{ title: 'Reports · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'report.create')
  const organizationId = member.organization.id
  const timeZone = member.organization.timezone
  // The form starts from the filters in the URL, so the dashboard can link here with its view.
  const url = new URL(request.url)
  const filters = parseAnalyticsFilters(url.searchParams, timeZone, clockNow())
  const [catalogs, members, reports] = await Promise.all([
    getCatalogs(context.orm, organizationId),
    listMembers(context.orm, organizationId),
    listReports(context.orm, member),
  ])
  const names = await reportFilterNames(
    context.orm,
    member,
    reports.flatMap((r) => (r.parameters ? [r.parameters] : [])),
  )
  const dates = periodDates(filters, timeZone)
  return {
    defaults: {
      period: filters.period,
      from: url.searchParams.has('from') || filters.period === 'custom' ? dates.from : '',
      to: url.searchParams.has('to') || filters.period === 'custom' ? dates.to : '',
      severity: filters.severities,
      service: filters.serviceId ?? '',
      type: filters.incidentTypeId ?? '',
      commander: filters.commanderId ?? '',
      bucket: url.searchParams.get('bucket') ?? '',
    },
    services: catalogs.services,
    types: catalogs.types,
    members: members.filter((m) => m.active).map((m) => ({ id: m.userId, name: m.displayName })),
    reports: reports.map((r) => ({
      id: r.id,
      status: r.status,
      progress: r.progress,
      requestedBy: r.requestedBy?.name ?? 'Unknown',
      // A postmortem's PDF is described by its incident instead of a period and filters.
      period: r.parameters
        ? describePeriod(r.parameters, timeZone)
        : `Postmortem of INC-${r.postmortem?.incidentNumber}: ${r.postmortem?.incidentTitle}`,
      filters: r.parameters
        ? describeFilters(r.parameters, names)
        : `Revision ${r.postmortem?.revision ?? 0} when requested`,
      size: r.status === 'done' ? formatBytes(r.sizeBytes) : '—',
      requestedAt: formatInZone(r.createdAt.toISOString(), timeZone),
      requestedAtIso: r.createdAt.toISOString(),
    })),
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'report.create')
  const formData = await readFormData(request)
  const submission = parseWithZod(formData, { schema })
  if (submission.status !== 'success') {
    return data({ result: submission.reply() }, { status: 400 })
  }
  const value = submission.value
  const params = new URLSearchParams({ period: value.period })
  if (value.period === 'custom') {
    params.set('from', value.from ?? '')
    params.set('to', value.to ?? '')
  }
  for (const severity of value.severity ?? []) params.append('severity', severity)
  if (value.service) params.set('service', value.service)
  if (value.type) params.set('type', value.type)
  if (value.commander) params.set('commander', value.commander)
  if (value.bucket) params.set('bucket', value.bucket)
  const filters = parseAnalyticsFilters(params, member.organization.timezone, clockNow())
  try {
    const { report } = await requestReport(context.orm, context.boss, member, filters)
    return redirect(`/reports/${report.id}`, 303)
  } catch (error) {
    if (error instanceof ReportError) throw new Response(error.message, { status: error.status })
    throw error
  }
}

const input =
  'mt-1 block w-full rounded-md border-slate-300 text-sm aria-[invalid=true]:border-red-600'

export default function Reports() {
  const { defaults, services, types, members, reports } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const [form, fields] = useForm({
    lastResult: actionData?.result,
    constraint: getZodConstraint(schema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
    defaultValue: defaults,
  })

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
        <Form
          method="post"
          {...getFormProps(form)}
          className="rounded-lg border border-slate-200 bg-white p-4"
        >
          <FormError id={form.errorId} errors={form.errors} />
          <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
            <div className="space-y-2 text-sm">
              <div>
                <label htmlFor={fields.period.id} className="block font-medium text-slate-800">
                  Period
                </label>
                <select {...getSelectProps(fields.period)} className={input}>
                  {PERIODS.map((p) => (
                    <option key={p} value={p}>
                      {PERIOD_LABELS[p]}
                    </option>
                  ))}
                </select>
              </div>
              <ErrorList id={fields.period.errorId} errors={fields.period.errors} />
              <div className="grid grid-cols-2 gap-2">
                <div>
                  <label className="block">
                    <span className="font-medium text-slate-800">From</span>
                    <input
                      type="date"
                      name={fields.from.name}
                      id={fields.from.id}
                      defaultValue={fields.from.initialValue}
                      aria-invalid={!fields.from.valid || undefined}
                      aria-describedby={fields.from.valid ? undefined : fields.from.errorId}
                      className={input}
                    />
                  </label>
                  <ErrorList id={fields.from.errorId} errors={fields.from.errors} />
                </div>
                <div>
                  <label className="block">
                    <span className="font-medium text-slate-800">To</span>
                    <input
                      type="date"
                      name={fields.to.name}
                      id={fields.to.id}
                      defaultValue={fields.to.initialValue}
                      aria-invalid={!fields.to.valid || undefined}
                      aria-describedby={fields.to.valid ? undefined : fields.to.errorId}
                      className={input}
                    />
                  </label>
                  <ErrorList id={fields.to.errorId} errors={fields.to.errors} />
                </div>
              </div>
              <p className="text-xs text-slate-500">From and To apply to “Custom dates”.</p>
            </div>
            <fieldset>
              <legend className="text-sm font-medium text-slate-800">Severity</legend>
              <div className="mt-1 grid grid-cols-2 gap-1 text-sm">
                {getCollectionProps(fields.severity, {
                  type: 'checkbox',
                  options: [...SEVERITIES],
                }).map(({ key, ...props }) => (
                  <label key={key} className="flex items-center gap-2">
                    <input {...props} className="rounded border-slate-300" />
                    {props.value}
                  </label>
                ))}
              </div>
              <p className="mt-1 text-xs text-slate-500">None ticked: every severity.</p>
            </fieldset>
            <div className="space-y-2 text-sm">
              <div>
                <label htmlFor={fields.service.id} className="block font-medium text-slate-800">
                  Service
                </label>
                <select {...getSelectProps(fields.service)} className={input}>
                  <option value="">Any service</option>
                  {services.map((s) => (
                    <option key={s.id} value={s.id}>
                      {s.name}
                    </option>
                  ))}
                </select>
              </div>
              <div>
                <label htmlFor={fields.type.id} className="block font-medium text-slate-800">
                  Incident type
                </label>
                <select {...getSelectProps(fields.type)} className={input}>
                  <option value="">Any type</option>
                  {types.map((t) => (
                    <option key={t.id} value={t.id}>
                      {t.name}
                    </option>
                  ))}
                </select>
              </div>
            </div>
            <div className="space-y-2 text-sm">
              <div>
                <label htmlFor={fields.commander.id} className="block font-medium text-slate-800">
                  Commander
                </label>
                <select {...getSelectProps(fields.commander)} className={input}>
                  <option value="">Anyone</option>
                  {members.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.name}
                    </option>
                  ))}
                </select>
              </div>
              <div>
                <label htmlFor={fields.bucket.id} className="block font-medium text-slate-800">
                  Buckets
                </label>
                <select {...getSelectProps(fields.bucket)} className={input}>
                  <option value="">Automatic</option>
                  <option value="day">Days</option>
                  <option value="week">Weeks</option>
                </select>
              </div>
            </div>
          </div>
          <div className="mt-4">
            <SubmitButton pendingLabel="Requesting…">Generate PDF report</SubmitButton>
          </div>
        </Form>
      </section>

      <section aria-labelledby="past-heading" className="space-y-3">
        <h2 id="past-heading" className="text-lg font-semibold">
          Past reports
        </h2>
        {reports.length === 0 ? (
          <p className="text-sm text-slate-600">No reports yet.</p>
        ) : (
          <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table className="min-w-full divide-y divide-slate-200 text-sm">
              <caption className="sr-only">Past reports, newest first</caption>
              <TableHead columns={['Requested', 'By', 'Parameters', 'Status', 'Size', 'File']} />
              <tbody className="divide-y divide-slate-100">
                {reports.map((r) => (
                  <tr key={r.id} data-report-id={r.id}>
                    <td className="px-3 py-2 whitespace-nowrap">
                      <Link to={`/reports/${r.id}`} className="text-brand-700 underline">
                        <time dateTime={r.requestedAtIso}>{r.requestedAt}</time>
                      </Link>
                    </td>
                    <td className="px-3 py-2">{r.requestedBy}</td>
                    <td className="px-3 py-2">
                      <div>{r.period}</div>
                      <div className="text-slate-600">{r.filters}</div>
                    </td>
                    <td className="px-3 py-2 whitespace-nowrap" data-status={r.status}>
                      {r.status === 'running'
                        ? `${REPORT_STATUS_WORDS.running} (${r.progress} %)`
                        : REPORT_STATUS_WORDS[r.status]}
                    </td>
                    <td className="px-3 py-2 text-right tabular-nums whitespace-nowrap">
                      {r.size}
                    </td>
                    <td className="px-3 py-2 whitespace-nowrap">
                      {r.status === 'done' ? (
                        <a href={`/reports/${r.id}/download`} className="text-brand-700 underline">
                          Download PDF
                        </a>
                      ) : (
                        '—'
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
