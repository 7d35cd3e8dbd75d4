import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addDays, createActionItem, localDate } from '~/domain/postmortem/action-items.server'
import {
  emptySections,
  getPostmortemPage,
  savePostmortem,
} from '~/domain/postmortem/postmortem.server'
import { createObjectStore } from '~/utils/storage/create-store.server'
import type { ObjectStore } from '~/utils/storage/storage.server'
import { generateReport } from '~/domain/report/generate.server'
import { silentLogger, testEnv } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { decodePage } from '../support/html'
import { addSignedInMember, type SignedInMember } from '../support/incidents'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { pdfText, pdfTextTitle, SKIP_PDF_TEXT } from '../support/pdf'
import { runWaitingJobs } from '../support/jobs'
import { incidentInPostmortem } from '../support/postmortems'
import { loadRemixBuild } from '../support/remix-build'

/**
 * The printable postmortem and its PDF, through the real app over HTTP (plain form posts) and
 * the real report worker handler: print page → "Generate PDF" → 303 → report page → job →
 * done → download, read back as text; permissions and other organizations' postmortems.
 */

const db = setUpTestDatabase('postmortem-report')
const APP_URL = 'http://postmortems.incidentflow.test'

let build: ServerBuild
let app: RunningApp
let dataDir: string
let store: ObjectStore

let manager: SignedInMember
let engineer: SignedInMember
let owner: SignedInMember
let number: number
let other: { manager: SignedInMember; number: number }

const TITLE = 'Payments to Zürich bounced'

async function page(who: SignedInMember, url: string) {
  const response = await app.get(url, { cookie: who.cookie })
  const raw = await response.text()
  return { status: response.status, html: decodePage(raw), raw }
}

/** An incident declared by `who` two days ago, with a comment, and moved on to Postmortem. */
const postmortemIncident = (who: SignedInMember, title: string) =>
  incidentInPostmortem(db.orm, who.member, title, {
    daysAgo: 2,
    severity: 'SEV-1',
    comment: 'Rolled back the card router',
  })

const runReportJobs = () =>
  runWaitingJobs(db.boss, 'report-generate', 'reportId', async (payload) => {
    const deps = { orm: db.orm, boss: db.boss, store, logger: silentLogger, appUrl: APP_URL }
    return (await generateReport(deps, payload)).outcome
  })

const printUrl = (n: number) => `/incidents/${n}/postmortem/print`

beforeAll(async () => {
  build = await loadRemixBuild()
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'incidentflow-postmortem-report-'))
  app = await startInProcessApp(db, build, { DATA_DIR: dataDir, APP_URL })
  store = createObjectStore(testEnv(db, { DATA_DIR: dataDir }))
  await db.query(
    `update organization set name = 'Aurora Ops', timezone = 'Europe/Zurich' where id = $1`,
    [db.organizationId],
  )
  manager = await addSignedInMember(db, db.organizationId, 'manager', { name: 'Mara Manager' })
  engineer = await addSignedInMember(db, db.organizationId, 'engineer', { name: 'Eli Engineer' })
  owner = await addSignedInMember(db, db.organizationId, 'engineer', { name: 'Olga Owner' })
  number = await postmortemIncident(manager, TITLE)

  // The written postmortem: sections in Markdown and two chosen timeline entries.
  const pm = await getPostmortemPage(db.orm, manager.member, number)
  const comment = pm!.events.find((e) => e.type === 'comment.added')
  const timeline = [
    { seq: 1, note: 'Pager went off' },
    ...(comment ? [{ seq: comment.seq, note: 'The fix' }] : []),
  ]
  await savePostmortem(db.orm, manager.member, number, {
    sections: {
      ...emptySections(),
      summary:
        'Card payments **failed** for 40 minutes.\n\n- Visa declined\n- Mastercard timed out',
      rootCause:
        'A certificate expired on the card router. See [runbook](https://example.test/rb).',
      lessons: 'Alert <b>before</b> certificates expire.',
    },
    timeline,
    changeNote: null,
    revision: pm!.view.postmortem.currentRevision,
  })
  await createActionItem(db.orm, manager.member, number, {
    title: 'Monitor certificate expiry',
    ownerId: owner.member.user.id,
    dueOn: addDays(localDate(new Date(), 'Europe/Zurich'), 14),
    priority: 'high',
  })

  const otherId = await db.createOrganization('Borealis')
  const otherManager = await addSignedInMember(db, otherId, 'manager', { name: 'Omar Other' })
  await postmortemIncident(otherManager, 'Borealis first')
  other = {
    manager: otherManager,
    number: await postmortemIncident(otherManager, 'Borealis secret ledger'),
  }
})

