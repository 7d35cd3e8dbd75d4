import type { EntityManager } from '@mikro-orm/postgresql'
import {
  IncidentEventSchema,
  IncidentSchema,
  IncidentTypeSchema,
  ServiceSchema,
} from '../../../../db/entities/incident'
import { memberNames } from '~/domain/access/member-names.server'
import { personNamer } from '~/domain/access/person-name'
import { describeEvent } from '~/domain/incident/describe-event.server'
import { toStoredEvent } from '~/domain/incident/event-store.server'
import { incidentRoleHolders } from '~/domain/incident/incident-roles.server'
import { formatEvidenceBytes } from '~/utils/format-bytes'
import { incidentChannelName } from './channel-name'
import { entryMessage, entrySource, isSystemSignal, SIGNALS_PARENT_TEXT } from './entry-message'
import { callSlack, isSlackError, type SlackApi } from './slack-api'
import { slackUserIdsFor } from './slack-members.server'
import { summaryMessage } from './summary-message'
import { loadSummaryView } from './summary-view.server'

/**
 * The Slack side of one chat delivery: create or pick the incident's channel, invite, post and
 * update the summary, post entries, archive. Each step reads what it needs fresh and writes what
 * Slack answered in its own short transaction right away (the channel before anything is posted
 * in it), so a retry after a crash picks up where the last attempt got to.
 */

export interface SlackInstallationSettings {
  channelMode: 'per_incident' | 'shared'
  sharedChannelId: string | null
  archiveOnClose: boolean
}

export interface SlackStepContext {
  organizationId: string
  incidentId: string
  api: SlackApi
  installation: SlackInstallationSettings
  appUrl: string
  now: Date
  /** Runs `work` in its own transaction under the organization's scope. */
  inOrganization: <T>(work: (em: EntityManager) => Promise<T>) => Promise<T>
}

/** Nothing went wrong, but the delivery cannot happen yet (its channel is not there). */
export type StepOutcome = 'delivered' | 'skipped' | { waiting: string }

/** Names tried after `name_taken` by a channel that is not ours: `…-2` up to this. */
const NAME_ATTEMPTS = 5
/** Pages of the bot's own channels read when looking for a channel a lost attempt made. */
const OWN_CHANNEL_PAGES = 10

interface ChannelRow {
  channel_id: string
  channel_name: string
  summary_ts: string | null
  signals_thread_ts: string | null
  archived_at: Date | null
}

const NO_CHANNEL: StepOutcome = { waiting: 'Waiting for the incident’s Slack channel.' }

function readChannel(context: SlackStepContext) {
  return context.inOrganization(async (em) => {
    const [row] = await em.execute<ChannelRow[]>(
      `select channel_id, channel_name, summary_ts, signals_thread_ts, archived_at
         from slack_incident_channel where organization_id = ? and incident_id = ?`,
      [context.organizationId, context.incidentId],
    )
    return row ?? null
  })
}

function setChannelField(
  context: SlackStepContext,
  field: 'summary_ts' | 'signals_thread_ts' | 'archived_at',
  value: string | Date,
) {
  return context.inOrganization((em) =>
    em.execute(
      `update slack_incident_channel set ${field} = ? where organization_id = ? and incident_id = ?`,
      [value, context.organizationId, context.incidentId],
    ),
  )
}

const isShared = (context: SlackStepContext, channel: ChannelRow) =>
  context.installation.sharedChannelId !== null &&
  channel.channel_id === context.installation.sharedChannelId

export async function deliverSlack(
  context: SlackStepContext,
  delivery: { kind: string; eventSeq: number },
): Promise<StepOutcome> {
  switch (delivery.kind) {
    case 'channel':
      return deliverChannel(context)
    case 'entry':
      return deliverEntry(context, delivery.eventSeq)
    case 'summary':
      return deliverSummary(context, delivery.eventSeq)
    case 'archive':
      return deliverArchive(context)
    default:
      throw new Error(`Unknown Slack delivery kind ${delivery.kind}`)
  }
}

/**
 * The declaration: the incident's channel (made once: an existing row is reused, and a channel an
 * earlier attempt made before it could store it is found again among the bot's own channels), the
 * commander, assignees and incident-role holders invited, the summary posted (or, on a retry
 * after it was posted, updated).
 */
