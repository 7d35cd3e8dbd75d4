import { slackClient, slackErrorCode } from '~/domain/chat/slack-client.server'
import type { OrganizationInstallation } from '~/domain/chat/slack-installation.server'
import { captureChatMessage, retractChatCapture } from '~/domain/incident/chat-capture.server'
import { transitionIncident } from '~/domain/incident/incident-service.server'
import type { TransitionAction } from '~/domain/incident/lifecycle'
import { STATUS_LABELS } from '~/domain/incident/vocabulary'
import { plain } from './command-text'
import {
  incidentOfThread,
  incidentTarget,
  installationOf,
  refusalText,
  type SlackInboundDeps,
} from './context.server'
import { memberForSlackUser } from './member-match.server'
import { postToResponseUrl } from './respond.server'

/** The summary message's buttons (rendered by the outbound side) and what each one does. */
export const BUTTON_ACTIONS: Record<string, TransitionAction> = {
  incident_start_investigating: 'start-investigating',
  incident_mark_mitigated: 'mark-mitigated',
  incident_mark_resolved: 'mark-resolved',
}

export const ADD_TO_TIMELINE = 'add_to_timeline'
export const PIN_REACTION = 'pushpin'

export interface SlackEvent {
  type?: string
  user?: string
  reaction?: string
  item_user?: string
  item?: { type?: string; channel?: string; ts?: string }
}

type Payload = Record<string, unknown>

const obj = (value: unknown): Payload =>
  value && typeof value === 'object' ? (value as Payload) : {}
const str = (value: unknown) => (typeof value === 'string' ? value : '')

/**
 * Interactivity: a summary message button (the same transition as the incident page's button) or
 * the "Add to timeline" message shortcut. The outcome goes back through the payload's response
 * URL, visible only to the person who clicked.
 */
export async function handleInteraction(
  deps: SlackInboundDeps,
  organizationId: string,
  payload: Payload,
  now: Date,
) {
  const responseUrl = str(payload.response_url)
  const reply = (text: string) => postToResponseUrl(deps, responseUrl, { text })
  const slackUserId = str(obj(payload.user).id)
  const type = str(payload.type)
  const isButton = type === 'block_actions'
  const isShortcut = type === 'message_action' && payload.callback_id === ADD_TO_TIMELINE
  if (!isButton && !isShortcut) return

  const installation = await installationOf(deps, organizationId)
  if (!installation) return
  const { member } = await memberForSlackUser(deps.orm, deps.env, {
    organizationId,
    botToken: installation.botToken,
    slackUserId,
    now,
  })
  if (!member) {
    await reply(
      'Your Slack account’s e-mail address does not belong to an active IncidentFlow member of this organization, so nothing was done.',
    )
    return
  }

  if (isButton) {
    const [action] = Array.isArray(payload.actions) ? (payload.actions as unknown[]) : []
    const transition = BUTTON_ACTIONS[str(obj(action).action_id)]
    const match = /^INC-(\d{1,10})$/.exec(str(obj(action).value))
    if (!transition || !match) return
    const number = Number(match[1])
    try {
      const result = await transitionIncident(deps.orm, member, number, { action: transition }, now)
      await reply(`INC-${number} is now ${STATUS_LABELS[result.status]}.`)
    } catch (error) {
      const words = refusalText(error, number)
      if (words === null) throw error
      await reply(`Nothing changed: ${words}`)
    }
    return
  }

  // The "Add to timeline" shortcut on a message.
  const channelId = str(obj(payload.channel).id)
  const message = obj(payload.message)
  const target = await messageTarget(deps, installation, organizationId, channelId, {
    ts: str(message.ts),
    threadTs: str(message.thread_ts) || null,
  })
  if ('refusal' in target) {
    await reply(
      'Use "Add to timeline" inside the incident’s own channel or its thread in the shared channel; this message belongs to no single incident.',
    )
    return
  }
  const outcome = await capture(deps, installation, organizationId, target.number, now, {
    capturer: member,
    via: 'shortcut',
    channelId,
    ts: str(message.ts),
    authorId: str(message.user),
    text: str(message.text),
  })
  await reply(outcome)
}

/**
 * Events API: 📌 added to a message in an incident's channel captures it on the timeline;
 * removing the 📌 records a correction. Someone who may not change the incident is told so
 * privately; anything else (other reactions, other channels) is ignored.
 */
