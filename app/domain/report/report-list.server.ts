import type { MikroORM } from '@mikro-orm/postgresql'
import type { Member } from '~/domain/access/guard.server'
import { formatBytes } from '~/utils/format-bytes'
import { formatInZone } from '~/utils/time'
import { listReports, reportFilterNames, type ReportView } from './report.server'
import { describeFilters, describePeriod } from './report-text'

/** One row of the past reports (/reports), in words. */
export interface ReportListRow {
  id: string
  status: ReportView['status']
  progress: number
  requestedBy: string
  /** The period in words, or the postmortem a postmortem's PDF was made from. */
  period: string
  /** The other filters in words, or the postmortem's revision when requested. */
  filters: string
  size: string
  requestedAt: string
  requestedAtIso: string
}

/** The organization's past reports, newest first, described for the reports page. */
export async function listReportRows(
  orm: MikroORM,
  member: Pick<Member, 'user' | 'role' | 'organization'>,
  now: Date,
): Promise<ReportListRow[]> {
  const timeZone = member.organization.timezone
  const reports = await listReports(orm, member, { now })
  const names = await reportFilterNames(
    orm,
    member,
    reports.flatMap((r) => (r.parameters ? [r.parameters] : [])),
  )
  return reports.map((r) => ({
    id: r.id,
    status: r.status,
    progress: r.progress,
    requestedBy: r.requestedBy?.name ?? 'Unknown',
    // A postmortem's PDF is described by its incident instead of a period and filters.
    period: r.parameters
      ? describePeriod(r.parameters, timeZone)
      : `Postmortem of INC-${r.postmortem?.incidentNumber}: ${r.postmortem?.incidentTitle}`,
    filters: r.parameters
      ? describeFilters(r.parameters, names)
      : `Revision ${r.postmortem?.revision ?? 0} when requested`,
    size: r.status === 'done' ? formatBytes(r.sizeBytes) : '—',
    requestedAt: formatInZone(r.createdAt.toISOString(), timeZone),
    requestedAtIso: r.createdAt.toISOString(),
  }))
}
