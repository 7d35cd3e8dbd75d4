import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import type { Incident } from '../../../db/entities/incident'
import { inScope } from '../../../db/tenant'
import type { Member } from '~/domain/access/guard.server'
import { now as clockNow } from '~/utils/clock'
import { appendEvent, lockIncident } from './event-store.server'
import type { ChatSource, EventPayloads } from './events'
import { IncidentError } from './incident-errors'
import { canWork } from './incident-queries.server'
import { COMMENT_MAX } from './vocabulary'

/**
 * Chat messages on the timeline: a message pinned with 📌 or sent with "Add to timeline" becomes
 * a `chat.message_captured` entry; removing the 📌 appends `chat.capture_retracted` (the timeline
 * is append-only, so the entry itself stays). Whoever captures must be allowed to comment on the
 * incident, as on the web. The entry's actor is the message's author when they are a member, so
 * the timeline shows who said it; an author without a member account is named from chat and
 * the capturing member is the actor.
 */

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

export interface CaptureInput {
  body: string
  author: EventPayloads['chat.message_captured']['author']
  via: 'reaction' | 'shortcut'
  source: ChatSource
}

export type CaptureOutcome =
  | { kind: 'captured'; seq: number }
  /** The message is already on the timeline (pinned twice, or pinned and shortcut). */
  | { kind: 'already'; seq: number }

export async function captureChatMessage(
  orm: MikroORM,
  capturer: Actorish,
  number: number,
  input: CaptureInput,
  now = clockNow(),
): Promise<CaptureOutcome> {
  // NUL cannot be stored in jsonb; a chat message is taken as it is otherwise, cut to a comment's size.
  const body = input.body.replaceAll('\u0000', '').trim().slice(0, COMMENT_MAX)
  if (!body) throw new IncidentError('body', 'That message has no text to add to the timeline.')
  return inScope(orm, { organizationId: capturer.organization.id }, async (em) => {
    const incident = await lockIncident(em, capturer.organization.id, number, undefined)
    if (!canWork(capturer, incident))
      throw new IncidentError(
        null,
        'Only the commander, an assignee or an admin can add to the timeline.',
        403,
      )
    const last = await lastCaptureEntry(em, incident, input.source)
    if (last?.type === 'chat.message_captured') return { kind: 'already', seq: last.seq }
    await appendEvent(
      em,
      incident,
      'chat.message_captured',
      {
        body,
        author: input.author,
        capturedBy: { userId: capturer.user.id, via: input.via },
        source: input.source,
      },
      input.author.userId ?? capturer.user.id,
      now,
    )
    return { kind: 'captured', seq: incident.lastEventSeq }
  })
}

/**
 * The 📌 came off a captured message: a correction entry pointing at the capture. Nothing happens
 * when the message was never captured, or its capture was already retracted.
 */
export async function retractChatCapture(
  orm: MikroORM,
  member: Actorish,
  number: number,
  source: ChatSource,
  now = clockNow(),
): Promise<{ seq: number } | null> {
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const incident = await lockIncident(em, member.organization.id, number, undefined)
    if (!canWork(member, incident))
      throw new IncidentError(
        null,
        'Only the commander, an assignee or an admin can change the timeline.',
        403,
      )
    const last = await lastCaptureEntry(em, incident, source)
    if (last?.type !== 'chat.message_captured') return null
    await appendEvent(
      em,
      incident,
      'chat.capture_retracted',
      { capturedSeq: last.seq, source },
      member.user.id,
      now,
    )
    return { seq: incident.lastEventSeq }
  })
}

async function lastCaptureEntry(em: EntityManager, incident: Incident, source: ChatSource) {
  const [row] = await em.execute<Array<{ seq: number; type: string }>>(
    `select seq, type from incident_event
      where organization_id = ? and incident_id = ?
        and type in ('chat.message_captured', 'chat.capture_retracted')
        and payload -> 'source' ->> 'channelId' = ? and payload -> 'source' ->> 'messageTs' = ?
      order by seq desc limit 1`,
    [incident.organizationId, incident.id, source.channelId, source.messageTs],
  )
  return row ?? null
}
