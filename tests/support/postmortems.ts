import type { MikroORM } from '@mikro-orm/postgresql'
import {
  addComment,
  declareIncident,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import type { TransitionAction } from '~/domain/incident/lifecycle'
import type { Severity } from '~/domain/incident/vocabulary'
import type { TestMember } from './incidents'

const DAY = 86_400_000
const MINUTE = 60_000

const TO_POSTMORTEM: TransitionAction[] = [
  'start-investigating',
  'mark-mitigated',
  'mark-resolved',
  'start-postmortem',
]

/**
 * An incident whose impact began `daysAgo` days ago, declared by `who` a minute later and moved
 * on to Postmortem a minute a step; `comment`, when given, is added half a minute after declaring.
 */
export async function incidentInPostmortem(
  orm: MikroORM,
  who: TestMember,
  title: string,
  options: { daysAgo: number; severity: Severity; comment?: string },
): Promise<number> {
  const start = Date.now() - options.daysAgo * DAY
  const { number } = await declareIncident(
    orm,
    who,
    {
      title,
      summary: '',
      severity: options.severity,
      serviceId: null,
      impactStartedAt: new Date(start),
    },
    new Date(start + MINUTE),
  )
  if (options.comment)
    await addComment(orm, who, number, { body: options.comment }, new Date(start + 1.5 * MINUTE))
  for (const [i, action] of TO_POSTMORTEM.entries())
    await transitionIncident(orm, who, number, { action }, new Date(start + (i + 2) * MINUTE))
  return number
}
