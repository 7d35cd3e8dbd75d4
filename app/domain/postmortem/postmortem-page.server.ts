import type { MikroORM } from '@mikro-orm/postgresql'
import type { Member } from '~/domain/access/guard.server'
import { renderMarkdown } from '~/utils/markdown.server'
import { formatInZone, utcTitle } from '~/utils/time'
import { listActionItems } from './action-items.server'
import { listDrafts } from './drafts.server'
import { getPostmortemPage } from './postmortem.server'
import { POSTMORTEM_MOVES, POSTMORTEM_SECTIONS, type PostmortemSection } from './vocabulary'

type Viewer = Pick<Member, 'user' | 'role' | 'organization'>

/**
 * Everything the postmortem page shows, ready to render: its status and newest revision, the
 * editor's text and every incident event to choose from (for those who may edit an unpublished
 * postmortem), or else the sections as HTML; its action items and recent drafts, and the status
 * moves the viewer may make. Null when the incident has no postmortem (yet).
 */
export async function postmortemPageView(
  orm: MikroORM,
  member: Viewer,
  number: number,
  options: {
    /** The language model drafts are offered with, if one is configured. */
    llmModel: string | null
    now: Date
  },
) {
  const { now } = options
  const page = await getPostmortemPage(orm, member, number, now)
  if (!page) return null
  const { view, events } = page
  const timeZone = view.organization.timezone
  const sections = view.revision?.sections ?? null
  // The editor needs the text and every event; readers get the rendered sections only.
  const editable = view.canEdit && view.postmortem.status !== 'published'
  const actionItems = await listActionItems(orm, member.organization.id, view.postmortem.id, now)
  const drafts = editable ? await listDrafts(orm, member, number, { now }) : []
  const described = <T extends { at: string }>(e: T) => ({
    ...e,
    atText: formatInZone(e.at, timeZone),
    atUtc: utcTitle(e.at),
  })
  return {
    incident: view.incident,
    postmortem: {
      ...view.postmortem,
      publishedAtText: view.postmortem.publishedAt
        ? formatInZone(view.postmortem.publishedAt, timeZone)
        : null,
    },
    revision: view.revision
      ? {
          revision: view.revision.revision,
          source: view.revision.source,
          model: view.revision.generator?.model ?? null,
          authorName: view.revision.authorName,
          createdAt: view.revision.createdAt,
          createdAtText: formatInZone(view.revision.createdAt, timeZone),
        }
      : null,
    sections: editable ? sections : null,
    sectionsHtml:
      !editable && sections
        ? (Object.fromEntries(
            POSTMORTEM_SECTIONS.map((key) => [key, renderMarkdown(sections[key])]),
          ) as Record<PostmortemSection, string>)
        : null,
    chosen: Object.fromEntries(
      (editable ? (view.revision?.timeline ?? []) : []).map((t) => [String(t.seq), t.note]),
    ) as Record<string, string>,
    timelineEntries: view.timelineEntries.map(described),
    events: (editable ? events : []).map(described),
    actionItems: actionItems.map((i) => ({
      id: i.id,
      title: i.title,
      ownerName: i.ownerName,
      dueOn: i.dueOn,
      priority: i.priority,
      status: i.status,
      overdue: i.overdue,
    })),
    drafts: drafts.map((d) => ({
      id: d.id,
      mode: d.mode,
      status: d.status,
      requestedBy: d.requestedBy,
      createdAt: d.createdAt.toISOString(),
      createdAtText: formatInZone(d.createdAt.toISOString(), timeZone),
    })),
    canEdit: view.canEdit,
    moves: view.canEdit ? POSTMORTEM_MOVES[view.postmortem.status] : [],
    llmModel: options.llmModel,
  }
}

export type PostmortemPageView = NonNullable<Awaited<ReturnType<typeof postmortemPageView>>>
