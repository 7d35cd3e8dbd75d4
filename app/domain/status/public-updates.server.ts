import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { inScope, readScope } from '../../../db/tenant'
import type { Member } from '~/domain/access/guard.server'
import { appendEvent, lockIncident } from '~/domain/incident/event-store.server'
import { holdsIncidentRole } from '~/domain/incident/incident-roles.server'
import type { PgBoss } from '~/queue/send.server'
import { formatInZone } from '~/utils/time'
import { StatusPageError, assertStorable } from './status-errors'
import { notifySubscribers, type LinkSettings } from './subscribers.server'
import {
  COMPONENT_STATE_LABELS,
  PUBLIC_STATUS_LABELS,
  type ComponentState,
  type PublicStatus,
} from './status-vocabulary'

/**
 * "Post public update": what visitors of the status page read about an incident, written apart
 * from its internal timeline. The internal timeline records that an update was published, with
 * its text (`status.public_update_posted`); nothing internal reaches the page otherwise.
 *
 * Who may post: the incident's commander, its Communications lead, managers and admins. A
 * private incident is refused: the page shows nothing of it.
 */

type Poster = Pick<Member, 'user' | 'role' | 'organization'>

export const PUBLIC_TITLE_MAX = 200
export const PUBLIC_BODY_MAX = 5000

export interface PublicUpdateInput {
  title: string
  status: PublicStatus
  body: string
  components: Array<{ componentId: string; state: ComponentState }>
}

/**
 * Whether the person may post on an incident they can see. `isCommsLead` is whether they hold
 * the incident's Communications lead role.
 */
export function canPostPublicUpdate(
  poster: Pick<Member, 'role'>,
  involvement: { isCommander: boolean; isCommsLead: boolean },
): boolean {
  return (
    poster.role === 'admin' ||
    poster.role === 'manager' ||
    involvement.isCommander ||
    involvement.isCommsLead
  )
}

async function incidentFacts(em: EntityManager, organizationId: string, incidentId: string) {
  const [row] = await em.execute<Array<{ private: boolean }>>(
    `select private from incident where organization_id = ? and id = ?`,
    [organizationId, incidentId],
  )
  return { private: row?.private ?? false }
}

/** What the incident's "Public updates" page shows; null for an incident the viewer cannot see. */
export async function publicUpdatesView(orm: MikroORM, viewer: Poster, number: number) {
  const organizationId = viewer.organization.id
  return readScope(orm, { organizationId }, async (em) => {
    const [incident] = await em.execute<
      Array<{
        id: string
        number: number
        title: string
        commander_id: string | null
        private: boolean
      }>
    >(
      `select id, number, title, commander_id, private from incident
        where organization_id = ? and number = ?`,
      [organizationId, number],
    )
    if (!incident) return null
    const isCommsLead = await holdsIncidentRole(
      em,
      incident.id,
      viewer.user.id,
      'communications_lead',
    )
    const components = await em.execute<
      Array<{ id: string; name: string; group_name: string | null }>
    >(
      `select c.id, c.name, g.name as group_name from status_component c
         left join status_component_group g on g.id = c.group_id
        where c.organization_id = ? and c.archived_at is null
        order by g.position nulls last, g.name, c.position, c.name`,
      [organizationId],
    )
    const updates = await em.execute<
      Array<{
        id: string
        title: string
        status: PublicStatus
        body: string
        component_states: Array<{ componentId: string; state: ComponentState }>
        posted_at: Date
        posted_by_name: string | null
      }>
    >(
      `select u.id, u.title, u.status, u.body, u.component_states, u.posted_at,
              (select display_name from app_user a where a.id = u.posted_by) as posted_by_name
         from public_update u
        where u.organization_id = ? and u.incident_id = ?
        order by u.posted_at desc, u.id`,
      [organizationId, incident.id],
    )
    const [page] = await em.execute<Array<{ published: boolean }>>(
      `select published from status_page where organization_id = ?`,
      [organizationId],
    )
    const names = new Map(components.map((c) => [c.id, c.name]))
    const latest = updates[0]
    const timeZone = viewer.organization.timezone
    return {
      incident: { number: incident.number, title: incident.title, private: incident.private },
      canPost:
        !incident.private &&
        canPostPublicUpdate(viewer, {
          isCommander: incident.commander_id === viewer.user.id,
          isCommsLead,
        }),
      published: page?.published ?? false,
      statusPageUrl: `/status/${viewer.organization.slug}`,
      components: components.map((c) => ({
        id: c.id,
        name: c.group_name ? `${c.group_name} · ${c.name}` : c.name,
        state:
          latest && latest.status !== 'resolved'
            ? (latest.component_states.find((s) => s.componentId === c.id)?.state ?? null)
            : null,
      })),
      defaults: {
        title: latest?.title ?? incident.title,
        status: latest && latest.status !== 'resolved' ? latest.status : null,
      },
      updates: updates.map((u) => ({
        id: u.id,
        title: u.title,
        status: PUBLIC_STATUS_LABELS[u.status],
        body: u.body,
        postedAt: formatInZone(new Date(u.posted_at).toISOString(), timeZone),
        postedBy: u.posted_by_name ?? 'Former member',
        components: u.component_states.map(
          (s) =>
            `${names.get(s.componentId) ?? 'Removed component'}: ${COMPONENT_STATE_LABELS[s.state]}`,
        ),
      })),
    }
  })
}

/**
 * Posts a public update on incident `number`: checks the poster and the incident (not private),
 * that every component is one of the organization's, then writes the update, its timeline entry
 * and an e-mail to every confirmed subscriber in one transaction.
 */
