import { actingAs, readScope } from '../../../../db/tenant'
import { IncidentSchema } from '../../../../db/entities/incident'
import { memberNames } from '~/domain/access/member-names.server'
import {
  addComment,
  changeSeverity,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import { STATUS_LABELS, type Severity } from '~/domain/incident/vocabulary'
import { slackErrorCode } from '~/domain/chat/slack-client.server'
import { sendJob } from '~/queue/send.server'
import { HELP_TEXT, parseSlackCommand, plain, TRANSITION_WORDS } from './command-text'
import {
  incidentTarget,
  installationOf,
  refusalText,
  type SlackInboundDeps,
} from './context.server'
import { memberForSlackUser, type SlackActor } from './member-match.server'
import { isSlackResponseUrl, type SlackReply } from './respond.server'

/** The fields of a slash command request this handler reads. */
export interface CommandForm {
  userId: string
  channelId: string
  text: string
  responseUrl: string
  triggerId: string
}

const TITLE_MIN = 3
const TITLE_MAX = 200

const ephemeral = (text: string): SlackReply => ({ response_type: 'ephemeral', text })

/**
 * `/incident …`: answered within Slack's three seconds. A declaration is queued for the worker
 * (it reports back through the response URL); the other subcommands run the same domain command
 * as the incident page, as the Slack user's member account, and answer with its outcome or the
 * refusal's words.
 */
export async function handleCommand(
  deps: SlackInboundDeps,
  organizationId: string,
  form: CommandForm,
  now: Date,
): Promise<SlackReply> {
  const command = parseSlackCommand(form.text)
  if (command.kind === 'help')
    return ephemeral(
      command.unknown ? `I don’t know “${plain(command.unknown)}”.\n${HELP_TEXT}` : HELP_TEXT,
    )
  const installation = await installationOf(deps, organizationId)
  if (!installation) return ephemeral('This workspace is no longer connected to IncidentFlow.')
  const { member } = await memberForSlackUser(deps.orm, deps.env, {
    organizationId,
    botToken: installation.botToken,
    slackUserId: form.userId,
    now,
  }).catch((error: unknown) => {
    // Slack could not say who this is (down, rate limited, token revoked): nothing is done.
    deps.logger.warn({ slackError: slackErrorCode(error) }, 'Slack users.info failed')
    return { member: undefined }
  })
  if (member === undefined)
    return ephemeral(
      'Slack could not tell IncidentFlow who you are just now; nothing was done. Try again.',
    )
  if (!member)
    return ephemeral(
      'Your Slack account’s e-mail address does not belong to an active IncidentFlow member of this organization, so nothing was done. Ask an admin to invite that address.',
    )

  if (command.kind === 'declare') return declare(deps, member, form, command, installation.teamId)

  // As the member from here on, although no web request carries them: a private incident they
  // may not see is one that does not exist (decision 037).
  return actingAs(member.user.id, async () => {
    const target = await incidentTarget(
      deps,
      installation,
      organizationId,
      form.channelId,
      command.number,
    )
    if ('refusal' in target) return ephemeral(target.refusal)
    const { number } = target
    try {
      switch (command.kind) {
        case 'transition': {
          const result = await transitionIncident(
            deps.orm,
            member,
            number,
            { action: TRANSITION_WORDS[command.action] },
            now,
          )
          return {
            response_type: 'in_channel',
            text: `INC-${number} is now ${STATUS_LABELS[result.status]} (by ${member.user.displayName}).`,
          }
        }
        case 'severity': {
          if (!command.severity)
            return ephemeral(
              'Name the severity: `/incident severity SEV-2 <reason>` (SEV-1 … SEV-4).',
            )
          if (!command.reason.trim())
            return ephemeral(
              `Give a reason: \`/incident severity ${command.severity} customers cannot log in\`.`,
            )
          await changeSeverity(
            deps.orm,
            member,
            number,
            { severity: command.severity, reason: command.reason },
            now,
          )
          return {
            response_type: 'in_channel',
            text: `INC-${number} is now ${command.severity} (by ${member.user.displayName}): ${plain(command.reason)}`,
          }
        }
        case 'note': {
          if (!command.text.trim()) return ephemeral('Write the note: `/incident note <text>`.')
          await addComment(
            deps.orm,
            member,
            number,
            {
              body: command.text,
              source: { kind: 'slack', channelId: form.channelId, messageTs: '', permalink: null },
            },
            now,
          )
          return {
            response_type: 'in_channel',
            text: `Note added to INC-${number} by ${member.user.displayName}: ${plain(command.text)}`,
          }
        }
        case 'status':
          return ephemeral(await statusText(deps, member, number))
      }
    } catch (error) {
      const words = refusalText(error, number)
      if (words === null) throw error
      return ephemeral(`Nothing changed: ${words}`)
    }
  })
}

async function declare(
  deps: SlackInboundDeps,
  member: SlackActor,
  form: CommandForm,
  command: { severity: Severity | null; title: string },
  teamId: string,
): Promise<SlackReply> {
  const title = command.title.trim()
  if (title.length < TITLE_MIN || title.length > TITLE_MAX)
    return ephemeral(
      `Give the incident a title of ${TITLE_MIN} to ${TITLE_MAX} characters: \`/incident declare [SEV-2] Checkout is failing\`.`,
    )
  if (!isSlackResponseUrl(form.responseUrl, deps.env.SLACK_API_URL) || !form.triggerId)
    return ephemeral('Slack sent this command without a reply address; try again.')
  await sendJob(deps.boss, 'slack-declare', {
    organizationId: member.organization.id,
    userId: member.user.id,
    teamId,
    triggerId: form.triggerId.slice(0, 200),
    title,
    severity: command.severity,
    responseUrl: form.responseUrl,
  })
  return ephemeral(
    `Declaring “${plain(title)}”${command.severity ? ` as ${command.severity}` : ''}…`,
  )
}

async function statusText(deps: SlackInboundDeps, member: SlackActor, number: number) {
  const organizationId = member.organization.id
  return readScope(deps.orm, { organizationId }, async (em) => {
    const incident = await em.findOne(IncidentSchema, { organizationId, number })
    if (!incident) return `INC-${number} was not found.`
    const names = await memberNames(em, organizationId, [incident.commanderId])
    const commander = incident.commanderId
      ? (names.get(incident.commanderId) ?? 'former member')
      : 'nobody'
    return [
      `*INC-${number}: ${plain(incident.title)}*`,
      `Status: ${STATUS_LABELS[incident.status]} · Severity: ${incident.severity} · Commander: ${plain(commander)}`,
      `${deps.env.APP_URL.replace(/\/+$/, '')}/incidents/${number}`,
    ].join('\n')
  })
}