async function deliverChannel(context: SlackStepContext): Promise<StepOutcome> {
  const loaded = await context.inOrganization((em) =>
    loadSummaryView(em, context.organizationId, context.incidentId, context.appUrl, context.now),
  )
  if (!loaded) return 'skipped'
  const { incident } = loaded
  let channel = await readChannel(context)
  if (!channel) {
    const made =
      context.installation.channelMode === 'shared'
        ? await joinSharedChannel(context)
        : await createIncidentChannel(context, incident.number, incident.title)
    channel = await context.inOrganization(async (em) => {
      await em.execute(
        `insert into slack_incident_channel
           (organization_id, incident_id, channel_id, channel_name, created_at)
         values (?, ?, ?, ?, ?) on conflict (organization_id, incident_id) do nothing`,
        [context.organizationId, context.incidentId, made.id, made.name, context.now],
      )
      const [row] = await em.execute<ChannelRow[]>(
        `select channel_id, channel_name, summary_ts, signals_thread_ts, archived_at
           from slack_incident_channel where organization_id = ? and incident_id = ?`,
        [context.organizationId, context.incidentId],
      )
      return row!
    })
  }
  if (!isShared(context, channel))
    await invitePeople(context, channel.channel_id, [
      ...(incident.commanderId ? [incident.commanderId] : []),
      ...incident.assigneeIds,
      ...(await roleHolderIds(context)),
    ])
  await postOrUpdateSummary(context, channel)
  return 'delivered'
}

/** Members holding an incident role (Communications lead, Scribe …) on the incident. */
async function roleHolderIds(context: SlackStepContext) {
  const holders = await context.inOrganization((em) => incidentRoleHolders(em, context.incidentId))
  return holders.map((h) => h.userId)
}

async function joinSharedChannel(context: SlackStepContext) {
  const id = context.installation.sharedChannelId
  if (!id)
    throw new Error('Slack is set to one shared channel, but no channel is chosen in the settings.')
  try {
    await callSlack(context.api, 'conversations.join', { channel: id })
  } catch (failure) {
    // A private channel cannot be joined: the bot must have been added to it by hand, and the
    // summary's post says so if it was not.
    if (!isSlackError(failure, 'method_not_supported_for_channel_type', 'already_in_channel'))
      throw failure
  }
  return { id, name: id }
}

async function createIncidentChannel(context: SlackStepContext, number: number, title: string) {
  for (let attempt = 1; attempt <= NAME_ATTEMPTS; attempt += 1) {
    const name = incidentChannelName(number, title, attempt)
    try {
      const answer = await callSlack<{ channel?: { id?: string; name?: string } }>(
        context.api,
        'conversations.create',
        { name, is_private: false },
      )
      if (!answer.channel?.id) throw new Error('Slack conversations.create answered no channel')
      return { id: answer.channel.id, name: answer.channel.name ?? name }
    } catch (failure) {
      if (!isSlackError(failure, 'name_taken')) throw failure
      // Ours if an earlier attempt made it and then lost its answer; someone else's otherwise.
      const own = await findOwnChannel(context.api, name)
      if (own) return { id: own, name }
    }
  }
  throw new Error(
    `Slack channel names ${incidentChannelName(number, title)} to -${NAME_ATTEMPTS} are all taken.`,
  )
}

/** The id of the bot's own (unarchived) public channel called `name`, if it has one. */
async function findOwnChannel(api: SlackApi, name: string): Promise<string | null> {
  let cursor: string | undefined
  for (let page = 0; page < OWN_CHANNEL_PAGES; page += 1) {
    const answer = await callSlack<{
      channels?: Array<{ id: string; name: string }>
      response_metadata?: { next_cursor?: string }
    }>(api, 'users.conversations', {
      types: 'public_channel',
      exclude_archived: true,
      limit: 200,
      ...(cursor ? { cursor } : {}),
    })
    const match = answer.channels?.find((c) => c.name === name)
    if (match) return match.id
    cursor = answer.response_metadata?.next_cursor || undefined
    if (!cursor) return null
  }
  return null
}

async function invitePeople(context: SlackStepContext, channelId: string, userIds: string[]) {
  const slackIds = await slackUserIdsFor(
    context.inOrganization,
    context.api,
    context.organizationId,
    userIds,
    context.now,
  )
  if (slackIds.length === 0) return
  try {
    await callSlack(context.api, 'conversations.invite', {
      channel: channelId,
      users: slackIds.join(','),
      force: true,
    })
  } catch (failure) {
    if (!isSlackError(failure, 'already_in_channel', 'cant_invite_self')) throw failure
  }
}

async function postOrUpdateSummary(context: SlackStepContext, channel: ChannelRow) {
  const loaded = await context.inOrganization((em) =>
    loadSummaryView(em, context.organizationId, context.incidentId, context.appUrl, context.now),
  )
  if (!loaded) return
  const message = summaryMessage(loaded.view)
  if (channel.summary_ts) {
    await callSlack(context.api, 'chat.update', {
      channel: channel.channel_id,
      ts: channel.summary_ts,
      ...message,
    })
    return
  }
  const answer = await callSlack<{ ts?: string }>(context.api, 'chat.postMessage', {
    channel: channel.channel_id,
    ...message,
    unfurl_links: false,
    unfurl_media: false,
  })
  if (answer.ts) await setChannelField(context, 'summary_ts', answer.ts)
}

