import type { MikroORM } from '@mikro-orm/postgresql'
import type { Member } from '~/domain/access/guard.server'
import { FORMER_MEMBER, personNamer } from '~/domain/access/person-name'
import { incidentCustomFields } from '~/domain/custom-fields/custom-field-forms.server'
import { memberDirectory } from '~/domain/reference/reference-data.server'
import { clocksFor } from '~/domain/sla/sla.server'
import { SLA_TARGET_LABELS, formatDuration as formatSlaDuration } from '~/domain/sla/policy'
import { formatEvidenceBytes } from '~/utils/format-bytes'
import { shownTime } from '~/utils/shown-time.server'
import { formatDuration, formatInZone, toLocalInput, utcTitle } from '~/utils/time'
import type { Describe } from './describe-event.server'
import { describeEvent } from './describe-event.server'
import type { StoredEvent } from './events'
import { readIncidentPage, type IncidentOverview } from './incident-queries.server'
import { incidentRelations } from './incident-relations.server'
import { runKind } from './timeline-runs'
import type { TimelineEntry, TimelinePaging } from './timeline-view'
import { timelineWindowQuery, type TimelineWindow } from './timeline.server'
import { visibilityViewOf } from './visibility.server'

type Viewer = Pick<Member, 'user' | 'role' | 'organization'>

/**
 * The words people read about one incident's facts: names (someone who left is a "Former
 * member"), its service and type, and file sizes. The page and the API's event summaries describe
 * events with it; the API names nobody for someone who left (`former: null`), as it always has.
 */
export function incidentWords(
  detail: Pick<IncidentOverview, 'people' | 'services' | 'types'>,
  timeZone: string,
  { former }: { former?: null } = {},
): Describe {
  const find = (id: string) => detail.people.get(id)?.name
  return {
    name: former === null ? personNamer(find, null) : personNamer(find),
    serviceName: (id) => detail.services.find((s) => s.id === id)?.name ?? null,
    typeName: (id) => detail.types.find((t) => t.id === id)?.name ?? null,
    timeZone,
    formatBytes: formatEvidenceBytes,
  }
}

/**
 * Everything the incident page shows, ready to render: the incident's facts in the
 * organization's time zone, one page of its timeline in words, its evidence, SLA clocks at `now`
 * and the forms the viewer may use. Null for a number this organization does not have.
 */
