import type { EntityManager } from '@mikro-orm/postgresql'
import { IncidentEventSchema, IncidentSchema } from '../../../../db/entities/incident'
import { memberNames } from '~/domain/access/member-names.server'
import { toStoredEvent } from '~/domain/incident/event-store.server'
import { STATUS_LABELS, type Severity } from '~/domain/incident/vocabulary'
import { incidentUrl } from '~/domain/notify/emails'
import type { Answer } from '~/domain/notify/webhook-transport.server'
import { incidentCard } from './adaptive-card'
import { postTeamsCard, type TeamsPostSettings } from './teams-post.server'

/**
 * One Teams card: the incident as the event left it (the declaration, or the status it moved to),
 * posted to the organization's incoming webhook.
 */
export async function teamsCardFor(
  em: EntityManager,
  organizationId: string,
  incidentId: string,
  eventSeq: number,
  appUrl: string,
) {
  const incident = await em.findOne(IncidentSchema, { id: incidentId, organizationId })
  const row = await em.findOne(IncidentEventSchema, { organizationId, incidentId, seq: eventSeq })
  if (!incident || !row) return null
  const event = toStoredEvent(row)
  let headline: string
  let status = incident.status
  if (event.type === 'incident.status_changed') {
    status = event.payload.to
    headline = `${STATUS_LABELS[event.payload.from]} → ${STATUS_LABELS[event.payload.to]}`
  } else if (event.type === 'incident.declared') {
    status = event.payload.status
    headline = 'Incident declared'
  } else return null
  const names = await memberNames(em, organizationId, [incident.commanderId])
  return incidentCard({
    number: incident.number,
    title: incident.title,
    severity: incident.severity as Severity,
    status,
    commanderName: incident.commanderId ? (names.get(incident.commanderId) ?? null) : null,
    url: incidentUrl(appUrl, incident.number),
    headline,
  })
}

export function postCard(url: string, card: object, settings: TeamsPostSettings): Promise<Answer> {
  return postTeamsCard(url, card, settings)
}
