import { createHash } from 'node:crypto'
import { DomainError } from '~/domain/domain-error'
import type { Readable } from 'node:stream'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { IncidentSchema, IncidentTypeSchema, ServiceSchema } from '../../../db/entities/incident'
import { PostmortemSchema } from '../../../db/entities/postmortem'
import {
  ReportSchema,
  type Report,
  type ReportKind,
  type ReportStatus,
} from '../../../db/entities/report'
import { inScope } from '../../../db/tenant'
import { transactionExecutor } from '../../../db/transaction'
import { sendJob, type PgBoss } from '~/queue/send.server'
import { queues } from '~/queue/queues'
import type { ObjectStore } from '~/utils/storage/storage.server'
import type { Member } from '~/domain/access/guard.server'
import { memberNames } from '~/domain/access/member-names.server'
import { can } from '~/domain/access/permissions'
import type { AnalyticsFilters } from '~/domain/analytics/types'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import { reportFilename, type FilterNames } from './report-text'
import { now as clockNow } from '~/utils/clock'

/**
 * PDF reports: requesting one (a row and its `report-generate` job, in one transaction), reading
 * them back for the report pages, and opening a finished report's file. Every function checks
 * `report.create` and works under the member's organization, so another organization's report
 * id finds nothing (404).
 */

type Actor = Pick<Member, 'user' | 'role' | 'organization'>

