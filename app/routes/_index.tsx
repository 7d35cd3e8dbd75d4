import type { MetaFunction } from '@remix-run/node'
import { StatusBadge, SeverityBadge } from '../components/badges'
import { INCIDENT_STATUSES, SEVERITIES } from '../domain/incident/vocabulary'

export const meta: MetaFunction = () => [
  { title: 'IncidentFlow' },
  {
    name: 'description',
    content: 'Declare incidents, drive them to closure, and prove every step.',
  },
]

export default function Index() {
  return (
    <div className="space-y-10">
      <section aria-labelledby="welcome" className="max-w-3xl">
        <h1 id="welcome" className="text-3xl font-bold tracking-tight sm:text-4xl">
          Incidents, handled in the open
        </h1>
        <p className="mt-4 text-lg text-slate-600">
          IncidentFlow takes an incident from the first alert to the published postmortem: a strict
          lifecycle, a timeline nobody can quietly rewrite, warnings before a service-level target
          is missed, and reports that managers and auditors can trust.
        </p>
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
