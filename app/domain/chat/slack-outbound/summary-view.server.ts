import type { EntityManager } from '@mikro-orm/postgresql'
import { IncidentSchema, type Incident } from '../../../../db/entities/incident'
import { memberNames } from '~/domain/access/member-names.server'
import { incidentUrl } from '~/domain/notify/emails'
import { worstState } from '~/domain/sla/clock'
import { SLA_TARGET_LABELS } from '~/domain/sla/policy'
import { clocksFor, policiesById } from '~/domain/sla/sla.server'
import type { Severity } from '~/domain/incident/vocabulary'
import type { SummaryView } from './summary-message'

/**
 * The summary message's contents, read fresh from the incident when the delivery runs (so the
 * order of summary deliveries does not matter and a retry is harmless). The commander is
 * mentioned when their Slack account is known (`slack_member`); no Slack call is made here.
 */
export async function loadSummaryView(
  em: EntityManager,
  organizationId: string,
  incidentId: string,
  appUrl: string,
  now: Date,
): Promise<{ incident: Incident; view: SummaryView } | null> {
  const incident = await em.findOne(IncidentSchema, { id: incidentId, organizationId })
  if (!incident) return null
  let commander: SummaryView['commander'] = null
  if (incident.commanderId) {
    const names = await memberNames(em, organizationId, [incident.commanderId])
    const [slack] = await em.execute<Array<{ slack_user_id: string }>>(
      `select slack_user_id from slack_member where organization_id = ? and user_id = ?
        order by looked_up_at desc limit 1`,
      [organizationId, incident.commanderId],
    )
    commander = {
      name: names.get(incident.commanderId) ?? 'Former member',
      slackUserId: slack?.slack_user_id ?? null,
    }
  }
  let sla: SummaryView['sla'] = null
  const policy = incident.slaPolicyId
    ? (await policiesById(em, [incident.slaPolicyId])).get(incident.slaPolicyId)
    : undefined
  if (policy) {
    const clocks = clocksFor(incident, policy.targets, now)
    const state = worstState(clocks)
    const next = clocks.find((c) => !c.reachedAt)
    if (state)
      sla = {
        state,
        next: next ? { label: SLA_TARGET_LABELS[next.target], dueAt: next.dueAt } : null,
      }
  }
  return {
    incident,
    view: {
      number: incident.number,
      title: incident.title,
      status: incident.status,
      severity: incident.severity as Severity,
      commander,
      sla,
      url: incidentUrl(appUrl, incident.number),
    },
  }
}
