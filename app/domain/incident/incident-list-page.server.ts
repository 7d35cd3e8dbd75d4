import type { MikroORM } from '@mikro-orm/postgresql'
import type { Member } from '~/domain/access/guard.server'
import { listMembers } from '~/domain/access/members.server'
import { customFieldDefinitions } from '~/domain/custom-fields/custom-field-definitions.server'
import { customFieldListView } from '~/domain/custom-fields/custom-field-list'
import { slaClock, worstState, type SlaTimes } from '~/domain/sla/clock'
import { SLA_TARGET_LABELS, type SeverityTargets } from '~/domain/sla/policy'
import { shownTime } from '~/utils/shown-time.server'
import { formatDuration, utcTitle } from '~/utils/time'
import { getCatalogs } from './incident-queries.server'
import { listIncidents, parseIncidentFilters, selectedStatuses } from './incident-list.server'

type Viewer = Pick<Member, 'user' | 'organization'>

/**
 * The incident list (/incidents) ready to render: the filters as asked, one page of rows in the
 * organization's time zone with their SLA state at `now`, the links to the first and next page,
 * and what the filter form offers.
 */
export async function incidentListPageView(orm: MikroORM, member: Viewer, url: URL, now: Date) {
  const filters = parseIncidentFilters(url.searchParams)
  const [page, catalogs, members, fields] = await Promise.all([
    listIncidents(orm, member.organization.id, member.user.id, filters),
    getCatalogs(orm, member.organization.id),
    listMembers(orm, member.organization.id),
    customFieldDefinitions(orm, member.organization.id),
  ])
  const custom = customFieldListView(
    fields,
    filters,
    members.map((m) => ({ id: m.userId, name: m.displayName, active: m.active })),
  )
  const timeZone = member.organization.timezone
  const shown = (iso: string) => shownTime(member.organization.id, timeZone, iso)
  const nextParams = new URLSearchParams(url.searchParams)
  if (page.next) nextParams.set('after', page.next)
  const firstParams = new URLSearchParams(url.searchParams)
  firstParams.delete('after')
  return {
    filters: { ...filters, statuses: selectedStatuses(filters) },
    // Only what the table shows.
    rows: page.rows.map((r) => ({
      number: r.number,
      title: r.title,
      private: r.private,
      classification: r.classification,
      severity: r.severity,
      status: r.status,
      serviceName: r.serviceName,
      commanderName: r.commanderName,
      sla: slaSummary(r.sla, now, shown),
      declared: shown(r.declaredAt),
      declaredUtc: utcTitle(r.declaredAt),
      age: formatDuration(now.getTime() - new Date(r.impactStartedAt).getTime()),
      custom: custom.cells(r.customFields),
    })),
    customFields: {
      filters: custom.filters,
      columnChoices: custom.columnChoices,
      columns: custom.columns,
    },
    nextUrl: page.next ? `/incidents?${nextParams.toString()}` : null,
    firstUrl: filters.after ? `/incidents?${firstParams.toString()}` : null,
    services: catalogs.services,
    types: catalogs.types,
    members: members.filter((m) => m.active).map((m) => ({ id: m.userId, name: m.displayName })),
  }
}

export type IncidentListPageView = Awaited<ReturnType<typeof incidentListPageView>>

/** One badge for the list: the worst state across targets, and the next target still open. */
function slaSummary(
  sla: { targets: SeverityTargets; times: SlaTimes } | null,
  at: Date,
  shown: (iso: string) => string,
) {
  if (!sla) return null
  const clocks = slaClock(sla.times, sla.targets, at)
  const state = worstState(clocks)
  if (!state) return null
  const next = clocks.find((c) => !c.reachedAt)
  return {
    state,
    next: next
      ? {
          label: SLA_TARGET_LABELS[next.target],
          dueAt: next.dueAt.toISOString(),
          dueAtText: shown(next.dueAt.toISOString()),
        }
      : null,
  }
}