afterAll(async () => {
  await app?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

describe('the printable postmortem', () => {
  it('shows the header, every section, the timeline and the action items, without navigation', async () => {
    const { status, html, raw } = await page(engineer, printUrl(number))
    expect(status).toBe(200)
    expect(html).toContain(`INC-${number} · ${TITLE}`)
    expect(html).toContain('Aurora Ops · postmortem')
    expect(html).toMatch(/Draft, revision \d+/)
    expect(html).toContain('<strong>failed</strong>')
    expect(html).toContain('<li>Visa declined</li>')
    expect(html).toContain('A certificate expired on the card router.')
    // Raw HTML in a section is escaped, never rendered.
    expect(raw).toContain('Alert &lt;b&gt;before&lt;/b&gt; certificates expire.')
    expect(raw).not.toContain('<b>before</b>')
    expect(html).toContain('Pager went off')
    expect(html).toContain('The fix')
    expect(html).toContain('Times in Europe/Zurich.')
    expect(html).toMatch(/CET|CEST|GMT\+1|GMT\+2/)
    expect(html).toContain('Monitor certificate expiry')
    expect(html).toContain('Olga Owner')
    expect(html).toContain('@page')
    expect(html).not.toContain('aria-label="Main"')
    expect(html).not.toMatch(/<nav[\s>]/)
    // Engineers read it; "Generate PDF" is for those who may make reports.
    expect(html).not.toContain('Generate PDF')
    expect((await page(manager, printUrl(number))).html).toContain('Generate PDF')
  })

  it('answers 404 for another organization’s postmortem', async () => {
    expect((await page(manager, printUrl(other.number))).status).toBe(404)
    expect((await page(other.manager, printUrl(other.number))).status).toBe(200)
  })
})

describe('the PDF', () => {
  let reportId: string

  it('"Generate PDF" answers 303 to the report page, which offers the download once the job ran', async () => {
    const response = await app.post(printUrl(number), {}, { cookie: manager.cookie })
    expect(response.status).toBe(303)
    const location = response.headers.get('location') ?? ''
    const match = /^\/reports\/([0-9a-f-]{36})$/.exec(location)
    expect(match, location).not.toBeNull()
    reportId = match![1]!

    // Asked again while it is queued: the same report, no second job.
    const again = await app.post(printUrl(number), {}, { cookie: manager.cookie })
    expect(again.headers.get('location')).toBe(location)

    const [row] = await db.query<{ kind: string; subject_id: string; status: string }>(
      'select kind, subject_id, status from report where id = $1',
      [reportId],
    )
    const pm = await getPostmortemPage(db.orm, manager.member, number)
    expect(row).toEqual({
      kind: 'postmortem',
      subject_id: pm!.view.postmortem.id,
      status: 'queued',
    })

    const queued = await page(manager, location)
    expect(queued.html).toContain(`Postmortem PDF · INC-${number}`)
    expect(queued.html).toContain('data-report-status="queued"')

    expect(await runReportJobs()).toEqual({ [reportId]: 'done' })
    const done = await page(manager, location)
    expect(done.html).toContain('data-report-status="done"')
    expect(done.html).toContain(`href="/reports/${reportId}/download"`)

    const list = await page(manager, '/reports')
    expect(list.html).toContain(`Postmortem of INC-${number}: ${TITLE}`)

    const [email] = await db.query<{ subject: string; to_address: string }>(
      `select subject, to_address from email_outbox where idempotency_key = $1`,
      [`report-ready:${reportId}`],
    )
    expect(email).toEqual({
      subject: `Postmortem PDF ready: INC-${number} ${TITLE} (Aurora Ops)`,
      to_address: manager.member.user.email,
    })
  })

  it.skipIf(SKIP_PDF_TEXT)(
    pdfTextTitle(
      'downloads as a PDF whose text has the title, the sections, the timeline and the action items',
    ),
    async () => {
      const response = await app.get(`/reports/${reportId}/download`, { cookie: manager.cookie })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('application/pdf')
      expect(response.headers.get('content-disposition')).toMatch(
        new RegExp(`^attachment; filename="postmortem-INC-${number}-Aurora-Ops-[0-9a-f]{8}\\.pdf"`),
      )
      const bytes = Buffer.from(await response.arrayBuffer())
      expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-')
      const text = (await pdfText(bytes)).replace(/\s+/g, ' ')
      expect(text).toContain(TITLE)
      expect(text).toContain('Card payments failed for 40 minutes.')
      expect(text).not.toContain('**failed**')
      expect(text).toContain('• Visa declined')
      expect(text).toContain('runbook (https://example.test/rb)')
      expect(text).toContain('Root cause and contributing factors')
      expect(text).toContain('Pager went off')
      expect(text).toContain('Monitor certificate expiry')
      expect(text).toContain('Olga Owner')
      expect(text).not.toContain('Borealis')
    },
  )

  it('refuses "Generate PDF" to roles without reports (403) and for another organization’s postmortem (404)', async () => {
    const before = await db.query('select id from report')
    expect((await app.post(printUrl(number), {}, { cookie: engineer.cookie })).status).toBe(403)
    expect((await app.post(printUrl(other.number), {}, { cookie: manager.cookie })).status).toBe(
      404,
    )
    expect((await app.post(printUrl(9999), {}, { cookie: manager.cookie })).status).toBe(404)
    expect(await db.query('select id from report')).toEqual(before)
  })

  it('does not let another organization open the report or its file', async () => {
    expect((await page(other.manager, `/reports/${reportId}`)).status).toBe(404)
    const download = await app.get(`/reports/${reportId}/download`, {
      cookie: other.manager.cookie,
    })
    expect(download.status).toBe(404)
  })
})