/** A status, severity, commander, title or SLA change: the summary rewritten as it is now. */
async function deliverSummary(context: SlackStepContext, eventSeq: number): Promise<StepOutcome> {
  const channel = await readChannel(context)
  if (!channel?.summary_ts) return NO_CHANNEL
  if (channel.archived_at) return 'skipped'
  const type = await context.inOrganization(async (em) => {
    const event = await em.findOne(IncidentEventSchema, {
      organizationId: context.organizationId,
      incidentId: context.incidentId,
      seq: eventSeq,
    })
    return event?.type ?? null
  })
  // A new commander, assignee or role holder joins the channel too.
  if (
    (type === 'incident.assignment_changed' ||
      type === 'incident.escalated' ||
      type === 'incident.role_assigned') &&
    !isShared(context, channel)
  ) {
    const people = await context.inOrganization((em) =>
      em.findOne(IncidentSchema, {
        organizationId: context.organizationId,
        id: context.incidentId,
      }),
    )
    if (people)
      await invitePeople(context, channel.channel_id, [
        ...(people.commanderId ? [people.commanderId] : []),
        ...people.assigneeIds,
        ...(await roleHolderIds(context)),
      ])
  }
  await postOrUpdateSummary(context, channel)
  return 'delivered'
}

/**
 * One timeline entry, in the words of the incident page. System signals go in one thread under a
 * "System signals" message; in a shared channel every entry goes in the thread of its incident's
 * summary. An entry that came from this incident's channel is not posted back.
 */
async function deliverEntry(context: SlackStepContext, eventSeq: number): Promise<StepOutcome> {
  const channel = await readChannel(context)
  if (!channel) return NO_CHANNEL
  if (channel.archived_at) return 'skipped'
  const shared = isShared(context, channel)
  if (shared && !channel.summary_ts) return NO_CHANNEL
  const described = await context.inOrganization(async (em) => {
    const row = await em.findOne(IncidentEventSchema, {
      organizationId: context.organizationId,
      incidentId: context.incidentId,
      seq: eventSeq,
    })
    if (!row) return null
    const event = toStoredEvent(row)
    if (entrySource(event)?.channelId === channel.channel_id) return 'echo' as const
    return { event, ...(await describeForSlack(em, context.organizationId, event)) }
  })
  if (described === null || described === 'echo') return 'skipped'
  const text = entryMessage(described)
  let threadTs: string | null = null
  if (shared) threadTs = channel.summary_ts
  else if (isSystemSignal(described.event.type)) {
    threadTs = channel.signals_thread_ts
    if (!threadTs) {
      const parent = await callSlack<{ ts?: string }>(context.api, 'chat.postMessage', {
        channel: channel.channel_id,
        text: SIGNALS_PARENT_TEXT,
      })
      if (!parent.ts) throw new Error('Slack chat.postMessage answered no ts')
      threadTs = parent.ts
      await setChannelField(context, 'signals_thread_ts', threadTs)
    }
  }
  await callSlack(context.api, 'chat.postMessage', {
    channel: channel.channel_id,
    text,
    ...(threadTs ? { thread_ts: threadTs } : {}),
    unfurl_links: false,
    unfurl_media: false,
  })
  return 'delivered'
}

async function describeForSlack(
  em: EntityManager,
  organizationId: string,
  event: ReturnType<typeof toStoredEvent>,
) {
  const ids = [event.actorId, ...personIdsIn(event.payload)]
  const names = await memberNames(em, organizationId, ids)
  const [organization] = await em.execute<Array<{ timezone: string }>>(
    `select timezone from organization where id = ?`,
    [organizationId],
  )
  const services = await em.find(ServiceSchema, { organizationId })
  const types = await em.find(IncidentTypeSchema, { organizationId })
  const name = personNamer((id) => names.get(id))
  const words = describeEvent(event, {
    name,
    serviceName: (id) => services.find((s) => s.id === id)?.name ?? null,
    typeName: (id) => types.find((t) => t.id === id)?.name ?? null,
    timeZone: organization?.timezone ?? 'UTC',
    formatBytes: formatEvidenceBytes,
  })
  return { actorName: event.actorId ? name(event.actorId) : null, words }
}

/** User ids an entry's words may name (assignments, commanders). */
function personIdsIn(payload: unknown): string[] {
  const ids: string[] = []
  const visit = (value: unknown) => {
    if (typeof value === 'string') ids.push(value)
    else if (Array.isArray(value)) value.forEach(visit)
    else if (value && typeof value === 'object')
      for (const [key, inner] of Object.entries(value))
        if (['commander', 'added', 'removed', 'from', 'to'].includes(key)) visit(inner)
  }
  visit(payload)
  return ids
}

/** The incident closed: its own channel is archived (never a shared one), if still wanted. */
async function deliverArchive(context: SlackStepContext): Promise<StepOutcome> {
  const channel = await readChannel(context)
  if (!channel) return NO_CHANNEL
  if (channel.archived_at || isShared(context, channel) || !context.installation.archiveOnClose)
    return 'skipped'
  try {
    await callSlack(context.api, 'conversations.archive', { channel: channel.channel_id })
  } catch (failure) {
    if (!isSlackError(failure, 'already_archived')) throw failure
  }
  await setChannelField(context, 'archived_at', context.now)
  return 'delivered'
}
