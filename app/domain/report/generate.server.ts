import { Readable } from 'node:stream'
import { LockMode, type MikroORM } from '@mikro-orm/postgresql'
import { UserSchema } from '../../../db/entities/access'
import { IncidentSchema } from '../../../db/entities/incident'
import { OrganizationSchema } from '../../../db/entities/organization'
import { PostmortemSchema } from '../../../db/entities/postmortem'
import { ReportSchema, type ReportKind } from '../../../db/entities/report'
import { inScope } from '../../../db/tenant'
import { loadDashboard } from '~/domain/analytics/analytics.server'
import { METRIC_DEFINITIONS } from '~/domain/analytics/metrics'
import type { AnalyticsFilters } from '~/domain/analytics/types'
import { queueEmail } from '~/domain/email/outbox.server'
import { listActionItems } from '~/domain/postmortem/action-items.server'
import { getPostmortemView } from '~/domain/postmortem/postmortem.server'
import type { JobPayload } from '~/queue/queues'
import type { PgBoss } from '~/queue/send.server'
import type { Logger } from '~/utils/logger.server'
import type { ObjectStore } from '~/utils/storage/storage.server'
import { renderReportPdf } from './pdf-report.server'
import { renderPostmortemPdf } from './postmortem-pdf.server'
import { renderReportCharts } from './report-charts.server'
import { postmortemReportReadyEmail, reportReadyEmail } from './report-email'
import { describeFilters, describePeriod } from './report-text'
import { filterNamesFor, reportObjectKey } from './report.server'
import { now as clockNow } from '~/utils/clock'

export interface ReportGenerateDeps {
  orm: MikroORM
  boss: PgBoss
  store: ObjectStore
  logger: Logger
  /** Base of the link in the "report ready" e-mail. */
  appUrl: string
  now?: () => Date
}

/** Which attempt of the job this is; on the last one a failure is final. */
export interface Attempt {
  retryCount: number
  retryLimit: number
}

export type ReportOutcome = 'done' | 'skipped' | 'failed'

/** Milliseconds spent in each phase of one report (what `npm run bench:report` prints). */
export interface ReportTimings {
  load: number
  charts: number
  pdf: number
  store: number
}

/** Largest report accepted by the store: far above any real report (a few hundred KB). */
const MAX_REPORT_BYTES = 200 * 1024 * 1024

class PermanentReportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PermanentReportError'
  }
}

/**
 * Makes one PDF report, under its organization's tenant scope: marks it running, loads the
 * dashboard for the stored filters, draws the charts, renders the PDF (progress saved as sections
 * complete), stores it under `org/<orgId>/report/<id>.pdf`, then marks it done and queues the
 * requester's e-mail in the same transaction.
 *
 * At-least-once safe: a report already done or failed is left alone; a retry starts over and
 * overwrites the same object; the e-mail has one idempotency key per report. A failure on the
 * last attempt (or one no retry can fix) marks the report failed with its reason; earlier ones
 * are thrown so pg-boss retries.
 */
