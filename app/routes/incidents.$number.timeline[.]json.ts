import type { LoaderFunctionArgs } from '@remix-run/node'
import { requireMember } from '../domain/access/guard.server'
import { GENESIS_HASH } from '../domain/incident/events'
import { getIncidentDetail, stateOf } from '../domain/incident/incident-service.server'

/**
 * The timeline with everything needed to verify it offline: each event's seq, canonical fields
 * and hashes (see docs/audit-log.md for the hash recipe), plus the stored incident state.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = Number(params.number)
  const detail =
    Number.isInteger(number) && number > 0
      ? await getIncidentDetail(context.orm, member, number)
      : null
  if (!detail) throw new Response('Incident not found', { status: 404 })
  const body = {
    format: 'incidentflow.timeline.v1',
    hashAlgorithm:
      'sha256 over canonical JSON (sorted keys) of {prev_hash, seq, organization_id, incident_id, type, actor_id, occurred_at, payload}',
    genesisHash: GENESIS_HASH,
    incident: {
      id: detail.incident.id,
      organizationId: detail.incident.organizationId,
      ...stateOf(detail.incident),
    },
    events: detail.events,
  }
  return new Response(JSON.stringify(body, null, 2), {
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Disposition': `attachment; filename="INC-${number}-timeline.json"`,
      'Cache-Control': 'private, no-store',
    },
  })
}
