import type { LoaderFunctionArgs } from '@remix-run/node'
import { GENESIS_HASH } from '~/domain/incident/events'
import { stateOf } from '~/domain/incident/incident-queries.server'
import { loadRelationsPayload } from '~/domain/incident/incident-relations.server'
import { downloadHeaders, loadIncidentForExport } from '~/domain/incident/timeline-export.server'

/**
 * The timeline with everything needed to verify it offline: each event's seq, canonical fields
 * and hashes (see docs/audit-log.md for the hash recipe), plus the stored incident state.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const { number, detail } = await loadIncidentForExport(request, context, params.number)
  const relations = await loadRelationsPayload(
    context.orm,
    detail.incident.organizationId,
    detail.incident,
  )
  const roles = Object.fromEntries(relations.roles.map((r) => [r.roleId, r.holder.id]))
  const body = {
    format: 'incidentflow.timeline.v1',
    hashAlgorithm:
      'sha256 over canonical JSON (sorted keys) of {prev_hash, seq, organization_id, incident_id, type, actor_id, occurred_at, payload}',
    genesisHash: GENESIS_HASH,
    incident: {
      id: detail.incident.id,
      organizationId: detail.incident.organizationId,
      ...stateOf(detail.incident, roles),
      classifiedAsOf: relations.classifiedAsOf,
      relatedIncidents: relations.relatedIncidents,
      /** `roles` (the state) by role id; these name each role and holder. */
      roleHolders: relations.roles,
    },
    events: detail.events,
    /** The custom fields `incident.customFields` and the events name by id, archived ones too. */
    customFields: detail.customFieldDefinitions.map((f) => ({
      id: f.id,
      key: f.key,
      label: f.label,
      kind: f.kind,
      options: f.options,
      archived: f.archivedAt !== null,
    })),
  }
  return new Response(JSON.stringify(body, null, 2), {
    headers: downloadHeaders('application/json; charset=utf-8', `INC-${number}-timeline.json`),
  })
}
