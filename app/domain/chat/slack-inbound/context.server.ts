import { readScope } from '../../../../db/tenant'
import {
  loadInstallation,
  type OrganizationInstallation,
} from '~/domain/chat/slack-installation.server'
import { DomainError } from '~/domain/domain-error'
import type { MikroORM } from '@mikro-orm/postgresql'
import type { SlackEnv } from '~/domain/chat/slack-installation.server'
import type { PgBoss } from '~/queue/send.server'
import type { Logger } from '~/utils/logger.server'

export interface SlackInboundDeps {
  orm: MikroORM
  boss: PgBoss
  env: SlackEnv
  logger: Logger
  now: () => Date
}

/** What every Slack action needs: the installation (bot token opened) of the organization. */
export async function installationOf(
  deps: Pick<SlackInboundDeps, 'orm' | 'env'>,
  organizationId: string,
): Promise<OrganizationInstallation | null> {
  return readScope(deps.orm, { organizationId }, (em) =>
    loadInstallation(em, deps.env, organizationId),
  )
}

/** The incident a request acts on, or words saying why there is none. */
export type IncidentTarget = { number: number } | { refusal: string }

/**
 * `INC-<n>` when the person named one; otherwise the incident whose channel this is. A shared
 * channel (several incidents, or the installation's shared mode) needs the number named.
 */
export async function incidentTarget(
  deps: Pick<SlackInboundDeps, 'orm'>,
  installation: Pick<OrganizationInstallation, 'channelMode' | 'sharedChannelId'>,
  organizationId: string,
  channelId: string,
  named: number | null,
): Promise<IncidentTarget> {
  if (named !== null) return { number: named }
  const example = '`/incident ack INC-42`'
  if (installation.channelMode === 'shared' && channelId === installation.sharedChannelId)
    return { refusal: `Several incidents share this channel: name one, e.g. ${example}.` }
  const rows = await readScope(deps.orm, { organizationId }, (em) =>
    em.execute<Array<{ number: number }>>(
      `select i.number from slack_incident_channel c
         join incident i on i.id = c.incident_id and i.organization_id = c.organization_id
        where c.organization_id = ? and c.channel_id = ?
        order by i.number desc limit 2`,
      [organizationId, channelId],
    ),
  )
  if (rows.length === 1) return { number: rows[0]!.number }
  if (rows.length > 1)
    return { refusal: `Several incidents share this channel: name one, e.g. ${example}.` }
  return { refusal: `This is not an incident’s channel: name the incident, e.g. ${example}.` }
}

/**
 * The incident whose summary message starts this thread (in a shared channel each incident lives
 * in its summary's thread), or null.
 */
export async function incidentOfThread(
  deps: Pick<SlackInboundDeps, 'orm'>,
  organizationId: string,
  channelId: string,
  threadTs: string | null,
): Promise<number | null> {
  if (!threadTs) return null
  const [row] = await readScope(deps.orm, { organizationId }, (em) =>
    em.execute<Array<{ number: number }>>(
      `select i.number from slack_incident_channel c
         join incident i on i.id = c.incident_id and i.organization_id = c.organization_id
        where c.organization_id = ? and c.channel_id = ? and c.summary_ts = ?`,
      [organizationId, channelId, threadTs],
    ),
  )
  return row?.number ?? null
}

/** Words for a refusal: the domain's own, or a plain one for a missing incident. */
export function refusalText(error: unknown, number: number): string | null {
  if (!(error instanceof DomainError)) return null
  if (error.status === 404) return `INC-${number} was not found.`
  return error.message
}
