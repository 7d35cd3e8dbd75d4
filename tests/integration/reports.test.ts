import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '~/domain/access/permissions'
import { addCatalogEntry } from '~/domain/incident/catalog.server'
import { declareIncident, transitionIncident } from '~/domain/incident/incident-service.server'
import type { TransitionAction } from '~/domain/incident/lifecycle'
import { getReport, reportObjectKey } from '~/domain/report/report.server'
import { createObjectStore } from '~/utils/storage/create-store.server'
import type { ObjectStore } from '~/utils/storage/storage.server'
import { generateReport, type ReportGenerateDeps } from '~/domain/report/generate.server'
import { silentLogger, standInAdmin, testEnv } from '../support/access'
import {
  dateTimeIn,
  oneOf,
  rollingDays,
  rollingPeriod,
  textsBetween,
  timed,
} from '../support/dates'
import { setUpTestDatabase } from '../support/database'
import { decodePage } from '../support/html'
import { addSignedInMember, type SignedInMember } from '../support/incidents'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { pdfText, pdfTextTitle, SKIP_PDF_TEXT } from '../support/pdf'
import { runWaitingJobs } from '../support/jobs'
import { loadRemixBuild } from '../support/remix-build'

/**
 * PDF reports end to end through the real app over HTTP (no JavaScript: plain form posts and
 * links), with the real worker handler run on the queued job: request → 303 → report page →
 * job → done → download, reuse of a report in progress, permissions, tenant isolation, the
 * requester's e-mail, failure and retry.
 */

const db = setUpTestDatabase('reports')
const APP_URL = 'http://reports.incidentflow.test'
const MINUTE = 60_000
const ZONE = 'Europe/Zurich'

let build: ServerBuild
let app: RunningApp
let dataDir: string
let store: ObjectStore

type Person = SignedInMember

const person = (role: Role, organizationId: string): Promise<Person> =>
  addSignedInMember(db, organizationId, role)

let a: { id: string; manager: Person; engineer: Person; serviceId: string }
let b: { id: string; manager: Person }

/**
 * An incident declared `ago` minutes ago whose impact began 30 min before that, then
 * acknowledged, mitigated and resolved `resolveAfter` minutes after impact start.
 */
async function resolvedIncident(
  who: Person,
  title: string,
  options: { serviceId?: string; ago: number; resolveAfter: number },
) {
  const declaredAt = new Date(Date.now() - options.ago * MINUTE)
  const impact = new Date(declaredAt.getTime() - 30 * MINUTE)
  const { number } = await declareIncident(
    db.orm,
    who.member,
    {
      title,
      summary: '',
      severity: 'SEV-2',
      serviceId: options.serviceId ?? null,
      impactStartedAt: impact,
    },
    declaredAt,
  )
  const steps: Array<[TransitionAction, number]> = [
    ['start-investigating', 40],
    ['mark-mitigated', options.resolveAfter - 10],
    ['mark-resolved', options.resolveAfter],
  ]
  for (const [action, minutes] of steps) {
    await transitionIncident(
      db.orm,
      who.member,
      number,
      { action },
      new Date(impact.getTime() + minutes * MINUTE),
    )
  }
  return number
}

function deps(overrides: Partial<ReportGenerateDeps> = {}): ReportGenerateDeps {
  return { orm: db.orm, boss: db.boss, store, logger: silentLogger, appUrl: APP_URL, ...overrides }
}

/** Takes every waiting report job off the queue, as the worker does, and handles it. */
const runReportJobs = (overrides: Partial<ReportGenerateDeps> = {}) =>
  runWaitingJobs(
    db.boss,
    'report-generate',
    'reportId',
    async (payload) => (await generateReport(deps(overrides), payload)).outcome,
  )

async function request(who: Person, fields: Record<string, string | string[]>) {
  const body = new URLSearchParams()
  for (const [key, value] of Object.entries(fields))
    for (const v of Array.isArray(value) ? value : [value]) body.append(key, v)
  return fetch(`${app.baseUrl}/reports`, {
    method: 'POST',
    headers: { Cookie: who.cookie, Origin: app.baseUrl },
    body,
    redirect: 'manual',
  })
}

