import { createHash } from 'node:crypto'
import type { MikroORM } from '@mikro-orm/postgresql'
import { readScope } from '../../../db/tenant'
import { componentHistories, type DayBar, type HistoryUpdate } from './status-history'
import {
  COMPONENT_STATE_LABELS,
  HISTORY_DAYS,
  PUBLIC_STATUS_LABELS,
  UPTIME_RULE_VERSION,
  isComponentState,
  overallDescription,
  worseState,
  type ComponentState,
  type PublicStatus,
} from './status-vocabulary'

/**
 * The public status page's data, read for an anonymous visitor (decision 040).
 *
 * The visitor names an organization by slug or host name; `incidentflow_status_page_for` (a
 * `security definer` function, migration 0023) answers only for a published page. Everything
 * else is read under that organization's scope with no person acting: row-level security then
 * hides every private incident, and with it their public updates (`public_update` policy). The
 * query selects public columns only — never an internal title, timeline entry or member name.
 */

export interface StatusOrganization {
  id: string
  name: string
  slug: string
}

export type ShownState = ComponentState | 'under_maintenance'

export interface PublicComponent {
  id: string
  name: string
  description: string
  groupId: string | null
  state: ShownState
  stateLabel: string
  /** Over the shown days, percent with two decimals; null before the first full minute. */
  uptime: number | null
  days: DayBar[]
}

export interface PublicUpdateView {
  id: string
  status: PublicStatus
  statusLabel: string
  body: string
  postedAt: string
  components: Array<{ id: string; name: string; state: ComponentState; stateLabel: string }>
}

export interface PublicIncidentView {
  /** The id of its first public update: the incident's own id is not published. */
  id: string
  title: string
  status: PublicStatus
  statusLabel: string
  startedAt: string
  updatedAt: string
  resolvedAt: string | null
  /** Newest first. */
  updates: PublicUpdateView[]
}

export interface PublicMaintenanceView {
  id: string
  title: string
  message: string
  startsAt: string
  endsAt: string
  phase: 'upcoming' | 'in_progress' | 'completed'
  components: Array<{ id: string; name: string }>
}

export interface StatusPageData {
  organization: { name: string; slug: string }
  title: string
  intro: string
  overall: { state: ComponentState; description: string; maintenance: boolean }
  groups: Array<{ id: string; name: string }>
  components: PublicComponent[]
  activeIncidents: PublicIncidentView[]
  pastIncidents: PublicIncidentView[]
  maintenance: PublicMaintenanceView[]
  history: { days: number; uptimeRule: number; from: string; to: string }
  /** The newest change the page shows (an update, a maintenance, the settings). */
  updatedAt: string
}

/** Completed maintenance stays listed this long. */
const COMPLETED_MAINTENANCE_MS = 7 * 86_400_000
/** Past incidents listed, newest first, within the history days. */
const PAST_INCIDENTS = 20
const DAY_MS = 86_400_000
const MINUTE_MS = 60_000

/** The published page named by slug (`/status/<slug>`) or by host name; null otherwise. */
export async function findPublishedStatusPage(
  orm: MikroORM,
  by: { slug: string } | { host: string },
): Promise<StatusOrganization | null> {
  const slug = 'slug' in by ? by.slug : null
  const host = 'host' in by ? by.host : null
  if ((slug !== null && !/^[a-z0-9-]{1,80}$/.test(slug)) || (host !== null && host.length > 253))
    return null
  // No organization yet: the function is the one named way from a public name to a tenant.
  return readScope(orm, {}, async (em) => {
    const rows = await em.execute<
      Array<{ organization_id: string; organization_name: string; organization_slug: string }>
    >(`select * from incidentflow_status_page_for(?, ?)`, [slug, host])
    const row = rows[0]
    return row
      ? { id: row.organization_id, name: row.organization_name, slug: row.organization_slug }
      : null
  })
}

/** Every published page's custom host name → its organization's slug (for Host routing). */
export async function publishedStatusHosts(orm: MikroORM): Promise<Map<string, string>> {
  return readScope(orm, {}, async (em) => {
    const rows = await em.execute<Array<{ host: string; organization_slug: string }>>(
      `select * from incidentflow_status_hosts()`,
    )
    return new Map(rows.map((r) => [r.host, r.organization_slug]))
  })
}