export async function postPublicUpdate(
  orm: MikroORM,
  boss: PgBoss,
  poster: Poster,
  number: number,
  input: PublicUpdateInput,
  options: { now: Date; links: LinkSettings },
): Promise<{ id: string }> {
  const title = input.title.trim()
  const body = input.body.trim()
  assertStorable({ title, body })
  if (!title) throw new StatusPageError('title', 'Enter the title visitors read.')
  if (title.length > PUBLIC_TITLE_MAX)
    throw new StatusPageError('title', `Use at most ${PUBLIC_TITLE_MAX} characters.`)
  if (!body) throw new StatusPageError('body', 'Write the message visitors read.')
  if (body.length > PUBLIC_BODY_MAX)
    throw new StatusPageError('body', `Use at most ${PUBLIC_BODY_MAX} characters.`)
  const componentIds = input.components.map((c) => c.componentId)
  if (new Set(componentIds).size !== componentIds.length)
    throw new StatusPageError('components', 'Name each component once.')

  const organizationId = poster.organization.id
  const { now } = options
  return inScope(orm, { organizationId }, async (em) => {
    const incident = await lockIncident(em, organizationId, number, undefined)
    const facts = await incidentFacts(em, organizationId, incident.id)
    if (facts.private)
      throw new StatusPageError(
        null,
        'This incident is private: nothing of it is published on the status page.',
        403,
      )
    const isCommsLead = await holdsIncidentRole(
      em,
      incident.id,
      poster.user.id,
      'communications_lead',
    )
    if (
      !canPostPublicUpdate(poster, {
        isCommander: incident.commanderId === poster.user.id,
        isCommsLead,
      })
    )
      throw new StatusPageError(
        null,
        'Only the commander, the Communications lead, managers and admins can post public updates.',
        403,
      )
    const known =
      componentIds.length === 0
        ? []
        : await em.execute<Array<{ id: string; name: string }>>(
            `select id, name from status_component
              where organization_id = ? and archived_at is null and id = any(?::uuid[])`,
            [organizationId, `{${componentIds.join(',')}}`],
          )
    // Another organization's component (or an archived one) is not found, as its page would be.
    if (known.length !== componentIds.length)
      throw new StatusPageError('components', 'Component not found.', 404)
    const names = new Map(known.map((c) => [c.id, c.name]))

    const [row] = await em.execute<Array<{ id: string }>>(
      `insert into public_update
         (organization_id, incident_id, title, status, body, component_states, posted_by, posted_at)
       values (?, ?, ?, ?, ?, ?::jsonb, ?, ?) returning id`,
      [
        organizationId,
        incident.id,
        title,
        input.status,
        body,
        JSON.stringify(input.components),
        poster.user.id,
        now,
      ],
    )
    const id = row!.id
    await appendEvent(
      em,
      incident,
      'status.public_update_posted',
      {
        updateId: id,
        title,
        status: input.status,
        body,
        components: input.components.map((c) => ({
          componentId: c.componentId,
          name: names.get(c.componentId)!,
          state: c.state,
        })),
      },
      poster.user.id,
      now,
    )
    await em.flush()
    const affected = input.components
      .map((c) => `${names.get(c.componentId)}: ${COMPONENT_STATE_LABELS[c.state]}`)
      .join('\n')
    await notifySubscribers(
      em,
      boss,
      organizationId,
      {
        key: `update:${id}`,
        kind: 'status.public_update',
        subject: `[${poster.organization.name} status] ${title} — ${PUBLIC_STATUS_LABELS[input.status]}`,
        text: [
          `${PUBLIC_STATUS_LABELS[input.status]}: ${title}`,
          '',
          body,
          ...(affected ? ['', 'Affected components:', affected] : []),
          '',
          `Status page: ${options.links.pageUrl}`,
        ].join('\n'),
      },
      options.links,
      now,
    )
    return { id }
  })
}

export interface StoredPublicUpdate {
  id: string
  title: string
  status: PublicStatus
  body: string
  components: Array<{ componentId: string; state: ComponentState }>
  postedAt: Date
  postedBy: { id: string; name: string } | null
}

/**
 * The incident's public updates as stored, newest first, with the title a new update defaults
 * to; null for an incident the viewer cannot see (or that does not exist).
 */
export async function listPublicUpdates(
  orm: MikroORM,
  viewer: Poster,
  number: number,
): Promise<{ number: number; defaultTitle: string; updates: StoredPublicUpdate[] } | null> {
  const organizationId = viewer.organization.id
  return readScope(orm, { organizationId, actingUserId: viewer.user.id }, async (em) => {
    const [incident] = await em.execute<Array<{ id: string; number: number; title: string }>>(
      `select id, number, title from incident where organization_id = ? and number = ?`,
      [organizationId, number],
    )
    if (!incident) return null
    const rows = await em.execute<
      Array<{
        id: string
        title: string
        status: PublicStatus
        body: string
        component_states: Array<{ componentId: string; state: ComponentState }>
        posted_at: Date
        posted_by: string | null
        posted_by_name: string | null
      }>
    >(
      `select u.id, u.title, u.status, u.body, u.component_states, u.posted_at, u.posted_by,
              (select display_name from app_user a where a.id = u.posted_by) as posted_by_name
         from public_update u
        where u.organization_id = ? and u.incident_id = ?
        order by u.posted_at desc, u.id`,
      [organizationId, incident.id],
    )
    return {
      number: incident.number,
      defaultTitle: rows[0]?.title ?? incident.title,
      updates: rows.map((u) => ({
        id: u.id,
        title: u.title,
        status: u.status,
        body: u.body,
        components: u.component_states,
        postedAt: new Date(u.posted_at),
        postedBy:
          u.posted_by && u.posted_by_name ? { id: u.posted_by, name: u.posted_by_name } : null,
      })),
    }
  })
}