/** A refused report request: not allowed (403) or not found (404). */
export class ReportError extends DomainError<string, 403 | 404> {
  constructor(message: string, status: 403 | 404) {
    super(message, { status })
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * A report still "running" this long after its last attempt started belongs to a worker that
 * died on its last retry: pg-boss has given the job up, so nothing will finish it.
 */
export const STALE_RUNNING_SECONDS = queues['report-generate'].options.expireInSeconds * 2
export const STALE_MESSAGE =
  'The worker stopped while making this report and did not finish it. Request it again.'

/** What a postmortem report was asked for: the incident and the revision current at the time. */
export interface PostmortemReportParameters {
  incidentNumber: number
  incidentTitle: string
  revision: number
}

export interface ReportView {
  id: string
  kind: ReportKind
  status: ReportStatus
  progress: number
  /** The analytics filters of an `analytics` report; null for a postmortem report. */
  parameters: AnalyticsFilters | null
  /** The subject of a `postmortem` report; null for an analytics report. */
  postmortem: PostmortemReportParameters | null
  requestedBy: { id: string; name: string } | null
  sizeBytes: number | null
  error: string | null
  createdAt: Date
  startedAt: Date | null
  finishedAt: Date | null
}

function requireReports(member: Actor) {
  if (!can(member.role, 'report.create'))
    throw new ReportError('Your role does not allow reports.', 403)
}

/**
 * The filters in one canonical form (severities in vocabulary order, ids lower case, nothing
 * else), so the same report asked for twice has the same parameters and hash.
 */
export function canonicalFilters(filters: AnalyticsFilters): AnalyticsFilters {
  return {
    from: new Date(filters.from).toISOString(),
    to: new Date(filters.to).toISOString(),
    period: filters.period,
    bucket: filters.bucket,
    severities: SEVERITIES.filter((s) => filters.severities.includes(s)),
    serviceId: filters.serviceId?.toLowerCase() ?? null,
    incidentTypeId: filters.incidentTypeId?.toLowerCase() ?? null,
    commanderId: filters.commanderId?.toLowerCase() ?? null,
  }
}

/** SHA-256 of the canonical filters: equal for equal parameters (preset periods are whole days). */
export function reportParametersHash(filters: AnalyticsFilters): string {
  const c = canonicalFilters(filters)
  const ordered = [
    c.from,
    c.to,
    c.period,
    c.bucket,
    c.severities,
    c.serviceId,
    c.incidentTypeId,
    c.commanderId,
  ]
  return createHash('sha256').update(JSON.stringify(ordered)).digest('hex')
}

/** The file name a downloaded postmortem PDF gets: incident, organization and a short id. */
export function postmortemReportFilename(
  organizationName: string,
  incidentNumber: number,
  reportId: string,
) {
  const org =
    organizationName
      .normalize('NFKD')
      .replace(/[^\w\s-]/g, '')
      .trim()
      .replace(/\s+/g, '-')
      .slice(0, 60) || 'organization'
  return `postmortem-INC-${incidentNumber}-${org}-${reportId.slice(0, 8)}.pdf`
}

/** Where a finished report's PDF lives in object storage. */
export function reportObjectKey(organizationId: string, reportId: string) {
  return `org/${organizationId}/report/${reportId}.pdf`
}

function isStale(row: Report, now: Date) {
  return (
    row.status === 'running' &&
    row.startedAt != null &&
    now.getTime() - row.startedAt.getTime() > STALE_RUNNING_SECONDS * 1000
  )
}

/** The stored parameters of a postmortem report (written by `requestPostmortemReport`). */
export function postmortemParameters(row: Pick<Report, 'kind' | 'parameters'>) {
  if (row.kind !== 'postmortem') return null
  const value = row.parameters as unknown as Partial<PostmortemReportParameters> | null
  return {
    incidentNumber: Number(value?.incidentNumber ?? 0),
    incidentTitle: String(value?.incidentTitle ?? ''),
    revision: Number(value?.revision ?? 0),
  }
}

function toView(row: Report, names: Map<string, string>, now: Date): ReportView {
  const stale = isStale(row, now)
  return {
    id: row.id,
    kind: row.kind,
    status: stale ? 'failed' : row.status,
    progress: row.progress,
    parameters: row.kind === 'analytics' ? row.parameters : null,
    postmortem: postmortemParameters(row),
    requestedBy: row.requestedBy
      ? { id: row.requestedBy, name: names.get(row.requestedBy) ?? 'A former member' }
      : null,
    sizeBytes: row.sizeBytes ?? null,
    error: stale ? STALE_MESSAGE : (row.error ?? null),
    createdAt: row.createdAt,
    startedAt: row.startedAt ?? null,
    finishedAt: row.finishedAt ?? null,
  }
}

/**
 * Requests a PDF report of the organization for `filters`. While a report with the same
 * parameters is queued or running, that one is returned (`reused`) and no job is added;
 * otherwise the row and its job are written in one transaction, so neither exists without the
 * other.
 */
export async function requestReport(
  orm: MikroORM,
  boss: PgBoss,
  member: Actor,
  filters: AnalyticsFilters,
  now: Date = clockNow(),
): Promise<{ report: ReportView; reused: boolean }> {
  requireReports(member)
  const parameters = canonicalFilters(filters)
  return inScope(orm, { organizationId: member.organization.id }, (em) =>
    insertOrReuse(em, boss, member, {
      kind: 'analytics',
      subjectId: null,
      parameters,
      hash: reportParametersHash(parameters),
      now,
    }),
  )
}

/**
 * Requests a PDF of an incident's postmortem (its current revision when the worker makes it),
 * like `requestReport`: while one for the same postmortem is queued or running, that one is
 * returned. 404 for an incident this organization does not have, or one without a postmortem.
 */
export async function requestPostmortemReport(
  orm: MikroORM,
  boss: PgBoss,
  member: Actor,
  incidentNumber: number,
  now: Date = clockNow(),
): Promise<{ report: ReportView; reused: boolean }> {
  requireReports(member)
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const incident = await em.findOne(IncidentSchema, { organizationId, number: incidentNumber })
    const postmortem = incident
      ? await em.findOne(PostmortemSchema, { organizationId, incidentId: incident.id })
      : null
    if (!incident || !postmortem) throw new ReportError('Postmortem not found.', 404)
    const parameters: PostmortemReportParameters = {
      incidentNumber: incident.number,
      incidentTitle: incident.title,
      revision: postmortem.currentRevision,
    }
    return insertOrReuse(em, boss, member, {
      kind: 'postmortem',
      subjectId: postmortem.id,
      parameters,
      // The in-progress unique index is on the hash: it names the kind and the subject, so a
      // postmortem's PDF never collides with an analytics report or another postmortem's.
      hash: createHash('sha256')
        .update(JSON.stringify(['postmortem', postmortem.id]))
        .digest('hex'),
      now,
    })
  })
}

