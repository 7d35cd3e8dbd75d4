import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { inScope } from '../../../db/tenant'
import { transactionExecutor } from '../../../db/transaction'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { FieldRefusal } from '~/domain/domain-error'
import { sendJob, type PgBoss } from '~/queue/send.server'

/**
 * Chat deliveries under Failed deliveries (/admin/deliveries), beside webhooks and e-mails: the
 * ones that ran out of attempts (`dead`) or had nowhere to go (`failed`: Slack disconnected, Teams
 * webhook removed), and the admin's retry, which starts the delivery's schedule over.
 */

export class ChatDeliveryError extends FieldRefusal {}

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const LIST_LIMIT = 100

const KIND_WORDS: Record<string, string> = {
  channel: 'channel and summary',
  entry: 'timeline entry',
  summary: 'summary update',
  archive: 'channel archive',
  card: 'incident card',
}

export interface FailedChatDelivery {
  kind: 'slack' | 'teams'
  id: string
  status: string
  /** The Slack channel (or workspace, before there is one), or "Microsoft Teams". */
  target: string
  /** The incident and what was to be done. */
  what: string
  reason: string | null
  attempts: number
  at: Date
}

function asAdmin<T>(orm: MikroORM, member: Actorish, work: (em: EntityManager) => Promise<T>) {
  if (!can(member.role, 'settings.manage'))
    throw new ChatDeliveryError(null, 'Only admins can see and retry failed deliveries.', 403)
  return inScope(orm, { organizationId: member.organization.id }, work)
}

export async function listFailedChatDeliveries(
  orm: MikroORM,
  member: Actorish,
): Promise<FailedChatDelivery[]> {
  return asAdmin(orm, member, async (em) => {
    const rows = await em.execute<
      Array<{
        id: string
        provider: 'slack' | 'teams'
        kind: string
        status: string
        attempts: number
        last_error: string | null
        created_at: Date
        number: number
        channel_name: string | null
        team_name: string | null
      }>
    >(
      `select d.id, d.provider, d.kind, d.status, d.attempts, d.last_error, d.created_at,
              i.number, c.channel_name, s.team_name
         from chat_delivery d
         join incident i on i.id = d.incident_id and i.organization_id = d.organization_id
         left join slack_incident_channel c
           on c.incident_id = d.incident_id and c.organization_id = d.organization_id
         left join slack_installation s on s.organization_id = d.organization_id
        where d.organization_id = ? and d.status in ('dead', 'failed')
        order by d.created_at desc
        limit ?`,
      [member.organization.id, LIST_LIMIT],
    )
    return rows.map((r) => ({
      kind: r.provider,
      id: r.id,
      status: r.status,
      target:
        r.provider === 'teams'
          ? 'Microsoft Teams'
          : r.channel_name
            ? `Slack #${r.channel_name}`
            : `Slack ${r.team_name ?? ''}`.trim(),
      what: `INC-${r.number} · ${KIND_WORDS[r.kind] ?? r.kind}`,
      reason: r.last_error,
      attempts: r.attempts,
      at: new Date(r.created_at),
    }))
  })
}

/**
 * Puts a dead or failed chat delivery back to pending, its attempts at zero, with a job for its
 * incident. Another organization's id, or one that is not failed, is refused.
 */
export async function retryChatDelivery(
  orm: MikroORM,
  boss: PgBoss,
  member: Actorish,
  id: string,
): Promise<void> {
  await asAdmin(orm, member, async (em) => {
    if (!UUID.test(id)) throw new ChatDeliveryError(null, 'Delivery not found.', 404)
    const [row] = await em.execute<
      Array<{ incident_id: string; provider: 'slack' | 'teams'; status: string }>
    >(
      `select incident_id, provider, status from chat_delivery
        where id = ? and organization_id = ? for update`,
      [id, member.organization.id],
    )
    if (!row) throw new ChatDeliveryError(null, 'Delivery not found.', 404)
    if (row.status !== 'dead' && row.status !== 'failed')
      throw new ChatDeliveryError(null, 'This delivery is not failed any more.', 409)
    await em.execute(
      `update chat_delivery
          set status = 'pending', attempts = 0, next_attempt_at = null, last_error = null
        where id = ? and organization_id = ?`,
      [id, member.organization.id],
    )
    await sendJob(
      boss,
      'chat-deliver',
      {
        organizationId: member.organization.id,
        incidentId: row.incident_id,
        provider: row.provider,
      },
      { db: await transactionExecutor(em) },
    )
  })
}