interface PageRow {
  page: { title: string; intro: string; updated_at: string } | null
  groups: Array<{ id: string; name: string }>
  components: Array<{
    id: string
    name: string
    description: string
    group_id: string | null
    created_at: string
  }>
  updates: Array<{
    id: string
    incident_id: string | null
    title: string
    status: PublicStatus
    body: string
    component_states: Array<{ componentId: string; state: string }>
    posted_at: string
  }>
  maintenance: Array<{
    id: string
    title: string
    message: string
    starts_at: string
    ends_at: string
    component_ids: string[]
    created_at: string
  }>
}

// One statement, one round trip: the page's settings, groups, components, every public update
// the scope may see and the maintenance still worth showing.
const PAGE_SQL = `
  select
    (select json_build_object('title', p.title, 'intro', p.intro, 'updated_at', p.updated_at)
       from status_page p where p.organization_id = ?) as page,
    coalesce((select json_agg(json_build_object('id', g.id, 'name', g.name)
                              order by g.position, g.name, g.id)
                from status_component_group g where g.organization_id = ?), '[]') as groups,
    coalesce((select json_agg(json_build_object('id', c.id, 'name', c.name,
                                                'description', c.description, 'group_id', c.group_id,
                                                'created_at', c.created_at)
                              order by c.position, c.name, c.id)
                from status_component c
               where c.organization_id = ? and c.archived_at is null), '[]') as components,
    coalesce((select json_agg(json_build_object('id', u.id, 'incident_id', u.incident_id,
                                                'title', u.title, 'status', u.status,
                                                'body', u.body,
                                                'component_states', u.component_states,
                                                'posted_at', u.posted_at)
                              order by u.posted_at, u.id)
                from public_update u where u.organization_id = ?), '[]') as updates,
    coalesce((select json_agg(json_build_object('id', m.id, 'title', m.title,
                                                'message', m.message, 'starts_at', m.starts_at,
                                                'ends_at', m.ends_at,
                                                'component_ids', m.component_ids,
                                                'created_at', m.created_at)
                              order by m.starts_at, m.id)
                from status_maintenance m
               where m.organization_id = ? and m.cancelled_at is null and m.ends_at > ?), '[]')
      as maintenance`

const iso = (value: string | Date) => new Date(value).toISOString()

/** What `/status/<slug>` shows at `now`, or null if the organization has no page. */
export async function readStatusPage(
  orm: MikroORM,
  organization: StatusOrganization,
  now: Date,
): Promise<StatusPageData | null> {
  const id = organization.id
  // No person acts and system visibility is off: every private incident, and its updates, stay hidden.
  const rows = await readScope(orm, { organizationId: id, allIncidents: false }, (em) =>
    em.execute<PageRow[]>(PAGE_SQL, [
      id,
      id,
      id,
      id,
      id,
      new Date(now.getTime() - COMPLETED_MAINTENANCE_MS),
    ]),
  )
  const row = rows[0]
  if (!row?.page) return null
  return buildStatusPage(organization, { ...row, page: row.page }, now)
}

