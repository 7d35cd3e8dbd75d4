import { UniqueConstraintViolationException } from '@mikro-orm/core'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { inScope, readScope } from '../../../db/tenant'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import type { PgBoss } from '~/queue/send.server'
import { formatInZone } from '~/utils/time'
import { StatusPageError, assertStorable } from './status-errors'
import { notifySubscribers, type LinkSettings } from './subscribers.server'

/**
 * The organization's status page settings (`/admin/status-page`, admins): publishing, title and
 * introduction, an optional custom host name, component groups, components (each mapping to
 * services) and scheduled maintenance. Every change is checked against `settings.manage` here
 * too, and every id a form names must be one of the organization's (another's answers 404).
 */

type Admin = Pick<Member, 'user' | 'role' | 'organization'>

function assertManages(member: Admin) {
  if (!can(member.role, 'settings.manage'))
    throw new StatusPageError(null, 'Only admins can change the status page.', 403)
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/**
 * A host name visitors may type: lower-case labels of letters, digits and inner hyphens, at
 * least two labels, not an IP address, not `localhost`, not the application's own host. Null
 * when valid, else the reason.
 */
export function customHostProblem(host: string, appHost: string): string | null {
  if (host.length > 253) return 'Use at most 253 characters.'
  const labels = host.split('.')
  if (labels.length < 2 || labels.some((label) => !LABEL.test(label)))
    return 'Enter a host name like status.example.com (letters, digits, hyphens and dots).'
  if (/^\d+$/.test(labels.at(-1)!)) return 'Enter a host name, not an IP address.'
  if (host === appHost || host.endsWith('.localhost'))
    return 'Use a host name of your own, not this application’s.'
  return null
}

export async function statusAdminView(orm: MikroORM, member: Admin, now: Date) {
  assertManages(member)
  const organizationId = member.organization.id
  const timeZone = member.organization.timezone
  return readScope(orm, { organizationId }, async (em) => {
    const [page] = await em.execute<
      Array<{ published: boolean; title: string; intro: string; custom_host: string | null }>
    >(`select published, title, intro, custom_host from status_page where organization_id = ?`, [
      organizationId,
    ])
    const groups = await em.execute<Array<{ id: string; name: string }>>(
      `select id, name from status_component_group where organization_id = ?
        order by position, name, id`,
      [organizationId],
    )
    const components = await em.execute<
      Array<{
        id: string
        name: string
        description: string
        group_id: string | null
        service_ids: string[]
      }>
    >(
      `select id, name, description, group_id, service_ids from status_component
        where organization_id = ? and archived_at is null order by position, name, id`,
      [organizationId],
    )
    const services = await em.execute<Array<{ id: string; name: string }>>(
      `select id, name from service where organization_id = ? and active order by name, id`,
      [organizationId],
    )
    const maintenance = await em.execute<
      Array<{
        id: string
        title: string
        message: string
        starts_at: Date
        ends_at: Date
        component_ids: string[]
        cancelled_at: Date | null
      }>
    >(
      `select id, title, message, starts_at, ends_at, component_ids, cancelled_at
         from status_maintenance
        where organization_id = ? and ends_at > ? order by starts_at, id`,
      [organizationId, new Date(now.getTime() - 7 * 86_400_000)],
    )
    const [subscribers] = await em.execute<Array<{ n: string }>>(
      `select count(*) as n from status_subscriber
        where organization_id = ? and confirmed_at is not null and unsubscribed_at is null`,
      [organizationId],
    )
    const serviceName = new Map(services.map((s) => [s.id, s.name]))
    const componentName = new Map(components.map((c) => [c.id, c.name]))
    const groupName = new Map(groups.map((g) => [g.id, g.name]))
    return {
      page: {
        published: page?.published ?? false,
        title: page?.title ?? '',
        intro: page?.intro ?? '',
        customHost: page?.custom_host ?? '',
      },
      publicPath: `/status/${member.organization.slug}`,
      groups,
      services,
      components: components.map((c) => ({
        id: c.id,
        name: c.name,
        description: c.description,
        group: c.group_id ? (groupName.get(c.group_id) ?? null) : null,
        services: c.service_ids.map((id) => serviceName.get(id) ?? 'Retired service'),
      })),
      maintenance: maintenance.map((m) => {
        const t = now.getTime()
        return {
          id: m.id,
          title: m.title,
          message: m.message,
          startsAt: formatInZone(new Date(m.starts_at).toISOString(), timeZone),
          endsAt: formatInZone(new Date(m.ends_at).toISOString(), timeZone),
          components: m.component_ids.map((id) => componentName.get(id) ?? 'Archived component'),
          phase: m.cancelled_at
            ? ('Cancelled' as const)
            : t < new Date(m.starts_at).getTime()
              ? ('Upcoming' as const)
              : t < new Date(m.ends_at).getTime()
                ? ('In progress' as const)
                : ('Completed' as const),
          cancellable: !m.cancelled_at && t < new Date(m.ends_at).getTime(),
        }
      }),
      confirmedSubscribers: Number(subscribers?.n ?? 0),
    }
  })
}

export interface StatusPageSettings {
  published: boolean
  title: string
  intro: string
  customHost: string
}

export async function saveStatusPageSettings(
  orm: MikroORM,
  member: Admin,
  input: StatusPageSettings,
  options: { appHost: string; now: Date },
) {
  assertManages(member)
  const title = input.title.trim()
  const intro = input.intro.trim()
  const host = input.customHost.trim().toLowerCase().replace(/\.$/, '')
  assertStorable({ title, intro })
  if (title.length > 120) throw new StatusPageError('title', 'Use at most 120 characters.')
  if (intro.length > 1000) throw new StatusPageError('intro', 'Use at most 1000 characters.')
  if (host) {
    const problem = customHostProblem(host, options.appHost.toLowerCase())
    if (problem) throw new StatusPageError('customHost', problem)
  }
  const organizationId = member.organization.id
  try {
    await inScope(orm, { organizationId }, (em) =>
      em.execute(
        `insert into status_page
           (organization_id, published, title, intro, custom_host, updated_by, created_at, updated_at)
         values (?, ?, ?, ?, ?, ?, ?, ?)
         on conflict (organization_id) do update
           set published = excluded.published, title = excluded.title, intro = excluded.intro,
               custom_host = excluded.custom_host, updated_by = excluded.updated_by,
               updated_at = excluded.updated_at`,
        [
          organizationId,
          input.published,
          title,
          intro,
          host || null,
          member.user.id,
          options.now,
          options.now,
        ],
      ),
    )
  } catch (error) {
    // The one unique column besides the key: another organization's page uses the name.
    if (error instanceof UniqueConstraintViolationException)
      throw new StatusPageError('customHost', 'This host name is not available.')
    throw error
  }
}

export async function addComponentGroup(orm: MikroORM, member: Admin, name: string) {
  assertManages(member)
  const trimmed = name.trim()
  assertStorable({ groupName: trimmed })
  if (!trimmed || trimmed.length > 100)
    throw new StatusPageError('groupName', 'Enter a name of at most 100 characters.')
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const [row] = await em.execute<Array<{ id: string }>>(
      `insert into status_component_group (organization_id, name, position)
       values (?, ?, (select coalesce(max(position), 0) + 1 from status_component_group
                       where organization_id = ?))
       returning id`,
      [organizationId, trimmed, organizationId],
    )
    return row!.id
  })
}

