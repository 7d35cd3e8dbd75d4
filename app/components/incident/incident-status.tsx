import { Link } from '@remix-run/react'
import { SeverityBadge, StatusBadge } from '~/components/badges'
import type { IncidentPageView } from '~/domain/incident/incident-page.server'
import { POSTMORTEM_STATUS_LABELS } from '~/domain/postmortem/vocabulary'

/** What a responder reads first: status, severity, how long the impact lasts and who owns it. */
export function IncidentStatus({
  incident,
  postmortemStatus,
}: Pick<IncidentPageView, 'incident' | 'postmortemStatus'>) {
  return (
    <section
      aria-labelledby="status-heading"
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 id="status-heading" className="text-sm font-semibold text-slate-500">
        Status
      </h2>
      <div className="flex flex-wrap items-center gap-2">
        <StatusBadge status={incident.status} />
        <SeverityBadge severity={incident.severity} />
        <span className="text-sm text-slate-600">
          Impact for <strong>{incident.age}</strong>
        </span>
      </div>
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-500">Commander</dt>
        <dd data-testid="commander">{incident.commander ?? 'Nobody yet'}</dd>
        <dt className="text-slate-500">Assignees</dt>
        <dd data-testid="assignees">
          {incident.assignees.length ? incident.assignees.join(', ') : 'Nobody yet'}
        </dd>
      </dl>
      {postmortemStatus ? (
        <p className="text-sm">
          <Link
            to={`/incidents/${incident.number}/postmortem`}
            className="font-medium text-brand-700 underline"
          >
            Postmortem
          </Link>{' '}
          <span className="text-slate-600" data-testid="postmortem-status">
            ({POSTMORTEM_STATUS_LABELS[postmortemStatus]})
          </span>
        </p>
      ) : null}
    </section>
  )
}
