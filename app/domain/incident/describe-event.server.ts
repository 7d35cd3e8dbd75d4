import type { Classification, LinkPayload, StoredEvent } from './events'
import { transitionFor, type TransitionAction } from './lifecycle'
import { STATUS_LABELS } from './vocabulary'
import { POSTMORTEM_STATUS_LABELS } from '~/domain/postmortem/vocabulary'
import { formatInZone } from '~/utils/time'
import { COMPONENT_STATE_LABELS, PUBLIC_STATUS_LABELS } from '~/domain/status/status-vocabulary'
import {
  SLA_TARGETS,
  SLA_TARGET_LABELS,
  formatDuration as formatSlaDuration,
} from '~/domain/sla/policy'

/**
 * Words for timeline entries, shared by the incident page, the postmortem's timeline picker and
 * anything else that shows events to people.
 */
export type Describe = {
  name: (id: string | null | undefined) => string | null
  serviceName: (id: string | null) => string | null
  typeName: (id: string | null) => string | null
  timeZone: string
  formatBytes: (size: number) => string
}

/**
 * Words for one timeline entry. A comment's Markdown is not rendered here: it was rendered once,
 * when the comment was written, and is read from the timeline's read model (timeline.server.ts).
 */
export function describeEvent(
  e: StoredEvent,
  { name, serviceName, typeName, timeZone, formatBytes }: Describe,
): { summary: string; detail: string | null } {
  switch (e.type) {
    case 'incident.declared':
      return {
        summary: `declared the incident as ${e.payload.severity}`,
        detail: e.payload.title,
      }
    case 'incident.status_changed': {
      const t = transitionFor(e.payload.action as TransitionAction)
      return {
        summary: `${t.label.toLowerCase()}: ${STATUS_LABELS[e.payload.from]} → ${STATUS_LABELS[e.payload.to]}`,
        detail: e.payload.reason ? `Reason: ${e.payload.reason}` : null,
      }
    }
    case 'incident.severity_changed':
      return {
        summary: `changed severity ${e.payload.from} → ${e.payload.to}`,
        detail: `Reason: ${e.payload.reason}`,
      }
    case 'incident.escalated':
      return {
        summary: `force-escalated ${e.payload.from} → ${e.payload.to}${e.payload.commander ? ' and took command' : ''}`,
        detail: `Reason: ${e.payload.reason}`,
      }
    case 'incident.assignment_changed': {
      const parts: string[] = []
      if (e.payload.commander)
        parts.push(
          `commander ${name(e.payload.commander.from) ?? 'none'} → ${name(e.payload.commander.to) ?? 'none'}`,
        )
      if (e.payload.added.length)
        parts.push(
          `assigned ${e.payload.added.map((id) => name(id) ?? 'former member').join(', ')}`,
        )
      if (e.payload.removed.length)
        parts.push(
          `unassigned ${e.payload.removed.map((id) => name(id) ?? 'former member').join(', ')}`,
        )
      return { summary: `changed ownership: ${parts.join('; ')}`, detail: null }
    }
    case 'incident.field_changed': {
      const show = (field: string, value: string | null) =>
        field === 'serviceId'
          ? (serviceName(value) ?? 'none')
          : field === 'incidentTypeId'
            ? (typeName(value) ?? 'none')
            : (value ?? 'none')
      const label = {
        title: 'title',
        summary: 'summary',
        serviceId: 'service',
        incidentTypeId: 'incident type',
        impactStartedAt: 'impact start',
      }[e.payload.field]
      return {
        summary: `changed the ${label}`,
        detail:
          e.payload.field === 'summary'
            ? null
            : `${show(e.payload.field, e.payload.from)} → ${show(e.payload.field, e.payload.to)}`,
      }
    }
    case 'incident.custom_field_changed': {
      const { fieldLabel, kind, from, to } = e.payload
      const show = (value: unknown, text: string | null | undefined) =>
        value === null || value === undefined
          ? 'none'
          : (text ??
            (kind === 'member'
              ? (name(String(value)) ?? 'former member')
              : Array.isArray(value)
                ? value.join(', ')
                : String(value)))
      return {
        summary:
          to === null
            ? `cleared ${fieldLabel}`
            : `set ${fieldLabel} to ${show(to, e.payload.toText)}`,
        detail: from === null ? null : `Was ${show(from, e.payload.fromText)}`,
      }
    }
    case 'comment.added':
      return { summary: 'commented', detail: null }
    case 'comment.corrected':
      return {
        summary: `corrected the comment #${e.payload.supersedesSeq}`,
        detail: null,
      }
    case 'attachment.added':
      return {
        summary: `added evidence ${e.payload.displayName} (${formatBytes(e.payload.size)})`,
        detail: e.payload.description || null,
      }
    case 'attachment.withdrawn':
      return {
        summary: `withdrew evidence ${e.payload.displayName}`,
        detail: `Reason: ${e.payload.reason}`,
      }
    case 'sla.warning':
      return {
        summary: `SLA at risk: ${SLA_TARGET_LABELS[e.payload.target].toLowerCase()} target (${formatSlaDuration(e.payload.targetSeconds)}) for ${e.payload.severity}`,
        detail: `Due ${formatInZone(e.payload.dueAt, timeZone)} (policy v${e.payload.policyVersion})`,
      }
    case 'sla.breached':
      return {
        summary: `SLA breached: ${SLA_TARGET_LABELS[e.payload.target].toLowerCase()} target (${formatSlaDuration(e.payload.targetSeconds)}) for ${e.payload.severity}`,
        detail: `Was due ${formatInZone(e.payload.dueAt, timeZone)} (policy v${e.payload.policyVersion})`,
      }
    case 'sla.retargeted': {
      const parts = SLA_TARGETS.map(
        (t) =>
          `${SLA_TARGET_LABELS[t].toLowerCase()} ${e.payload.targets[t] === null ? 'none' : formatSlaDuration(e.payload.targets[t])}`,
      )
      return {
        summary: `SLA targets now those of ${e.payload.severity} (policy v${e.payload.policyVersion})`,
        detail: parts.join(', '),
      }
    }
    case 'escalation.fired':
      return {
        summary: `escalation rule “${e.payload.ruleName}” fired (event #${e.payload.causeSeq})`,
        detail: e.payload.actions.length ? `Actions: ${e.payload.actions.join('; ')}` : null,
      }
    case 'alert.received': {
      const { repeat } = e.payload
      const source = `${e.payload.integrationName} (${ALERT_SOURCE_LABELS[e.payload.source]})`
      return {
        summary: repeat
          ? `alert fired ${repeat.count.toLocaleString('en-GB')} times from ${source}: ${e.payload.title}`
          : `alert received from ${source}: ${e.payload.title}`,
        detail: [
          repeat
            ? `From ${formatInZone(repeat.firstAt, timeZone)} to ${formatInZone(repeat.lastAt, timeZone)}`
            : null,
          e.payload.severity ? `Severity ${e.payload.severity}` : null,
          `Key ${e.payload.dedupKey}`,
          e.payload.details,
        ]
          .filter(Boolean)
          .join(' · '),
      }
    }
    case 'alert.resolved':
      return {
        summary: `alert resolved at ${e.payload.integrationName} (${ALERT_SOURCE_LABELS[e.payload.source]}): ${e.payload.title}`,
        detail: [`Key ${e.payload.dedupKey}`, e.payload.details].filter(Boolean).join(' · '),
      }
    case 'postmortem.status_changed':
      return {
        summary: `postmortem ${POSTMORTEM_STATUS_WORDS[e.payload.to]} (revision ${e.payload.revision})`,
        detail: `Was ${POSTMORTEM_STATUS_LABELS[e.payload.from]}`,
      }
    case 'chat.message_captured': {
      const { author, capturedBy, source } = e.payload
      const how = capturedBy.via === 'reaction' ? 'pinned with 📌' : 'added with "Add to timeline"'
      const capturer = capturedBy.userId === author.userId ? null : name(capturedBy.userId)
      return {
        summary: author.userId
          ? 'posted in Slack'
          : `added a Slack message by ${author.name} (no member account)`,
        detail: [`${how}${capturer && author.userId ? ` by ${capturer}` : ''}`, source.permalink]
          .filter(Boolean)
          .join(' · '),
      }
    }
    case 'chat.capture_retracted':
      return {
        summary: `removed the 📌 from the Slack message of entry #${e.payload.capturedSeq}`,
        detail: 'The entry stays on the timeline.',
      }
    case 'status.public_update_posted':
      return {
        summary: `posted a public update (${PUBLIC_STATUS_LABELS[e.payload.status]}): ${e.payload.title}`,
        detail: [
          e.payload.body,
          ...e.payload.components.map((c) => `${c.name}: ${COMPONENT_STATE_LABELS[c.state]}`),
        ].join(' · '),
      }
    case 'incident.reclassified':
      return {
        summary:
          e.payload.classification === 'incident'
            ? 'undid the reclassification: this is an incident again'
            : `reclassified the incident: ${classificationWords(e.payload.classification, e.payload.targetNumber)}`,
        detail: `Reason: ${e.payload.reason}`,
      }
    case 'incident.link_added':
    case 'incident.link_removed':
      return { summary: linkWords(e.type === 'incident.link_added', e.payload), detail: null }
    case 'incident.role_assigned': {
      const role = e.payload.roleName
      const who = (id: string | null) => name(id) ?? 'former member'
      return {
        summary: e.payload.userId
          ? `made ${who(e.payload.userId)} ${role}${e.payload.previousUserId ? ` (was ${who(e.payload.previousUserId)})` : ''}`
          : `removed ${who(e.payload.previousUserId)} as ${role}`,
        detail: null,
      }
    }
    case 'incident.visibility_changed':
      return {
        summary: e.payload.private
          ? 'made the incident private'
          : 'made the incident visible to the whole organization',
        detail: e.payload.reason ? `Reason: ${e.payload.reason}` : null,
      }
    case 'incident.viewer_added':
      return {
        summary: `added ${name(e.payload.userId) ?? 'former member'} as a viewer`,
        detail: null,
      }
    case 'incident.viewer_removed':
      return {
        summary: `removed ${name(e.payload.userId) ?? 'former member'} as a viewer`,
        detail: null,
      }
  }
}