export async function generateReport(
  deps: ReportGenerateDeps,
  payload: JobPayload<'report-generate'>,
  attempt: Attempt = { retryCount: 0, retryLimit: 0 },
): Promise<{ outcome: ReportOutcome; timings: ReportTimings | null }> {
  const now = deps.now ?? clockNow
  const { reportId, organizationId } = payload
  const scope = { organizationId }

  const claimed = await inScope(deps.orm, scope, async (em) => {
    const row = await em.findOne(
      ReportSchema,
      { id: reportId, organizationId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    )
    if (!row || row.status === 'done' || row.status === 'failed') return null
    row.status = 'running'
    row.progress = 5
    row.startedAt = now()
    row.error = null
    return {
      kind: row.kind as ReportKind,
      subjectId: row.subjectId ?? null,
      parameters: row.parameters,
      requestedBy: row.requestedBy ?? null,
    }
  })
  if (!claimed) {
    deps.logger.info({ reportId }, 'report job for a report that is gone or finished; skipped')
    return { outcome: 'skipped', timings: null }
  }

  let saved = 5
  const saveProgress = async (percent: number) => {
    const value = Math.max(saved, Math.min(99, Math.round(percent)))
    // Small steps are not worth a transaction; the page refreshes every 2 s anyway.
    if (value - saved < 5) return
    saved = value
    await inScope(deps.orm, scope, (em) =>
      em.nativeUpdate(
        ReportSchema,
        { id: reportId, organizationId, status: 'running' },
        { progress: value },
      ),
    )
  }

  try {
    if (claimed.kind === 'postmortem') {
      const made = await makePostmortemPdf(deps, payload, claimed, now())
      await saveProgress(80)
      const objectKey = reportObjectKey(organizationId, reportId)
      const stored = await deps.store.put(objectKey, Readable.from([made.pdf]), {
        contentType: 'application/pdf',
        maxBytes: MAX_REPORT_BYTES,
      })
      const outcome = await finish(deps, payload, {
        objectKey,
        size: stored.size,
        email: made.email,
        requestedBy: claimed.requestedBy,
        finishedAt: now(),
      })
      deps.logger.info({ reportId, bytes: stored.size }, 'postmortem report generated')
      return { outcome, timings: null }
    }

    const filters = readFilters(claimed.parameters)
    const timings: ReportTimings = { load: 0, charts: 0, pdf: 0, store: 0 }
    let started = performance.now()
    const dashboard = await loadDashboard(deps.orm, organizationId, filters, now())
    const names = await inScope(deps.orm, scope, (em) =>
      filterNamesFor(em, organizationId, [filters]),
    )
    timings.load = performance.now() - started
    await saveProgress(30)

    started = performance.now()
    const charts = renderReportCharts(dashboard)
    timings.charts = performance.now() - started
    await saveProgress(45)

    started = performance.now()
    const filtersText = describeFilters(filters, names)
    const pdf = await renderReportPdf({
      dashboard,
      filtersText,
      definitions: METRIC_DEFINITIONS,
      charts,
      onProgress: (percent) => saveProgress(45 + percent * 0.45),
    })
    timings.pdf = performance.now() - started

    started = performance.now()
    const objectKey = reportObjectKey(organizationId, reportId)
    const stored = await deps.store.put(objectKey, Readable.from([pdf]), {
      contentType: 'application/pdf',
      maxBytes: MAX_REPORT_BYTES,
    })
    timings.store = performance.now() - started
    await saveProgress(95)

    const outcome = await finish(deps, payload, {
      objectKey,
      size: stored.size,
      email: reportReadyEmail({
        appUrl: deps.appUrl,
        organizationName: dashboard.organization.name,
        reportId,
        period: describePeriod(dashboard.filters, dashboard.organization.timezone),
        filters: filtersText,
      }),
      requestedBy: claimed.requestedBy,
      finishedAt: now(),
    })
    deps.logger.info(
      { reportId, bytes: stored.size, ms: roundTimings(timings) },
      'report generated',
    )
    return { outcome, timings }
  } catch (error) {
    const final = error instanceof PermanentReportError || attempt.retryCount >= attempt.retryLimit
    deps.logger.error({ err: error, reportId, attempt, final }, 'report generation failed')
    if (!final) throw error
    await markFailed(deps, payload, error, now())
    return { outcome: 'failed', timings: null }
  }
}

/** Stored parameters are the canonical filters `requestReport` wrote; anything else is refused. */
function readFilters(parameters: AnalyticsFilters): AnalyticsFilters {
  const from = new Date(parameters?.from ?? '')
  const to = new Date(parameters?.to ?? '')
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
    throw new PermanentReportError('The report’s period cannot be read.')
  }
  return parameters
}

