import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { OverdueMark, formatDueDate } from '~/components/action-items'
import { StatusBadge, SeverityBadge } from '~/components/badges'
import { LiveIncidentList } from '~/components/live/live-incident'
import { getViewer } from '~/domain/access/guard.server'
import { can, ROLE_DESCRIPTIONS, ROLE_LABELS } from '~/domain/access/permissions'
import { listIncidents, parseIncidentFilters } from '~/domain/incident/incident-list.server'
import { INCIDENT_STATUSES, SEVERITIES } from '~/domain/incident/vocabulary'
import { listMyActionItems } from '~/domain/postmortem/action-items.server'
import { ACTION_ITEM_STATUS_LABELS } from '~/domain/postmortem/vocabulary'
import { now as clockNow } from '~/utils/clock'

export const meta: MetaFunction = () => [
  { title: 'IncidentFlow' },
  {
    name: 'description',
    content: 'Declare incidents, drive them to closure, and prove every step.',
  },
]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const viewer = await getViewer(request, context)
  if (!viewer) return { viewer: null, mine: [], actionItems: [] }
  const mine = viewer.organization
    ? (
        await listIncidents(
          context.orm,
          viewer.organization.id,
          viewer.user.id,
          {
            ...parseIncidentFilters(new URLSearchParams()),
            assignee: 'me',
          },
          10,
        )
      ).rows
    : []
  const actionItems =
    viewer.organization && viewer.role
      ? await listMyActionItems(
          context.orm,
          { user: viewer.user, role: viewer.role, organization: viewer.organization },
          clockNow(),
          20,
        )
      : []
  return {
    mine,
    actionItems,
    viewer: {
      name: viewer.user.displayName,
      organization: viewer.organization?.name ?? null,
      role: viewer.role,
      canManageMembers: viewer.role ? can(viewer.role, 'members.manage') : false,
    },
  }
}

export default function Index() {
  const { viewer, mine, actionItems } = useLoaderData<typeof loader>()
  // One h1 per page: the welcome when signed in, the product line otherwise.
  const Heading = viewer ? 'h2' : 'h1'
  return (
    <div className="space-y-10">
      {viewer?.organization ? <LiveIncidentList /> : null}
      {viewer ? (
        <section
          aria-labelledby="home-heading"
          className="rounded-lg border border-slate-200 bg-white p-6"
        >
          <h1 id="home-heading" className="text-2xl font-bold">
            Welcome, {viewer.name}
          </h1>
          {viewer.organization && viewer.role ? (
            <>
              <p className="mt-2 text-slate-600">
                You are {ROLE_LABELS[viewer.role].toLowerCase()} in{' '}
                <strong>{viewer.organization}</strong>:{' '}
                {ROLE_DESCRIPTIONS[viewer.role].toLowerCase()}.
              </p>
              <p className="mt-4 flex flex-wrap gap-4">
                <Link to="/incidents/new" className="font-medium text-red-800 underline">
                  Declare an incident
                </Link>
                <Link to="/incidents" className="font-medium text-brand-700 underline">
                  All open incidents
                </Link>
                {viewer.canManageMembers ? (
                  <Link to="/admin/members" className="font-medium text-brand-700 underline">
                    Invite your team
                  </Link>
                ) : null}
              </p>
              <h2 className="mt-6 text-lg font-semibold">
                Open incidents you command or are assigned to
              </h2>
              {mine.length === 0 ? (
                <p className="mt-2 text-sm text-slate-600">None right now.</p>
              ) : (
                <ul className="mt-2 divide-y divide-slate-100 text-sm">
                  {mine.map((incident) => (
                    <li key={incident.id} className="flex flex-wrap items-center gap-2 py-2">
                      <SeverityBadge severity={incident.severity} />
                      <StatusBadge status={incident.status} />
                      <Link
                        to={`/incidents/${incident.number}`}
                        className="font-medium text-brand-700 underline"
                      >
                        INC-{incident.number}
                      </Link>
                      <span className="break-words">{incident.title}</span>
                    </li>
                  ))}
                </ul>
              )}
              <h2 id="my-action-items" className="mt-6 text-lg font-semibold">
                Your action items
              </h2>
              {actionItems.length === 0 ? (
                <p className="mt-2 text-sm text-slate-600">No open action items.</p>
              ) : (
                <ul
                  className="mt-2 divide-y divide-slate-100 text-sm"
                  aria-labelledby="my-action-items"
                >
                  {actionItems.map((item) => (
                    <li
                      key={item.id}
                      className="flex flex-wrap items-center gap-2 py-2"
                      data-action-item={item.id}
                    >
                      <Link
                        to={`/incidents/${item.incidentNumber}/postmortem`}
                        className="font-medium text-brand-700 underline"
                      >
                        INC-{item.incidentNumber} postmortem
                      </Link>
                      <span className="break-words">{item.title}</span>
                      <span className="text-slate-600">
                        · due {formatDueDate(item.dueOn)} · {ACTION_ITEM_STATUS_LABELS[item.status]}
                      </span>
                      {item.overdue ? <OverdueMark /> : null}
                    </li>
                  ))}
                </ul>
              )}
            </>
          ) : (
            <p className="mt-2 text-slate-600">
              You are not an active member of any organization. Ask an admin for an invitation.
            </p>
          )}
        </section>
      ) : null}
      <section aria-labelledby="welcome" className="max-w-3xl">
        <Heading id="welcome" className="text-3xl font-bold tracking-tight sm:text-4xl">
          Incidents, handled in the open
        </Heading>
        <p className="mt-4 text-lg text-slate-600">
          IncidentFlow takes an incident from the first alert to the published postmortem: a strict
          lifecycle, a timeline nobody can quietly rewrite, warnings before a service-level target
          is missed, and reports that managers and auditors can trust.
        </p>
        {viewer ? null : (
          <p className="mt-6 flex flex-wrap gap-3">
            <Link
              to="/signup"
              className="rounded-md bg-brand-600 px-4 py-2 font-semibold text-white hover:bg-brand-700"
            >
              Create an organization
            </Link>
            <Link
              to="/login"
              className="rounded-md border border-slate-300 bg-white px-4 py-2 font-semibold hover:bg-slate-50"
            >
              Log in
            </Link>
          </p>
        )}
      </section>
      <section
        aria-labelledby="lifecycle"
        className="rounded-lg border border-slate-200 bg-white p-6"
      >
        <h2 id="lifecycle" className="text-lg font-semibold">
          The lifecycle every incident follows
        </h2>
        <ol
          className="mt-4 flex flex-wrap items-center gap-2"
          aria-label="Incident statuses in order"
        >
          {INCIDENT_STATUSES.map((status, index) => (
            <li key={status} className="flex items-center gap-2">
              <StatusBadge status={status} />
              {index < INCIDENT_STATUSES.length - 1 ? <span aria-hidden="true">→</span> : null}
            </li>
          ))}
        </ol>
        <h2 className="mt-6 text-lg font-semibold">Severities</h2>
        <ul className="mt-3 flex flex-wrap gap-2" aria-label="Severities from highest to lowest">
          {SEVERITIES.map((severity) => (
            <li key={severity}>
              <SeverityBadge severity={severity} />
            </li>
          ))}
        </ul>
      </section>
    </div>
  )
}