/**
 * Writes the report row and its job in the caller's transaction, or returns the report with the
 * same hash that is still queued or running (`reused`).
 */
async function insertOrReuse(
  em: EntityManager,
  boss: PgBoss,
  member: Actor,
  request: {
    kind: ReportKind
    subjectId: string | null
    parameters: AnalyticsFilters | PostmortemReportParameters
    hash: string
    now: Date
  },
): Promise<{ report: ReportView; reused: boolean }> {
  const organizationId = member.organization.id
  const { hash, now } = request
  // A report left running by a worker that died for good would otherwise be "reused" forever.
  await em.execute(
    `update report set status = 'failed', error = ?, finished_at = ?
      where organization_id = ? and parameters_hash = ? and status = 'running'
        and started_at < ?`,
    [
      STALE_MESSAGE,
      now,
      organizationId,
      hash,
      new Date(now.getTime() - STALE_RUNNING_SECONDS * 1000),
    ],
  )
  // A concurrent request with the same parameters either committed first (the insert then
  // does nothing and the select finds its report) or waits on ours: the partial unique index
  // decides, not a read-then-write race. A report that finished in between is retried for.
  for (let attempt = 0; attempt < 3; attempt++) {
    const inserted = await em.execute<Array<{ id: string }>>(
      `insert into report (organization_id, requested_by, kind, subject_id, parameters, parameters_hash)
       values (?, ?, ?, ?, ?::jsonb, ?)
       on conflict (organization_id, parameters_hash) where status in ('queued', 'running')
       do nothing
       returning id`,
      [
        organizationId,
        member.user.id,
        request.kind,
        request.subjectId,
        JSON.stringify(request.parameters),
        hash,
      ],
    )
    const id = inserted[0]?.id
    if (id) {
      const jobId = await sendJob(
        boss,
        'report-generate',
        { reportId: id, organizationId },
        { db: await transactionExecutor(em) },
      )
      await em.execute(`update report set job_id = ? where id = ?`, [jobId, id])
      const row = await em.findOneOrFail(ReportSchema, { id, organizationId })
      const names = await memberNames(em, organizationId, [row.requestedBy])
      return { report: toView(row, names, now), reused: false }
    }
    const existing = await em.findOne(ReportSchema, {
      organizationId,
      parametersHash: hash,
      status: { $in: ['queued', 'running'] },
    })
    if (existing) {
      const names = await memberNames(em, organizationId, [existing.requestedBy])
      return { report: toView(existing, names, now), reused: true }
    }
  }
  throw new Error('Could not request the report; try again.')
}

export async function getReport(
  orm: MikroORM,
  member: Actor,
  reportId: string,
  now: Date = clockNow(),
): Promise<ReportView | null> {
  requireReports(member)
  if (!UUID.test(reportId)) return null
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, async (em) => {
    const row = await em.findOne(ReportSchema, { id: reportId, organizationId })
    if (!row || !(await subjectsVisible(em, [row])).has(row.id)) return null
    return toView(row, await memberNames(em, organizationId, [row.requestedBy]), now)
  })
}

/**
 * The ids of the reports whose subject the unit of work may see: a postmortem report of a
 * private incident (decision 037) is as hidden as its postmortem, whose row-level security
 * decides; other reports are aggregates and stay visible.
 */
async function subjectsVisible(
  em: EntityManager,
  rows: ReadonlyArray<Pick<Report, 'id' | 'kind' | 'subjectId'>>,
): Promise<Set<string>> {
  const subjects = rows.flatMap((r) =>
    r.kind === 'postmortem' && r.subjectId ? [r.subjectId] : [],
  )
  const seen = subjects.length
    ? new Set(
        (await em.find(PostmortemSchema, { id: { $in: subjects } }, { fields: ['id'] })).map(
          (p) => p.id,
        ),
      )
    : new Set<string>()
  return new Set(
    rows
      .filter(
        (r) =>
          r.kind !== 'postmortem' ||
          (r.subjectId !== null && r.subjectId !== undefined && seen.has(r.subjectId)),
      )
      .map((r) => r.id),
  )
}