async function assertOwnIds(
  em: EntityManager,
  organizationId: string,
  table: 'service' | 'status_component' | 'status_component_group',
  ids: readonly string[],
  field: string,
  what: string,
) {
  if (ids.length === 0) return
  const unique = [...new Set(ids)]
  const extra = table === 'status_component' ? ' and archived_at is null' : ''
  const [row] = await em.execute<Array<{ n: string }>>(
    `select count(*) as n from ${table}
      where organization_id = ? and id = any(?::uuid[])${extra}`,
    [organizationId, `{${unique.join(',')}}`],
  )
  if (Number(row?.n ?? 0) !== unique.length)
    throw new StatusPageError(field, `${what} not found.`, 404)
}

export interface ComponentInput {
  name: string
  description: string
  groupId: string | null
  serviceIds: string[]
}

export async function addComponent(orm: MikroORM, member: Admin, input: ComponentInput) {
  assertManages(member)
  const name = input.name.trim()
  const description = input.description.trim()
  assertStorable({ name, description })
  if (!name || name.length > 100)
    throw new StatusPageError('name', 'Enter a name of at most 100 characters.')
  if (description.length > 300)
    throw new StatusPageError('description', 'Use at most 300 characters.')
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    if (input.groupId)
      await assertOwnIds(
        em,
        organizationId,
        'status_component_group',
        [input.groupId],
        'groupId',
        'Group',
      )
    await assertOwnIds(em, organizationId, 'service', input.serviceIds, 'serviceIds', 'Service')
    const [row] = await em.execute<Array<{ id: string }>>(
      `insert into status_component
         (organization_id, group_id, name, description, service_ids, position)
       values (?, ?, ?, ?, ?::uuid[], (select coalesce(max(position), 0) + 1
                                         from status_component where organization_id = ?))
       returning id`,
      [
        organizationId,
        input.groupId,
        name,
        description,
        `{${[...new Set(input.serviceIds)].join(',')}}`,
        organizationId,
      ],
    )
    return row!.id
  })
}

