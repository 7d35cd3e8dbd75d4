import { Link } from '@remix-run/react'
import type { IncidentPageView } from '~/domain/incident/incident-page.server'
import { PrivateBadge } from './visibility-section'

/** The incident's number and title, under a way back to the list. */
export function IncidentHeader({ incident }: Pick<IncidentPageView, 'incident'>) {
  return (
    <header className="space-y-1">
      <p className="text-sm text-slate-600">
        <Link to="/incidents" className="underline">
          Incidents
        </Link>{' '}
        / INC-{incident.number}
      </p>
      <h1 className="text-2xl font-bold break-words">
        <span className="text-slate-500">INC-{incident.number}</span> {incident.title}
        {incident.private ? (
          <>
            {' '}
            <PrivateBadge />
          </>
        ) : null}
      </h1>
    </header>
  )
}
