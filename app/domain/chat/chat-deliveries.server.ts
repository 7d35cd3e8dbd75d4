import type { EntityManager } from '@mikro-orm/postgresql'
import type { Incident } from '../../../db/entities/incident'
import type { ChatProvider } from '../../../db/entities/chat'
import { transactionExecutor } from '../../../db/transaction'
import type { AnyEvent, StoredEvent } from '~/domain/incident/events'
import { sendJobs, type JobToSend, type PgBoss } from '~/queue/send.server'

/**
 * What chat work an incident event causes, written by the event relay in the transaction that
 * fans the event out (app/domain/notify/fanout.server.ts): `chat_delivery` rows, unique per
 * (provider, incident, event, kind) so an event the relay sees twice is delivered once, and one
 * `chat-deliver` job per provider to deliver the incident's waiting rows in order.
 *
 * Slack kinds: `channel` (create or pick the channel, invite, post the summary) for the
 * declaration; `entry` (post the entry) for every later event; `summary` (rewrite the summary
 * message) for the events that change what it shows; `archive` when the incident closes. Teams:
 * `card` for the declaration and every status change.
 */

export type SlackKind = 'channel' | 'entry' | 'summary' | 'archive'
export type ChatKind = SlackKind | 'card'

/**
 * Events that change what the summary message shows (status, severity, commander, title, SLA) or
 * who is invited to the channel (incident roles).
 */
const SUMMARY_EVENTS = new Set<string>([
  'incident.role_assigned',
  'incident.status_changed',
  'incident.severity_changed',
  'incident.escalated',
  'incident.assignment_changed',
  'incident.field_changed',
  'sla.warning',
  'sla.breached',
  'sla.retargeted',
])

export interface SlackSettings {
  channelMode: 'per_incident' | 'shared'
  archiveOnClose: boolean
}

/**
 * The Slack kinds an event yields (pure). `hasChannel`: the incident has a channel or a channel
 * delivery already; an incident declared before Slack was connected gets nothing.
 */
export function slackKindsFor(
  event: AnyEvent,
  settings: SlackSettings,
  hasChannel: boolean,
): SlackKind[] {
  if (event.type === 'incident.declared') return ['channel']
  if (!hasChannel) return []
  const kinds: SlackKind[] = ['entry']
  if (event.type === 'incident.field_changed') {
    if (event.payload.field === 'title') kinds.push('summary')
  } else if (SUMMARY_EVENTS.has(event.type)) kinds.push('summary')
  if (
    event.type === 'incident.status_changed' &&
    event.payload.to === 'closed' &&
    settings.archiveOnClose &&
    settings.channelMode === 'per_incident'
  )
    kinds.push('archive')
  return kinds
}

/** Teams gets a card for each declared incident and each status change. */
export function teamsKindsFor(event: Pick<StoredEvent, 'type'>): Array<'card'> {
  return event.type === 'incident.declared' || event.type === 'incident.status_changed'
    ? ['card']
    : []
}

/**
 * The order of one event's deliveries: the channel first, the entry before the summary it
 * describes, the archive last. Used by the claim (`chat-delivery.server.ts`) as SQL too.
 */
export const KIND_ORDER: Record<ChatKind, number> = {
  channel: 0,
  card: 0,
  entry: 1,
  summary: 2,
  archive: 3,
}

const INSERT_SQL = `
  insert into chat_delivery (organization_id, provider, incident_id, event_seq, kind, status,
                             attempts, next_attempt_at)
  select $1, v.provider, $2, $3, v.kind, 'pending', 0, null
    from unnest($4::text[], $5::text[]) as v(provider, kind)
  on conflict (provider, incident_id, event_seq, kind) do nothing
  returning provider`

/**
 * Writes the event's chat deliveries and their jobs, inside the fan-out's transaction (under the
 * incident's organization). Nothing for an organization with neither Slack nor Teams.
 */
export async function queueChatDeliveries(
  em: EntityManager,
  boss: PgBoss,
  input: { incident: Pick<Incident, 'id' | 'organizationId'>; event: StoredEvent },
): Promise<number> {
  const { incident, event } = input
  const [found] = await em.execute<
    Array<{
      channel_mode: 'per_incident' | 'shared' | null
      archive_on_close: boolean | null
      teams: boolean
      has_channel: boolean
    }>
  >(
    `select s.channel_mode, s.archive_on_close,
            exists (select 1 from teams_webhook t where t.organization_id = o.id) as teams,
            (exists (select 1 from slack_incident_channel c
                      where c.organization_id = o.id and c.incident_id = ?)
             or exists (select 1 from chat_delivery d
                         where d.organization_id = o.id and d.incident_id = ?
                           and d.provider = 'slack' and d.kind = 'channel')) as has_channel
       from organization o
       left join slack_installation s on s.organization_id = o.id
      where o.id = ?`,
    [incident.id, incident.id, incident.organizationId],
  )
  if (!found) return 0
  const rows: Array<{ provider: ChatProvider; kind: ChatKind }> = []
  if (found.channel_mode) {
    const settings = {
      channelMode: found.channel_mode,
      archiveOnClose: found.archive_on_close ?? true,
    }
    for (const kind of slackKindsFor(event, settings, found.has_channel))
      rows.push({ provider: 'slack', kind })
  }
  if (found.teams) for (const kind of teamsKindsFor(event)) rows.push({ provider: 'teams', kind })
  if (rows.length === 0) return 0

  const db = await transactionExecutor(em)
  const { rows: inserted } = (await db.executeSql(INSERT_SQL, [
    incident.organizationId,
    incident.id,
    event.seq,
    rows.map((r) => r.provider),
    rows.map((r) => r.kind),
  ])) as { rows: Array<{ provider: ChatProvider }> }
  const providers = [...new Set(inserted.map((r) => r.provider))]
  const jobs: JobToSend<'chat-deliver'>[] = providers.map((provider) => ({
    queue: 'chat-deliver',
    payload: { organizationId: incident.organizationId, incidentId: incident.id, provider },
  }))
  await sendJobs(boss, jobs, { db })
  return inserted.length
}