/** "Declined (not an incident)", "duplicate of INC-4", "merged into INC-4". */
export function classificationWords(
  classification: Classification,
  targetNumber: number | null,
): string {
  switch (classification) {
    case 'incident':
      return 'incident'
    case 'declined':
      return 'declined (not an incident)'
    case 'duplicate':
      return `duplicate of INC-${targetNumber}`
    case 'merged':
      return `merged into INC-${targetNumber}`
  }
}

function linkWords(added: boolean, link: LinkPayload): string {
  const other = `INC-${link.relatedNumber}`
  if (link.kind === 'related')
    return added ? `linked this incident to ${other} (related)` : `removed the link to ${other}`
  const how = link.kind === 'duplicate_of' ? 'a duplicate of' : 'merged into'
  if (link.direction === 'to')
    return added ? `recorded this incident as ${how} ${other}` : `removed the link to ${other}`
  return added
    ? `recorded that ${other} was ${how} this incident`
    : `recorded that ${other} is no longer ${how} this incident`
}

export const ALERT_SOURCE_LABELS = {
  alertmanager: 'Alertmanager',
  pagerduty: 'PagerDuty',
  generic: 'generic webhook',
} as const

const POSTMORTEM_STATUS_WORDS = {
  draft: 'back to draft',
  in_review: 'sent for review',
  published: 'published',
} as const