function buildStatusPage(
  organization: StatusOrganization,
  row: PageRow & { page: NonNullable<PageRow['page']> },
  now: Date,
): StatusPageData {
  const componentName = new Map(row.components.map((c) => [c.id, c.name]))
  const updates = row.updates.map((u) => ({
    ...u,
    components: u.component_states.flatMap((s) =>
      isComponentState(s.state) && componentName.has(s.componentId)
        ? [{ componentId: s.componentId, state: s.state }]
        : [],
    ),
  }))
  const historyUpdates: HistoryUpdate[] = updates.map((u) => ({
    thread: u.incident_id ?? u.id,
    postedAt: new Date(u.posted_at),
    status: u.status,
    components: u.components,
  }))
  const histories = componentHistories(
    row.components.map((c) => ({ id: c.id, createdAt: new Date(c.created_at) })),
    historyUpdates,
    now,
  )

  const maintenance: PublicMaintenanceView[] = row.maintenance.map((m) => {
    const starts = new Date(m.starts_at).getTime()
    const ends = new Date(m.ends_at).getTime()
    const t = now.getTime()
    return {
      id: m.id,
      title: m.title,
      message: m.message,
      startsAt: iso(m.starts_at),
      endsAt: iso(m.ends_at),
      phase: t < starts ? 'upcoming' : t < ends ? 'in_progress' : 'completed',
      components: m.component_ids.flatMap((cid) => {
        const name = componentName.get(cid)
        return name ? [{ id: cid, name }] : []
      }),
    }
  })
  const underMaintenance = new Set(
    maintenance
      .filter((m) => m.phase === 'in_progress')
      .flatMap((m) => m.components.map((c) => c.id)),
  )

  const components: PublicComponent[] = row.components.map((c, i) => {
    const history = histories[i]!
    const state: ShownState =
      history.current === 'operational' && underMaintenance.has(c.id)
        ? 'under_maintenance'
        : history.current
    return {
      id: c.id,
      name: c.name,
      description: c.description,
      groupId: c.group_id,
      state,
      stateLabel: COMPONENT_STATE_LABELS[state],
      uptime: history.uptime,
      days: history.days,
    }
  })
  const worst = histories.reduce<ComponentState>((w, h) => worseState(w, h.current), 'operational')

  // Updates grouped per incident (an update without one stands alone), oldest update first.
  const threads = new Map<string, typeof updates>()
  for (const u of updates) {
    const key = u.incident_id ?? u.id
    threads.set(key, [...(threads.get(key) ?? []), u])
  }
  const incidents: PublicIncidentView[] = [...threads.values()].map((list) => {
    const first = list[0]!
    const last = list.at(-1)!
    return {
      id: first.id,
      title: last.title,
      status: last.status,
      statusLabel: PUBLIC_STATUS_LABELS[last.status],
      startedAt: iso(first.posted_at),
      updatedAt: iso(last.posted_at),
      resolvedAt: last.status === 'resolved' ? iso(last.posted_at) : null,
      updates: [...list].reverse().map((u) => ({
        id: u.id,
        status: u.status,
        statusLabel: PUBLIC_STATUS_LABELS[u.status],
        body: u.body,
        postedAt: iso(u.posted_at),
        components: u.components.map((s) => ({
          id: s.componentId,
          name: componentName.get(s.componentId) ?? '',
          state: s.state,
          stateLabel: COMPONENT_STATE_LABELS[s.state],
        })),
      })),
    }
  })
  const byNewest = (a: PublicIncidentView, b: PublicIncidentView) =>
    b.updatedAt.localeCompare(a.updatedAt) || b.id.localeCompare(a.id)
  const historyStart = Math.floor(now.getTime() / DAY_MS) * DAY_MS - (HISTORY_DAYS - 1) * DAY_MS

  const changes = [
    iso(row.page.updated_at),
    ...updates.map((u) => iso(u.posted_at)),
    ...row.maintenance.map((m) => iso(m.created_at)),
  ].sort()
  return {
    organization: { name: organization.name, slug: organization.slug },
    title: row.page.title || `${organization.name} status`,
    intro: row.page.intro,
    overall: {
      state: worst,
      description: overallDescription(worst, underMaintenance.size > 0),
      maintenance: underMaintenance.size > 0,
    },
    groups: row.groups,
    components,
    activeIncidents: incidents.filter((i) => i.status !== 'resolved').sort(byNewest),
    pastIncidents: incidents
      .filter((i) => i.status === 'resolved' && Date.parse(i.updatedAt) >= historyStart)
      .sort(byNewest)
      .slice(0, PAST_INCIDENTS),
    maintenance,
    history: {
      days: HISTORY_DAYS,
      uptimeRule: UPTIME_RULE_VERSION,
      from: new Date(historyStart).toISOString().slice(0, 10),
      to: now.toISOString().slice(0, 10),
    },
    updatedAt: changes.at(-1)!,
  }
}

/**
 * The next moment the page may change by the clock alone (today's uptime figures move on — at two
 * decimals, about once a minute during or after an outage —, a maintenance window opens or
 * closes), so a cached rendering is not served past it.
 */
export function nextClockChange(data: StatusPageData, now: Date): number {
  const t = now.getTime()
  const candidates = [Math.floor(t / MINUTE_MS) * MINUTE_MS + MINUTE_MS]
  for (const m of data.maintenance) {
    for (const at of [
      Date.parse(m.startsAt),
      Date.parse(m.endsAt),
      Date.parse(m.endsAt) + COMPLETED_MAINTENANCE_MS,
    ])
      if (at > t) candidates.push(at)
  }
  return Math.min(...candidates)
}

/** A strong validator of the page's data: equal data, equal tag, whichever process renders it. */
export function dataVersion(data: StatusPageData): string {
  return createHash('sha256').update(JSON.stringify(data)).digest('base64url').slice(0, 27)
}
