import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, Link, useLoaderData } from '@remix-run/react'
import { SeverityBadge, StatusBadge } from '~/components/badges'
import { FilterCheckboxes, FilterSelect } from '~/components/filter-fields'
import { SlaBadge } from '~/components/sla'
import { slaClock, worstState, type SlaTimes } from '~/domain/sla/clock'
import { SLA_TARGET_LABELS, type SeverityTargets } from '~/domain/sla/policy'
import { now as clockNow } from '~/utils/clock'
import { TableHead } from '~/components/table-head'
import { requireMember } from '~/domain/access/guard.server'
import { getCatalogs } from '~/domain/incident/incident-queries.server'
import {
  listIncidents,
  parseIncidentFilters,
  selectedStatuses,
} from '~/domain/incident/incident-list.server'
import { listMembers } from '~/domain/access/members.server'
import { INCIDENT_STATUSES, SEVERITIES, STATUS_LABELS } from '~/domain/incident/vocabulary'
import { formatDuration, formatInZone, utcTitle } from '~/utils/time'

export const meta: MetaFunction = () => [{ title: 'Incidents · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const url = new URL(request.url)
  const filters = parseIncidentFilters(url.searchParams)
  const [page, catalogs, members] = await Promise.all([
    listIncidents(context.orm, member.organization.id, member.user.id, filters),
    getCatalogs(context.orm, member.organization.id),
    listMembers(context.orm, member.organization.id),
  ])
  const timeZone = member.organization.timezone
  const at = clockNow()
  const nextParams = new URLSearchParams(url.searchParams)
  if (page.next) nextParams.set('after', page.next)
  const firstParams = new URLSearchParams(url.searchParams)
  firstParams.delete('after')
  return {
    filters: { ...filters, statuses: selectedStatuses(filters) },
    // Only what the table shows: the rows are rendered and also sent along for hydration.
    rows: page.rows.map((r) => ({
      number: r.number,
      title: r.title,
      severity: r.severity,
      status: r.status,
      serviceName: r.serviceName,
      commanderName: r.commanderName,
      sla: slaSummary(r.sla, at, timeZone),
      declared: formatInZone(r.declaredAt, timeZone),
      declaredUtc: utcTitle(r.declaredAt),
      age: formatDuration(at.getTime() - new Date(r.impactStartedAt).getTime()),
    })),
    nextUrl: page.next ? `/incidents?${nextParams.toString()}` : null,
    firstUrl: filters.after ? `/incidents?${firstParams.toString()}` : null,
    services: catalogs.services,
    types: catalogs.types,
    members: members.filter((m) => m.active).map((m) => ({ id: m.userId, name: m.displayName })),
  }
}

/** One badge for the list: the worst state across targets, and the next target still open. */
function slaSummary(
  sla: { targets: SeverityTargets; times: SlaTimes } | null,
  at: Date,
  timeZone: string,
) {
  if (!sla) return null
  const clocks = slaClock(sla.times, sla.targets, at)
  const state = worstState(clocks)
  if (!state) return null
  const next = clocks.find((c) => !c.reachedAt)
  return {
    state,
    next: next
      ? {
          label: SLA_TARGET_LABELS[next.target],
          dueAt: next.dueAt.toISOString(),
          dueAtText: formatInZone(next.dueAt.toISOString(), timeZone),
        }
      : null,
  }
}

export default function Incidents() {
  const { rows, filters, nextUrl, firstUrl, services, types, members } =
    useLoaderData<typeof loader>()
  return (
    <div className="space-y-6">
      <header className="flex flex-wrap items-center justify-between gap-3">
        <h1 className="text-2xl font-bold">Incidents</h1>
        <Link
          to="/incidents/new"
          className="rounded-md bg-red-700 px-4 py-2 text-sm font-semibold text-white hover:bg-red-800"
        >
          Declare incident
        </Link>
      </header>

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
            <div className="grid grid-cols-2 gap-2">
              <label className="block">
                <span className="font-medium text-slate-800">Declared from</span>
                <input
                  type="date"
                  name="from"
                  defaultValue={filters.from ?? ''}
                  className="mt-1 block w-full rounded-md border-slate-300 text-sm"
                />
              </label>
              <label className="block">
                <span className="font-medium text-slate-800">Declared to</span>
                <input
                  type="date"
                  name="to"
                  defaultValue={filters.to ?? ''}
                  className="mt-1 block w-full rounded-md border-slate-300 text-sm"
                />
              </label>
            </div>
          </div>
        </div>
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

      {rows.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white p-6 text-slate-600">
          No incidents match these filters.
        </p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <caption className="sr-only">Incidents, most severe first, then newest</caption>
            <TableHead
              columns={[
                'Incident',
                'Severity',
                'Status',
                'Service',
                'Commander',
                'SLA',
                'Declared',
                'Age',
              ]}
            />
            <tbody className="divide-y divide-slate-100">
              {rows.map((r) => (
                <tr key={r.number}>
                  <td className="min-w-56 px-3 py-2">
                    <Link
                      to={`/incidents/${r.number}`}
                      className="font-medium text-brand-700 underline"
                    >
                      INC-{r.number}
                    </Link>{' '}
                    <span className="break-words">{r.title}</span>
                  </td>
                  <td className="px-3 py-2">
                    <SeverityBadge severity={r.severity} />
                  </td>
                  <td className="px-3 py-2">
                    <StatusBadge status={r.status} />
                  </td>
                  <td className="px-3 py-2">{r.serviceName ?? '—'}</td>
                  <td className="px-3 py-2">{r.commanderName ?? '—'}</td>
                  <td className="px-3 py-2 text-xs" data-testid="sla">
                    {r.sla ? (
                      <span className="flex flex-col items-start gap-0.5">
                        <SlaBadge state={r.sla.state} />
                        {r.sla.next ? (
                          <span className="whitespace-nowrap text-slate-600">
                            {r.sla.next.label} due{' '}
                            <time dateTime={r.sla.next.dueAt}>{r.sla.next.dueAtText}</time>
                          </span>
                        ) : null}
                      </span>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap">
                    <time title={r.declaredUtc}>{r.declared}</time>
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap">{r.age}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
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