export async function handleEvent(
  deps: SlackInboundDeps,
  organizationId: string,
  event: SlackEvent,
  now: Date,
) {
  const added = event.type === 'reaction_added'
  if (!added && event.type !== 'reaction_removed') return
  if (event.reaction !== PIN_REACTION || event.item?.type !== 'message') return
  const channelId = str(event.item.channel)
  const ts = str(event.item.ts)
  const reactor = str(event.user)
  if (!channelId || !ts || !reactor) return

  const installation = await installationOf(deps, organizationId)
  if (!installation || reactor === installation.botUserId) return
  if (event.item_user === installation.botUserId) return
  const message = await messageAt(deps, installation, channelId, ts)
  if (!message) return
  const target = await messageTarget(deps, installation, organizationId, channelId, {
    ts,
    threadTs: message.threadTs,
  })
  if ('refusal' in target) return
  const { member } = await memberForSlackUser(deps.orm, deps.env, {
    organizationId,
    botToken: installation.botToken,
    slackUserId: reactor,
    now,
  })
  if (!member) return
  const tell = (text: string) => postEphemeral(deps, installation, channelId, reactor, text)

  if (!added) {
    try {
      await retractChatCapture(
        deps.orm,
        member,
        target.number,
        {
          kind: 'slack',
          channelId,
          messageTs: ts,
          permalink: await permalinkOf(deps, installation, channelId, ts),
        },
        now,
      )
    } catch (error) {
      const words = refusalText(error, target.number)
      if (words === null) throw error
      await tell(`The timeline was not changed: ${words}`)
    }
    return
  }

  const outcome = await capture(deps, installation, organizationId, target.number, now, {
    capturer: member,
    via: 'reaction',
    channelId,
    ts,
    authorId: str(event.item_user),
    text: message.text,
  })
  if (outcome.startsWith('Nothing')) await tell(outcome)
}

/**
 * The incident a message belongs to: the one whose summary starts its thread (how incidents share
 * one channel), otherwise the channel's own incident.
 */
async function messageTarget(
  deps: SlackInboundDeps,
  installation: OrganizationInstallation,
  organizationId: string,
  channelId: string,
  message: { ts: string; threadTs: string | null },
) {
  const inThread = await incidentOfThread(deps, organizationId, channelId, message.threadTs)
  if (inThread !== null) return { number: inThread }
  return incidentTarget(deps, installation, organizationId, channelId, null)
}

async function capture(
  deps: SlackInboundDeps,
  installation: OrganizationInstallation,
  organizationId: string,
  number: number,
  now: Date,
  input: {
    capturer: Parameters<typeof captureChatMessage>[1]
    via: 'reaction' | 'shortcut'
    channelId: string
    ts: string
    authorId: string
    text: string
  },
): Promise<string> {
  // An author Slack cannot tell about (deleted, an app) is recorded by id, not a reason to fail.
  const author = input.authorId
    ? await memberForSlackUser(deps.orm, deps.env, {
        organizationId,
        botToken: installation.botToken,
        slackUserId: input.authorId,
        now,
      }).catch((error: unknown) => {
        deps.logger.warn({ slackError: slackErrorCode(error) }, 'Slack author lookup failed')
        return { member: null, slackName: null }
      })
    : { member: null, slackName: null }
  const permalink = await permalinkOf(deps, installation, input.channelId, input.ts)
  try {
    const outcome = await captureChatMessage(
      deps.orm,
      input.capturer,
      number,
      {
        body: input.text,
        author: {
          userId: author.member?.user.id ?? null,
          chatUserId: input.authorId,
          name: author.member?.user.displayName ?? author.slackName ?? 'unknown Slack user',
        },
        via: input.via,
        source: { kind: 'slack', channelId: input.channelId, messageTs: input.ts, permalink },
      },
      now,
    )
    return outcome.kind === 'captured'
      ? `Added to INC-${number}’s timeline.`
      : `That message is already on INC-${number}’s timeline.`
  } catch (error) {
    const words = refusalText(error, number)
    if (words === null) throw error
    return `Nothing added to INC-${number}: ${plain(words)}`
  }
}

/**
 * The message's text and thread: `conversations.history` (up to and including its ts) for the
 * channel's own messages, `conversations.replies` for a reply inside a thread. Null when the app
 * cannot read it.
 */
async function messageAt(
  deps: SlackInboundDeps,
  installation: OrganizationInstallation,
  channelId: string,
  ts: string,
): Promise<{ text: string; threadTs: string | null } | null> {
  const client = slackClient(installation.botToken, deps.env)
  const found = (messages: Array<{ ts?: string; text?: string; thread_ts?: string }> = []) => {
    const message = messages.find((m) => m.ts === ts)
    return message ? { text: message.text ?? '', threadTs: message.thread_ts ?? null } : null
  }
  try {
    const history = await client.conversations.history({
      channel: channelId,
      latest: ts,
      inclusive: true,
      limit: 1,
    })
    const top = found(history.messages)
    if (top) return top
    const replies = await client.conversations.replies({ channel: channelId, ts })
    return found(replies.messages)
  } catch (error) {
    // Not readable by the app (not in the channel, deleted): nothing to capture.
    deps.logger.warn({ slackError: slackErrorCode(error) }, 'Slack message not readable')
    return null
  }
}

async function permalinkOf(
  deps: SlackInboundDeps,
  installation: OrganizationInstallation,
  channelId: string,
  ts: string,
) {
  try {
    const answer = await slackClient(installation.botToken, deps.env).chat.getPermalink({
      channel: channelId,
      message_ts: ts,
    })
    return answer.permalink ?? null
  } catch (error) {
    deps.logger.warn({ slackError: slackErrorCode(error) }, 'Slack permalink not available')
    return null
  }
}

async function postEphemeral(
  deps: SlackInboundDeps,
  installation: OrganizationInstallation,
  channel: string,
  user: string,
  text: string,
) {
  try {
    await slackClient(installation.botToken, deps.env).chat.postEphemeral({ channel, user, text })
  } catch (error) {
    deps.logger.warn({ slackError: slackErrorCode(error) }, 'Slack ephemeral message failed')
  }
}