/** The organization's reports, newest first. */
export async function listReports(
  orm: MikroORM,
  member: Actor,
  options: { limit?: number; now?: Date } = {},
): Promise<ReportView[]> {
  requireReports(member)
  const organizationId = member.organization.id
  const now = options.now ?? clockNow()
  return inScope(orm, { organizationId }, async (em) => {
    const rows = await em
      .find(
        ReportSchema,
        { organizationId },
        { orderBy: { createdAt: 'desc', id: 'desc' }, limit: options.limit ?? 50 },
      )
      .then(async (all) => {
        const visible = await subjectsVisible(em, all)
        return all.filter((r) => visible.has(r.id))
      })
    const names = await memberNames(
      em,
      organizationId,
      rows.map((r) => r.requestedBy),
    )
    return rows.map((row) => toView(row, names, now))
  })
}

/**
 * The names behind the ids the given filters carry (services, incident types, commanders), for
 * putting parameters into words. Reads only what is asked for, and only the organization's own:
 * filters come from URLs and forms, so another organization's id reads "(removed)".
 */
export async function filterNamesFor(
  em: EntityManager,
  organizationId: string,
  filters: ReadonlyArray<AnalyticsFilters>,
): Promise<FilterNames> {
  const ids = (pick: (f: AnalyticsFilters) => string | null) => [
    ...new Set(filters.map(pick).filter((id): id is string => Boolean(id))),
  ]
  const serviceIds = ids((f) => f.serviceId)
  const typeIds = ids((f) => f.incidentTypeId)
  const commanderIds = ids((f) => f.commanderId)
  // In turn: the unit of work has one connection.
  const services = serviceIds.length
    ? await em.find(ServiceSchema, { organizationId, id: { $in: serviceIds } })
    : []
  const incidentTypes = typeIds.length
    ? await em.find(IncidentTypeSchema, { organizationId, id: { $in: typeIds } })
    : []
  const members = await memberNames(em, organizationId, commanderIds)
  return {
    services: services.map((s) => ({ id: s.id, name: s.name })),
    incidentTypes: incidentTypes.map((t) => ({ id: t.id, name: t.name })),
    members: [...members].map(([id, name]) => ({ id, name })),
  }
}

/** `filterNamesFor` under the member's organization, for the report pages. */
export async function reportFilterNames(
  orm: MikroORM,
  member: Actor,
  filters: ReadonlyArray<AnalyticsFilters>,
): Promise<FilterNames> {
  const organizationId = member.organization.id
  return inScope(orm, { organizationId }, (em) => filterNamesFor(em, organizationId, filters))
}

/** A finished report's file: a short-lived presigned URL (s3), or the bytes to stream (fs). */
export type ReportFile =
  { filename: string; url: string } | { filename: string; body: Readable; size: number }

/**
 * A finished report's file, for download: null when the report is not the member's
 * organization's, not done, or its file is gone.
 */
export async function openReportFile(
  orm: MikroORM,
  store: ObjectStore,
  member: Actor,
  reportId: string,
): Promise<ReportFile | null> {
  requireReports(member)
  if (!UUID.test(reportId)) return null
  const organizationId = member.organization.id
  const row = await inScope(orm, { organizationId }, async (em) => {
    const found = await em.findOne(ReportSchema, { id: reportId, organizationId })
    return found && (await subjectsVisible(em, [found])).has(found.id) ? found : null
  })
  if (!row || row.status !== 'done' || !row.objectKey) return null
  const subject = postmortemParameters(row)
  const filename = subject
    ? postmortemReportFilename(member.organization.name, subject.incidentNumber, row.id)
    : reportFilename(member.organization.name, row.parameters, member.organization.timezone, row.id)
  const url = await store.presignedDownloadUrl(row.objectKey, {
    expiresInSeconds: 60,
    filename,
    contentType: 'application/pdf',
  })
  if (url) return { filename, url }
  const object = await store.get(row.objectKey)
  if (!object) return null
  return { filename, body: object.body, size: object.size }
}