async function finish(
  deps: ReportGenerateDeps,
  payload: JobPayload<'report-generate'>,
  result: {
    objectKey: string
    size: number
    /** The requester's "report ready" e-mail. */
    email: { subject: string; text: string; html: string }
    requestedBy: string | null
    finishedAt: Date
  },
): Promise<ReportOutcome> {
  const { reportId, organizationId } = payload
  return inScope(deps.orm, { organizationId }, async (em) => {
    const row = await em.findOne(
      ReportSchema,
      { id: reportId, organizationId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    )
    // Another attempt finished it meanwhile (its file is the same object key).
    if (!row || row.status !== 'running') return 'skipped'
    row.status = 'done'
    row.progress = 100
    row.objectKey = result.objectKey
    row.sizeBytes = result.size
    row.finishedAt = result.finishedAt
    row.error = null
    const requester = result.requestedBy
      ? await em.findOne(UserSchema, { id: result.requestedBy })
      : null
    if (requester) {
      await em.flush()
      await queueEmail(em, deps.boss, {
        organizationId,
        kind: 'report-ready',
        to: requester.email,
        ...result.email,
        idempotencyKey: `report-ready:${reportId}`,
      })
    }
    return 'done'
  })
}

/**
 * A postmortem report's PDF and its e-mail: the postmortem as the print view shows it (current
 * revision, chosen timeline) with its action items, read under the report's organization.
 */
async function makePostmortemPdf(
  deps: ReportGenerateDeps,
  payload: JobPayload<'report-generate'>,
  claimed: { subjectId: string | null; requestedBy: string | null },
  at: Date,
) {
  const { organizationId, reportId } = payload
  const subject = await inScope(deps.orm, { organizationId }, async (em) => {
    const organization = await em.findOne(OrganizationSchema, { id: organizationId })
    const postmortem = claimed.subjectId
      ? await em.findOne(PostmortemSchema, { id: claimed.subjectId, organizationId })
      : null
    const incident = postmortem
      ? await em.findOne(IncidentSchema, { id: postmortem.incidentId, organizationId })
      : null
    if (!organization || !postmortem || !incident) return null
    const requester = claimed.requestedBy
      ? await em.findOne(UserSchema, { id: claimed.requestedBy })
      : null
    return { organization, incident, requester }
  })
  if (!subject) throw new PermanentReportError('The postmortem of this report no longer exists.')
  const { organization, incident, requester } = subject
  // The view is read on the requester's behalf as a reader: the PDF shows what any member of the
  // organization can read, and nothing here writes.
  const reader = {
    user: {
      id: requester?.id ?? '00000000-0000-0000-0000-000000000000',
      email: requester?.email ?? '',
      displayName: requester?.displayName ?? 'IncidentFlow',
    },
    role: 'engineer' as const,
    organization: {
      id: organization.id,
      name: organization.name,
      slug: organization.slug,
      timezone: organization.timezone,
    },
  }
  const view = await getPostmortemView(deps.orm, reader, incident.number)
  if (!view) throw new PermanentReportError('The postmortem of this report no longer exists.')
  const items = await listActionItems(deps.orm, organizationId, view.postmortem.id, at)
  const pdf = await renderPostmortemPdf({ view, items, generatedAt: at })
  const email = postmortemReportReadyEmail({
    appUrl: deps.appUrl,
    organizationName: organization.name,
    reportId,
    incident: { number: incident.number, title: incident.title },
    revision: view.postmortem.currentRevision,
  })
  return { pdf, email }
}

async function markFailed(
  deps: ReportGenerateDeps,
  payload: JobPayload<'report-generate'>,
  error: unknown,
  at: Date,
) {
  const reason =
    error instanceof PermanentReportError
      ? error.message
      : `The report could not be generated: ${error instanceof Error ? error.message : String(error)}`
  await inScope(deps.orm, { organizationId: payload.organizationId }, (em) =>
    em.nativeUpdate(
      ReportSchema,
      {
        id: payload.reportId,
        organizationId: payload.organizationId,
        status: { $in: ['queued', 'running'] },
      },
      { status: 'failed', error: reason.slice(0, 2000), finishedAt: at },
    ),
  )
}

function roundTimings(timings: ReportTimings) {
  return Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)]))
}