export async function incidentPageView(
  orm: MikroORM,
  member: Viewer,
  number: number,
  options: {
    timelineWindow: TimelineWindow
    /** The comment whose correction form is open (`?correct=<seq>`), if any. */
    correcting: number | null
    evidenceMaxBytes: number
    now: Date
  },
) {
  const { timelineWindow, now } = options
  const detail = await readIncidentPage(orm, member, number, timelineWindow)
  if (!detail) return null
  const { incident, attachments } = detail
  const timeZone = member.organization.timezone
  const words = incidentWords(detail, timeZone)
  const { name } = words
  const entryTime = (iso: string) => shownTime(member.organization.id, timeZone, iso)

  const organizationId = member.organization.id
  const postmortemStatus =
    incident.status === 'postmortem' || incident.status === 'closed'
      ? (detail.postmortemStatus ?? 'draft')
      : null
  const evidenceHref = (id: string) => `/incidents/${incident.number}/evidence/${id}`
  const attachmentOf = (e: StoredEvent): TimelineEntry['attachment'] => {
    if (e.type !== 'attachment.added') return undefined
    const row = attachments.find((a) => a.id === e.payload.attachmentId)
    if (!row) return undefined
    return {
      href: evidenceHref(row.id),
      previewHref:
        row.contentType.startsWith('image/') && !row.withdrawnAt
          ? `${evidenceHref(row.id)}?inline=1`
          : null,
      sha256: row.sha256,
      withdrawn: Boolean(row.withdrawnAt),
    }
  }
  const timeline = detail.timeline.items.map(({ event: e, html, supersededBy, run }) => {
    const described = describeEvent(e, words)
    const entry: TimelineEntry = {
      seq: e.seq,
      type: e.type,
      actor: name(e.actorId) ?? 'System',
      actorId: e.actorId,
      at: entryTime(e.occurredAt),
      atIso: e.occurredAt,
      hash: e.hash,
      summary: described.summary,
    }
    if (described.detail) entry.detail = described.detail
    if (html !== null) entry.html = html
    if (supersededBy !== null) entry.supersededBy = supersededBy
    const attachment = attachmentOf(e)
    if (attachment) entry.attachment = attachment
    if (run)
      entry.run = {
        size: run.size,
        kind: runKind(e.type),
        firstSeq: run.firstSeq,
        firstAt: entryTime(run.firstAt),
        firstAtUtc: utcTitle(run.firstAt),
        earlier: run.earlier.map((earlier) => ({
          seq: earlier.seq,
          at: entryTime(earlier.occurredAt),
          atIso: earlier.occurredAt,
          ...describeEvent(earlier, words),
        })),
      }
    return entry
  })
  const timelinePaging: TimelinePaging = {
    path: `/incidents/${incident.number}`,
    query: timelineWindowQuery(timelineWindow),
    olderBefore: detail.timeline.olderBefore,
    newerAfter: detail.timeline.newerAfter,
    total: detail.timeline.total,
    all: detail.timeline.all,
    correcting: options.correcting,
  }

  const sla = detail.slaPolicy
    ? {
        policyVersion: detail.slaPolicy.version,
        clocks: clocksFor(incident, detail.slaPolicy.targets, now).map((c) => ({
          target: c.target,
          label: SLA_TARGET_LABELS[c.target],
          state: c.state,
          length: formatSlaDuration(c.seconds),
          dueAt: c.dueAt.toISOString(),
          dueAtText: formatInZone(c.dueAt.toISOString(), timeZone),
          reachedAtText: c.reachedAt ? formatInZone(c.reachedAt.toISOString(), timeZone) : null,
        })),
      }
    : null
  const relations = incidentRelations(member, incident, detail, name)
  const visibility = visibilityViewOf(
    member,
    incident,
    detail.viewerIds,
    await memberDirectory(orm, organizationId),
  )
  const customFields = await incidentCustomFields(
    orm,
    organizationId,
    incident.customFields,
    incident.status,
    name,
  )
  return {
    relations,
    customFields: customFields.view,
    postmortemStatus,
    visibility,
    viewerId: member.user.id,
    sla,
    renderedAt: now.toISOString(),
    canCorrectAny: member.role === 'admin',
    evidence: attachments
      .filter((a) => !a.withdrawnAt)
      .map((a) => ({
        id: a.id,
        name: a.displayName,
        size: formatEvidenceBytes(a.sizeBytes),
        contentType: a.contentType,
        href: evidenceHref(a.id),
        sha256: a.sha256,
        uploadedBy: name(a.uploadedBy) ?? FORMER_MEMBER,
      })),
    evidenceLimit: formatEvidenceBytes(options.evidenceMaxBytes),
    timeZone,
    incident: {
      number: incident.number,
      title: incident.title,
      summaryHtml: detail.summaryHtml,
      summary: incident.summary,
      serviceId: incident.serviceId ?? null,
      incidentTypeId: incident.incidentTypeId ?? null,
      impactStartedAtLocal: toLocalInput(incident.impactStartedAt.toISOString(), timeZone),
      status: incident.status,
      severity: incident.severity,
      version: incident.version,
      service: words.serviceName(incident.serviceId ?? null),
      type: words.typeName(incident.incidentTypeId ?? null),
      commanderId: incident.commanderId ?? null,
      commander: name(incident.commanderId),
      assigneeIds: incident.assigneeIds,
      assignees: incident.assigneeIds.map((id) => name(id) ?? FORMER_MEMBER),
      declaredBy: name(incident.declaredById),
      declaredAt: formatInZone(incident.declaredAt.toISOString(), timeZone),
      declaredAtUtc: utcTitle(incident.declaredAt.toISOString()),
      impactStartedAt: formatInZone(incident.impactStartedAt.toISOString(), timeZone),
      impactStartedAtUtc: utcTitle(incident.impactStartedAt.toISOString()),
      age: formatDuration(now.getTime() - incident.impactStartedAt.getTime()),
      closed: incident.status === 'closed',
      private: incident.private,
    },
    // A reclassified incident takes no step until the reclassification is undone.
    nextSteps: (relations.classification.value === 'incident' ? detail.nextSteps : []).map((t) => ({
      action: t.action,
      label: t.label,
      requiresReason: t.requiresReason,
      fields: customFields.requiredFor(t.to),
    })),
    canWork: detail.canWork,
    canAssign: detail.canAssign,
    canEscalate: detail.canEscalate,
    members: detail.members,
    services: detail.services.filter((x) => x.active || x.id === incident.serviceId),
    types: detail.types.filter((x) => x.active || x.id === incident.incidentTypeId),
    timeline,
    timelinePaging,
  }
}

export type IncidentPageView = NonNullable<Awaited<ReturnType<typeof incidentPageView>>>
