import type { EntityManager } from '@mikro-orm/postgresql'
import type { Incident } from '../../../db/entities/incident'
import { SlaPolicySchema } from '../../../db/entities/sla'
import { refreshSlaDeadline } from '~/domain/sla/sla.server'
import { appendEvent } from './event-store.server'

/**
 * After a severity change: the incident keeps its policy version but now runs on that
 * severity's targets, which the timeline records before the deadline is recomputed.
 */
export async function retargetSla(em: EntityManager, incident: Incident, now: Date) {
  if (incident.slaPolicyId) {
    const policy = await em.findOneOrFail(SlaPolicySchema, { id: incident.slaPolicyId })
    const row = policy.targets[incident.severity]
    await appendEvent(
      em,
      incident,
      'sla.retargeted',
      {
        severity: incident.severity,
        policyVersion: policy.version,
        targets: { acknowledge: row.acknowledge, mitigate: row.mitigate, resolve: row.resolve },
        warningPercent: row.warningPercent,
      },
      null,
      now,
    )
  }
  await refreshSlaDeadline(em, incident, now)
}
