import type { IncidentPageView } from '~/domain/incident/incident-page.server'

/** The facts that rarely change: service, type, when the impact started, and who declared it. */
export function IncidentDetails({ incident }: Pick<IncidentPageView, 'incident'>) {
  return (
    <section
      aria-labelledby="details-heading"
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 id="details-heading" className="text-sm font-semibold text-slate-500">
        Details
      </h2>
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-500">Service</dt>
        <dd>{incident.service ?? 'Not set'}</dd>
        <dt className="text-slate-500">Incident type</dt>
        <dd>{incident.type ?? 'Not set'}</dd>
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
    </section>
  )
}