async function requestReportId(who: Person, fields: Record<string, string | string[]>) {
  const response = await request(who, fields)
  expect(response.status).toBe(303)
  const location = response.headers.get('location') ?? ''
  const match = /^\/reports\/([0-9a-f-]{36})$/.exec(location)
  expect(match, `Location ${location}`).not.toBeNull()
  return match![1]!
}

async function page(who: Person, url: string) {
  const response = await app.get(url, { cookie: who.cookie })
  return { status: response.status, html: decodePage(await response.text()) }
}

async function download(who: Person, id: string) {
  const response = await app.get(`/reports/${id}/download`, { cookie: who.cookie })
  return { response, bytes: Buffer.from(await response.arrayBuffer()) }
}

async function jobsFor(reportId: string) {
  return db.query<{ id: string; state: string }>(
    `select id, state from pgboss.job where name = 'report-generate' and data->>'reportId' = $1`,
    [reportId],
  )
}

/**
 * A page waiting for the worker offers a link to look again (and, with JavaScript, looks again
 * by itself); it never reloads itself on a timer.
 */
const CHECK_AGAIN = />Check again<\/a>/
const TIMED_RELOAD = /http-equiv="refresh"/

beforeAll(async () => {
  build = await loadRemixBuild()
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'incidentflow-reports-'))
  app = await startInProcessApp(db, build, { DATA_DIR: dataDir, APP_URL })
  store = createObjectStore(testEnv(db, { DATA_DIR: dataDir }))

  await db.query(`update organization set name = $2, timezone = $3 where id = $1`, [
    db.organizationId,
    'Aurora Zürich Ops',
    ZONE,
  ])
  const aManager = await person('manager', db.organizationId)
  const aServiceId = await addCatalogEntry(
    db.orm,
    standInAdmin(db.organizationId),
    'service',
    'Checkout Åland',
    '',
  )
  a = {
    id: db.organizationId,
    manager: aManager,
    engineer: await person('engineer', db.organizationId),
    serviceId: aServiceId,
  }
  // MTTR of A's resolved incidents: 90 and 150 minutes → mean and median 2 h, p90 2 h 24 min.
  await resolvedIncident(a.manager, 'Checkout payments time out', {
    serviceId: aServiceId,
    ago: 3 * 24 * 60,
    resolveAfter: 90,
  })
  await resolvedIncident(a.manager, 'Checkout basket empties', {
    serviceId: aServiceId,
    ago: 2 * 24 * 60,
    resolveAfter: 150,
  })

  const bId = await db.createOrganization('Borealis Köln')
  b = { id: bId, manager: await person('manager', bId) }
  const bService = await addCatalogEntry(
    db.orm,
    standInAdmin(bId),
    'service',
    'Secret Ledger Gateway',
    '',
  )
  await resolvedIncident(b.manager, 'Borealis vault breach rehearsal', {
    serviceId: bService,
    ago: 24 * 60,
    resolveAfter: 45,
  })
})

