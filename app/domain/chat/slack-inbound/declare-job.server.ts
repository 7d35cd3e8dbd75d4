import type { MikroORM } from '@mikro-orm/postgresql'
import { inScope } from '../../../../db/tenant'
import type { SlackEnv } from '~/domain/chat/slack-installation.server'
import { DomainError } from '~/domain/domain-error'
import { declareIncident } from '~/domain/incident/incident-service.server'
import type { JobPayload } from '~/queue/queues'
import type { Logger } from '~/utils/logger.server'
import { plain } from './command-text'
import { activeMember } from './member-match.server'
import { postToResponseUrl } from './respond.server'

export type SlackDeclareOutcome = 'declared' | 'refused' | 'duplicate'

/**
 * `/incident declare` in the worker: declares the incident as the member who asked, with the
 * same domain command (and permission check) as the form, then says how it went through Slack's
 * response URL. At most once per Slack command (its trigger id is claimed first in
 * `slack_inbound_receipt`): a job handed out again after the claim only gives up, rather than
 * declaring a second incident. A database error before the declaration releases the claim so the
 * retry declares.
 */
export async function runSlackDeclare(
  deps: { orm: MikroORM; env: SlackEnv; logger: Logger },
  payload: JobPayload<'slack-declare'>,
  now: Date,
): Promise<SlackDeclareOutcome> {
  const { organizationId } = payload
  const receiptId = `declare:${payload.triggerId}`
  const claimed = await inScope(deps.orm, { organizationId }, (em) =>
    em.execute<Array<{ receipt_id: string }>>(
      `insert into slack_inbound_receipt (team_id, receipt_id, organization_id, kind, received_at)
       values (?, ?, ?, 'declare', ?) on conflict do nothing returning receipt_id`,
      [payload.teamId, receiptId, organizationId, now],
    ),
  )
  if (claimed.length === 0) return 'duplicate'
  const reply = (text: string, inChannel = false) =>
    postToResponseUrl(deps, payload.responseUrl, {
      text,
      response_type: inChannel ? 'in_channel' : 'ephemeral',
    })

  const member = await activeMember(deps.orm, organizationId, payload.userId)
  if (!member) {
    await reply('Nothing was declared: your IncidentFlow membership is no longer active.')
    return 'refused'
  }
  try {
    const incident = await declareIncident(
      deps.orm,
      member,
      {
        title: payload.title,
        summary: '',
        ...(payload.severity ? { severity: payload.severity } : {}),
      },
      now,
    )
    await reply(
      `${member.user.displayName} declared INC-${incident.number}: ${plain(payload.title)}\n${deps.env.APP_URL.replace(/\/+$/, '')}/incidents/${incident.number}`,
      true,
    )
    return 'declared'
  } catch (error) {
    if (error instanceof DomainError) {
      await reply(`Nothing was declared: ${error.message}`)
      return 'refused'
    }
    await inScope(deps.orm, { organizationId }, (em) =>
      em.execute('delete from slack_inbound_receipt where team_id = ? and receipt_id = ?', [
        payload.teamId,
        receiptId,
      ]),
    )
    throw error
  }
}