/** Archived components leave the page; past updates keep naming them in the timeline. */
export async function archiveComponent(orm: MikroORM, member: Admin, id: string, now: Date) {
  assertManages(member)
  const organizationId = member.organization.id
  const changed = await inScope(orm, { organizationId }, (em) =>
    em.execute<Array<{ id: string }>>(
      `update status_component set archived_at = ?
        where organization_id = ? and id = ? and archived_at is null returning id`,
      [now, organizationId, id],
    ),
  )
  if (changed.length === 0) throw new StatusPageError(null, 'Component not found.', 404)
}

export interface MaintenanceInput {
  title: string
  message: string
  startsAt: Date
  endsAt: Date
  componentIds: string[]
}

/** Schedules maintenance and e-mails the notice to confirmed subscribers, in one transaction. */
export async function scheduleMaintenance(
  orm: MikroORM,
  boss: PgBoss,
  member: Admin,
  input: MaintenanceInput,
  options: { now: Date; links: LinkSettings },
) {
  assertManages(member)
  const title = input.title.trim()
  const message = input.message.trim()
  assertStorable({ maintenanceTitle: title, message })
  if (!title || title.length > 200)
    throw new StatusPageError('maintenanceTitle', 'Enter a title of at most 200 characters.')
  if (message.length > 5000) throw new StatusPageError('message', 'Use at most 5000 characters.')
  if (input.endsAt.getTime() <= input.startsAt.getTime())
    throw new StatusPageError('endsAt', 'End after the start.')
  if (input.endsAt.getTime() <= options.now.getTime())
    throw new StatusPageError('endsAt', 'The window has already ended.')
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    await assertOwnIds(
      em,
      organizationId,
      'status_component',
      input.componentIds,
      'componentIds',
      'Component',
    )
    const ids = [...new Set(input.componentIds)]
    const [row] = await em.execute<Array<{ id: string }>>(
      `insert into status_maintenance
         (organization_id, title, message, starts_at, ends_at, component_ids, created_by, created_at)
       values (?, ?, ?, ?, ?, ?::uuid[], ?, ?) returning id`,
      [
        organizationId,
        title,
        message,
        input.startsAt,
        input.endsAt,
        `{${ids.join(',')}}`,
        member.user.id,
        options.now,
      ],
    )
    const names = ids.length
      ? await em.execute<Array<{ name: string }>>(
          `select name from status_component where organization_id = ? and id = any(?::uuid[])
            order by position, name`,
          [organizationId, `{${ids.join(',')}}`],
        )
      : []
    const window = `${input.startsAt.toISOString().slice(0, 16).replace('T', ' ')} UTC to ${input.endsAt
      .toISOString()
      .slice(0, 16)
      .replace('T', ' ')} UTC`
    await notifySubscribers(
      em,
      boss,
      organizationId,
      {
        key: `maintenance:${row!.id}`,
        kind: 'status.maintenance',
        subject: `[${member.organization.name} status] Scheduled maintenance: ${title}`,
        text: [
          `Scheduled maintenance: ${title}`,
          `When: ${window}`,
          ...(names.length ? [`Affected: ${names.map((n) => n.name).join(', ')}`] : []),
          ...(message ? ['', message] : []),
          '',
          `Status page: ${options.links.pageUrl}`,
        ].join('\n'),
      },
      options.links,
      options.now,
    )
    return row!.id
  })
}

export async function cancelMaintenance(orm: MikroORM, member: Admin, id: string, now: Date) {
  assertManages(member)
  const organizationId = member.organization.id
  const changed = await inScope(orm, { organizationId }, (em) =>
    em.execute<Array<{ id: string }>>(
      `update status_maintenance set cancelled_at = ?
        where organization_id = ? and id = ? and cancelled_at is null returning id`,
      [now, organizationId, id],
    ),
  )
  if (changed.length === 0) throw new StatusPageError(null, 'Maintenance not found.', 404)
}
