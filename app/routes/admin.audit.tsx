import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Link, useLoaderData } from '@remix-run/react'
import { requireMember } from '~/domain/access/guard.server'
import { verifyOrganization } from '~/domain/incident/audit.server'
import { now } from '~/utils/clock'

export const meta: MetaFunction = () => [{ title: 'Audit verification · IncidentFlow' }]

/** The same check as `npm run audit:verify`, for this organization, run on every visit. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'audit.view')
  const started = performance.now()
  const result = await verifyOrganization(context.orm, member.organization.id)
  return {
    ...result,
    milliseconds: Math.round(performance.now() - started),
    checkedAt: now().toISOString(),
  }
}

export default function Audit() {
  const result = useLoaderData<typeof loader>()
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-bold">Audit verification</h1>
      <p className="text-sm text-slate-600">
        Every incident's timeline is a hash chain: each event carries the SHA-256 of its content and
        of the event before it. This check recomputes every hash, looks for missing or reordered
        events, and replays each timeline to confirm it gives the incident as stored.
      </p>
      {result.ok ? (
        <div
          role="status"
          className="rounded-lg border border-emerald-300 bg-emerald-50 p-4 text-emerald-900"
        >
          <p className="text-lg font-semibold">OK</p>
          <p className="text-sm">
            {result.incidents} incidents and {result.events} events verified in{' '}
            {result.milliseconds} ms.
          </p>
        </div>
      ) : (
        <div role="alert" className="rounded-lg border border-red-300 bg-red-50 p-4 text-red-900">
          <p className="text-lg font-semibold">Broken chain</p>
          <p className="text-sm">
            <Link
              to={`/incidents/${result.problem!.number}#event-${result.problem!.seq}`}
              className="underline"
            >
              INC-{result.problem!.number}, event #{result.problem!.seq}
            </Link>
            : {result.problem!.detail} ({result.problem!.kind}).
          </p>
        </div>
      )}
    </div>
  )
}