afterAll(async () => {
  await app?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

describe('requesting a PDF report', () => {
  let reportId: string
  let pdf: Buffer
  /** When the app took the request, which fixed the period's days (the app's clock is this one). */
  let requested: { from: Date; to: Date }

  it('answers 303 to the report page, which offers to check again until the job has made the PDF', async () => {
    const request = await timed(() => requestReportId(a.manager, { period: '7d' }))
    reportId = request.result
    requested = request
    expect(await jobsFor(reportId)).toHaveLength(1)

    const queued = await page(a.manager, `/reports/${reportId}`)
    expect(queued.status).toBe(200)
    expect(queued.html).toContain('Status: <span data-report-status="queued">Queued</span>')
    expect(queued.html).toMatch(CHECK_AGAIN)
    expect(queued.html).not.toMatch(TIMED_RELOAD)

    const outcomes = await runReportJobs()
    expect(outcomes[reportId]).toBe('done')

    const done = await page(a.manager, `/reports/${reportId}`)
    expect(done.html).toContain('Status: <span data-report-status="done">Done</span>')
    expect(done.html).toContain(`href="/reports/${reportId}/download"`)
    expect(done.html).toContain('Download PDF')
    expect(done.html).not.toMatch(CHECK_AGAIN)

    const row = await db.query<{ status: string; progress: number; object_key: string }>(
      'select status, progress, object_key from report where id = $1',
      [reportId],
    )
    expect(row).toEqual([
      { status: 'done', progress: 100, object_key: reportObjectKey(a.id, reportId) },
    ])
  })

  it('downloads as a PDF attachment', async () => {
    const { response, bytes } = await download(a.manager, reportId)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/pdf')
    const filenames = textsBetween(requested.from, requested.to, (at) => {
      const { first, last } = rollingDays(7, at, ZONE)
      return `attachment; filename="incident-report-Aurora-Zurich-Ops-${first}-to-${last}-${reportId.slice(0, 8)}.pdf"`
    })
    expect(response.headers.get('content-disposition')).toMatch(oneOf(filenames))
    expect(Number(response.headers.get('content-length'))).toBe(bytes.length)
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    pdf = bytes
  })

  it.skipIf(SKIP_PDF_TEXT)(
    pdfTextTitle('the PDF names the organization and period and gives the MTTR figures'),
    async () => {
      const text = await pdfText(pdf)
      expect(text).toContain('Aurora Zürich Ops')
      expect(text).toMatch(
        oneOf(
          textsBetween(
            requested.from,
            requested.to,
            (at) => `Period: ${rollingPeriod(7, at, ZONE)}`,
          ),
        ),
      )
      expect(text).toContain('MTTR (time to resolve)')
      // Mean and median of 90 and 150 minutes, and their p90.
      expect(text).toContain('2 h 24 min')
      // Count, mean, median, p90 (pdftotext may drop the space in a short right-aligned cell).
      expect(text).toMatch(/MTTR \(time to resolve\)\s+2\s+2 ?h\s+2 ?h\s+2 h 24 min/)
      expect(text).toContain('Checkout Åland')
    },
  )

  it('queues an e-mail to the requester with a link to the report', async () => {
    const mails = await db.query<{ to_address: string; kind: string; body_text: string }>(
      `select to_address, kind, body_text from email_outbox where idempotency_key = $1`,
      [`report-ready:${reportId}`],
    )
    expect(mails).toHaveLength(1)
    expect(mails[0]!.to_address).toBe(a.manager.member.user.email)
    expect(mails[0]!.kind).toBe('report-ready')
    expect(mails[0]!.body_text).toContain(`${APP_URL}/reports/${reportId}`)
    const jobs = await db.query(
      `select 1 from pgboss.job j join email_outbox o on o.id::text = j.data->>'outboxId'
        where j.name = 'email-deliver' and o.idempotency_key = $1`,
      [`report-ready:${reportId}`],
    )
    expect(jobs).toHaveLength(1)
  })

  it('lists the report with who requested it, its parameters in words, status, size and link', async () => {
    const list = await page(a.manager, '/reports')
    expect(list.status).toBe(200)
    const row = new RegExp(`<tr data-report-id="${reportId}">(.*?)</tr>`, 's').exec(list.html)
    expect(row).not.toBeNull()
    expect(row![1]).toContain(a.manager.member.user.displayName)
    expect(row![1]).toContain('Last 7 days:')
    expect(row![1]).toContain('All incidents')
    expect(row![1]).toContain('data-status="done">Done')
    expect(row![1]).toMatch(/\d+ KB/)
    expect(row![1]).toContain(`href="/reports/${reportId}/download"`)
  })

  it('handles the same job again without a second file or e-mail (at-least-once delivery)', async () => {
    const { outcome } = await generateReport(deps(), { reportId, organizationId: a.id })
    expect(outcome).toBe('skipped')
    const mails = await db.query(`select 1 from email_outbox where idempotency_key = $1`, [
      `report-ready:${reportId}`,
    ])
    expect(mails).toHaveLength(1)
  })
})

describe('reusing a report in progress', () => {
  it('returns the queued report and its one job for identical parameters; other parameters make a new one', async () => {
    const fields = { period: '30d', severity: ['SEV-2', 'SEV-1'], service: a.serviceId }
    const first = await requestReportId(a.manager, fields)
    // The same choices in another order, by someone else with the same permission.
    const colleague = await person('admin', a.id)
    const second = await requestReportId(colleague, {
      service: a.serviceId,
      severity: ['SEV-1', 'SEV-2'],
      period: '30d',
    })
    expect(second).toBe(first)
    expect(await jobsFor(first)).toHaveLength(1)
    expect(
      await db.query(
        `select 1 from report where organization_id = $1 and parameters_hash = (
        select parameters_hash from report where id = $2)`,
        [a.id, first],
      ),
    ).toHaveLength(1)

    const other = await requestReportId(a.manager, { ...fields, severity: ['SEV-1'] })
    expect(other).not.toBe(first)
    expect(await jobsFor(other)).toHaveLength(1)

    // Running counts as in progress too; once done, the same parameters make a new report.
    await db.query(`update report set status = 'running', started_at = now() where id = $1`, [
      first,
    ])
    expect(await requestReportId(a.manager, fields)).toBe(first)
    await runReportJobs()
    const afterDone = await requestReportId(a.manager, fields)
    expect(afterDone).not.toBe(first)
    await runReportJobs()
  })

  it('does not reuse a report left running by a worker that died for good', async () => {
    const fields = { period: '90d', commander: a.manager.member.user.id }
    const first = await requestReportId(a.manager, fields)
    await db.query(
      `update report set status = 'running', started_at = now() - interval '1 hour' where id = $1`,
      [first],
    )
    const stale = await page(a.manager, `/reports/${first}`)
    expect(stale.html).toContain('data-report-status="failed"')
    expect(stale.html).not.toMatch(CHECK_AGAIN)

    const second = await requestReportId(a.manager, fields)
    expect(second).not.toBe(first)
    const [row] = await db.query<{ status: string; error: string }>(
      'select status, error from report where id = $1',
      [first],
    )
    expect(row).toEqual({ status: 'failed', error: expect.stringContaining('worker stopped') })
    await runReportJobs()
  })
})

describe('failures', () => {
  it('retries a failed attempt, and marks the report failed with the reason on the last one', async () => {
    const reportId = await requestReportId(a.manager, { period: '365d' })
    const broken: ObjectStore = {
      ...store,
      put: () => Promise.reject(new Error('object storage unavailable')),
    }
    const payload = { reportId, organizationId: a.id }
    await expect(
      generateReport(deps({ store: broken }), payload, { retryCount: 0, retryLimit: 2 }),
    ).rejects.toThrow('object storage unavailable')
    const running = await page(a.manager, `/reports/${reportId}`)
    expect(running.html).toContain('data-report-status="running"')
    expect(running.html).toMatch(CHECK_AGAIN)
    expect(running.html).not.toMatch(TIMED_RELOAD)

    const last = await generateReport(deps({ store: broken }), payload, {
      retryCount: 2,
      retryLimit: 2,
    })
    expect(last.outcome).toBe('failed')
    const failed = await page(a.manager, `/reports/${reportId}`)
    expect(failed.html).toContain('data-report-status="failed"')
    expect(failed.html).toContain(
      'Reason: The report could not be generated: object storage unavailable',
    )
    expect(failed.html).not.toMatch(CHECK_AGAIN)
    expect((await download(a.manager, reportId)).response.status).toBe(404)
    expect(
      await db.query(`select 1 from email_outbox where idempotency_key = $1`, [
        `report-ready:${reportId}`,
      ]),
    ).toHaveLength(0)
    // The queued job itself finds the report finished and does nothing.
    expect((await runReportJobs())[reportId]).toBe('skipped')
  })

  it('refuses a custom period without dates, keeping what was chosen', async () => {
    const response = await request(a.manager, { period: 'custom', from: '', to: '2026-01-10' })
    expect(response.status).toBe(400)
    const html = decodePage(await response.text())
    expect(html).toContain('Enter the first day of the period')
    expect(html).toContain('value="2026-01-10"')
  })
})

describe('who may see reports', () => {
  let reportId: string

  beforeAll(async () => {
    reportId = await requestReportId(a.manager, { period: '7d', severity: 'SEV-2' })
    await runReportJobs()
  })

  it('refuses engineers (403) on every report page and the request', async () => {
    for (const url of [
      '/reports',
      `/reports/${reportId}`,
      `/reports/${reportId}/download`,
      '/reports/print',
    ]) {
      expect((await app.get(url, { cookie: a.engineer.cookie })).status, url).toBe(403)
    }
    expect((await request(a.engineer, { period: '7d' })).status).toBe(403)
  })

  it('answers 404 for another organization’s report, on its page and its download', async () => {
    expect((await page(b.manager, `/reports/${reportId}`)).status).toBe(404)
    const { response, bytes } = await download(b.manager, reportId)
    expect(response.status).toBe(404)
    expect(bytes.subarray(0, 5).toString('latin1')).not.toBe('%PDF-')
    expect(await getReport(db.orm, b.manager.member, reportId)).toBeNull()
    expect((await page(b.manager, '/reports')).html).not.toContain(reportId)
  })

  it('sends signed-out visitors to log in', async () => {
    const response = await app.get(`/reports/${reportId}`)
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`/login?redirectTo=%2Freports%2F${reportId}`)
  })
})

describe('tenant isolation', () => {
  let pdfA: Buffer
  let pdfB: Buffer

  beforeAll(async () => {
    const aId = await requestReportId(a.manager, { period: '30d' })
    const bId = await requestReportId(b.manager, { period: '30d' })
    const outcomes = await runReportJobs()
    expect(outcomes[aId]).toBe('done')
    expect(outcomes[bId]).toBe('done')
    pdfA = (await download(a.manager, aId)).bytes
    pdfB = (await download(b.manager, bId)).bytes
  })

  it.skipIf(SKIP_PDF_TEXT)(
    pdfTextTitle('the PDF of one organization has none of another’s incidents or services'),
    async () => {
      const textA = await pdfText(pdfA)
      const textB = await pdfText(pdfB)
      expect(textA).toContain('Checkout Åland')
      expect(textA).not.toContain('Borealis')
      expect(textA).not.toContain('Secret Ledger Gateway')
      expect(textB).toContain('Borealis Köln')
      expect(textB).toContain('Secret Ledger Gateway')
      expect(textB).not.toContain('Aurora')
      expect(textB).not.toContain('Checkout Åland')
      // B resolved one incident in 45 minutes; A's figures are not in B's report.
      expect(textB).toMatch(/MTTR \(time to resolve\)\s+1\s+45 ?min\s+45 ?min\s+45 ?min/)
      expect(textB).not.toContain('2 h 24 min')
    },
  )

  it('the printable report shows the organization’s own data only', async () => {
    const printA = await page(a.manager, '/reports/print?period=30d')
    expect(printA.html).toContain('Checkout Åland')
    expect(printA.html).not.toContain('Secret Ledger Gateway')
    const printB = await page(b.manager, '/reports/print?period=30d')
    expect(printB.html).toContain('Secret Ledger Gateway')
    expect(printB.html).not.toContain('Checkout Åland')
  })
})

describe('the printable report', () => {
  it('has the page header, the tables and the definitions, and no navigation', async () => {
    const loaded = await timed(() => page(a.manager, '/reports/print?period=7d'))
    const { status, html } = loaded.result
    expect(status).toBe(200)
    const header = /<header[^>]*data-report-header[^>]*>(.*?)<\/header>/s.exec(html)?.[1] ?? ''
    expect(header).toContain('Aurora Zürich Ops')
    expect(header).toMatch(
      oneOf(textsBetween(loaded.from, loaded.to, (at) => rollingPeriod(7, at, ZONE))),
    )
    const generated = textsBetween(loaded.from, loaded.to, (at) => dateTimeIn(at, ZONE))
    expect(header).toMatch(new RegExp(`Generated.*(${oneOf(generated).source})`, 's'))
    expect(header).toMatch(/version \w+/)
    expect(html).toContain('@page')
    expect(html).toContain('size: A4')
    expect(html).toContain('MTTR (time to resolve)')
    expect(html).toContain('2 h 24 min')
    expect(html).toContain('Metric definitions (version')
    expect(html).toContain('Mean time to resolve (MTTR)')
    expect(html).not.toContain('aria-label="Main"')
    expect(html).not.toContain('Log out')
    expect((html.match(/class="[^"]*print-break-before/g) ?? []).length).toBeGreaterThanOrEqual(6)
  })
})
