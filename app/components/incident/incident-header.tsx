import { Link } from '@remix-run/react'
import { SeverityBadge, StatusBadge } from '~/components/badges'
import type { IncidentPageView } from '~/domain/incident/incident-page.server'
import { POSTMORTEM_STATUS_LABELS } from '~/domain/postmortem/vocabulary'
import { SlaClocks } from './sla-clocks'

/** The incident's number, title, status, facts, SLA clocks and timeline exports. */
export function IncidentHeader({
  incident,
  postmortemStatus,
  sla,
  renderedAt,
}: Pick<IncidentPageView, 'incident' | 'postmortemStatus' | 'sla' | 'renderedAt'>) {
  return (
    <header className="space-y-3">
      <p className="text-sm text-slate-600">
        <Link to="/incidents" className="underline">
          Incidents
        </Link>{' '}
        / INC-{incident.number}
      </p>
      <h1 className="text-2xl font-bold break-words">
        <span className="text-slate-500">INC-{incident.number}</span> {incident.title}
      </h1>
      <div className="flex flex-wrap items-center gap-2">
        <StatusBadge status={incident.status} />
        <SeverityBadge severity={incident.severity} />
        <span className="text-sm text-slate-600">
          Impact for <strong>{incident.age}</strong>
        </span>
      </div>
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
      <dl className="grid gap-x-6 gap-y-1 text-sm sm:grid-cols-[max-content_1fr_max-content_1fr]">
        <dt className="text-slate-500">Service</dt>
        <dd>{incident.service ?? 'Not set'}</dd>
        <dt className="text-slate-500">Incident type</dt>
        <dd>{incident.type ?? 'Not set'}</dd>
        <dt className="text-slate-500">Commander</dt>
        <dd data-testid="commander">{incident.commander ?? 'Nobody yet'}</dd>
        <dt className="text-slate-500">Assignees</dt>
        <dd data-testid="assignees">
          {incident.assignees.length ? incident.assignees.join(', ') : 'Nobody yet'}
        </dd>
        <dt className="text-slate-500">Impact started</dt>
        <dd>
          <time title={incident.impactStartedAtUtc}>{incident.impactStartedAt}</time>
        </dd>
        <dt className="text-slate-500">Declared</dt>
        <dd>
          <time title={incident.declaredAtUtc}>{incident.declaredAt}</time>
          {incident.declaredBy ? ` by ${incident.declaredBy}` : ''}
        </dd>
      </dl>
      {sla && sla.clocks.length > 0 ? (
        <SlaClocks sla={sla} severity={incident.severity} renderedAt={renderedAt} />
      ) : null}
      <p className="flex flex-wrap gap-3 text-sm" data-no-print>
        <a href={`/incidents/${incident.number}/timeline.csv`} className="underline">
          Timeline as CSV
        </a>
        <a href={`/incidents/${incident.number}/timeline.json`} className="underline">
          Timeline as JSON (with hashes)
        </a>
      </p>
    </header>
  )
}
