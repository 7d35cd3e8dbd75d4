import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiToken } from '~/domain/api/tokens.server'
import { createObjectStore } from '~/utils/storage/create-store.server'
import type { ObjectStore } from '~/utils/storage/storage.server'
import { generateReport } from '~/domain/report/generate.server'
import { silentLogger, testEnv } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { decodePage } from '../support/html'
import { addMember, addSignedInMember, type SignedInMember } from '../support/incidents'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { runWaitingJobs } from '../support/jobs'
import { pdfText, PDFTOTEXT_AVAILABLE } from '../support/pdf'
import { incidentInPostmortem } from '../support/postmortems'
import { loadRemixBuild } from '../support/remix-build'

/**
 * A person's name is shown only to organizations they belong to (or belonged to). Every place the
 * app accepts a user id from a request — analytics and report filters, exports, the incident list
 * and API filters, the assign, escalation and action-item forms — is given the id of someone
 * outside the organization with a name found nowhere else, and no response body, stored row, PDF
 * or e-mail may contain that name. A member's id given the same way does show their name, so the
 * checks can see a name when one is there.
 */

const db = setUpTestDatabase('member_names')
const tag = () => randomBytes(4).toString('hex')
/** A member of another organization. */
const OUTSIDER_NAME = `Quillfeather Vantablack ${tag()}`
/** An account without any membership. */
const LONER_NAME = `Marrowgate Solstice ${tag()}`
/** A member of this organization: the control. */
const COLLEAGUE_NAME = `Adelind Colleague ${tag()}`
const APP_URL = 'http://names.incidentflow.test'

let build: ServerBuild
let app: RunningApp
let dataDir: string
let store: ObjectStore
let admin: SignedInMember
let apiToken: string
let incidentNumber: number
let outsiderId: string
let lonerId: string
let colleagueId: string

beforeAll(async () => {
  build = await loadRemixBuild()
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'incidentflow-names-'))
  app = await startInProcessApp(db, build, { DATA_DIR: dataDir, APP_URL })
  store = createObjectStore(testEnv(db, { DATA_DIR: dataDir }))

  admin = await addSignedInMember(db, db.organizationId, 'admin')
  apiToken = (await createApiToken(db.orm, admin.member, { name: 'names', expiresIn: 'never' }))
    .token
  colleagueId = (await addMember(db, db.organizationId, 'engineer', { name: COLLEAGUE_NAME })).user
    .id
  const other = await db.createOrganization('Elsewhere Ltd')
  outsiderId = (await addMember(db, other, 'admin', { name: OUTSIDER_NAME })).user.id
  const [loner] = await db.query<{ id: string }>(
    `insert into app_user (email, display_name) values ($1, $2) returning id`,
    [`loner-${tag()}@example.test`, LONER_NAME],
  )
  lonerId = loner!.id
  incidentNumber = await incidentInPostmortem(db.orm, admin.member, 'Checkout answers slowly', {
    daysAgo: 2,
    severity: 'SEV-2',
  })
})

afterAll(async () => {
  await app?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

const as = () => ({ cookie: admin.cookie })

async function text(response: Response) {
  expect(response.status, response.url).toBeLessThan(500)
  return decodePage(await response.text())
}

function postForm(url: string, fields: Array<[string, string]>) {
  return fetch(`${app.baseUrl}${url}`, {
    method: 'POST',
    headers: { Cookie: admin.cookie, Origin: app.baseUrl, 'X-Forwarded-For': '10.20.30.40' },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  })
}

async function currentVersion() {
  const html = await text(await app.get(`/incidents/${incidentNumber}`, as()))
  const match = /name="version" value="(\d+)"/.exec(html)
  expect(match, 'version field on the incident page').not.toBeNull()
  return match![1]!
}

/** Every page, export and form answer that takes a user id, given `id`; their bodies, by label. */
async function bodiesFor(id: string): Promise<Record<string, string>> {
  const bodies: Record<string, string> = {}
  const get = async (url: string) => {
    const label = bodies[`GET ${url}`] === undefined ? `GET ${url}` : `GET ${url} (again)`
    bodies[label] = await text(await app.get(url, as()))
  }
  for (const url of [
    `/analytics?commander=${id}`,
    `/analytics/incidents.csv?commander=${id}`,
    `/analytics/incidents.json?commander=${id}`,
    `/analytics/metrics.csv?commander=${id}`,
    `/analytics/metrics.json?commander=${id}`,
    `/reports?commander=${id}`,
    `/reports/print?commander=${id}`,
    `/reports/print?period=30d&commander=${id}&service=${id}&type=${id}`,
    `/incidents?assignee=${id}`,
  ])
    await get(url)

  const api = await fetch(`${app.baseUrl}/api/v1/incidents?assignee=${id}&status=all`, {
    headers: { Authorization: `Bearer ${apiToken}` },
  })
  bodies['GET /api/v1/incidents?assignee'] = await text(api)

  const assign = await postForm(`/incidents/${incidentNumber}`, [
    ['intent', 'assign'],
    ['commanderId', id],
    ['assigneeIds', id],
    ['version', await currentVersion()],
  ])
  bodies['POST assign'] = await text(assign)
  await get(`/incidents/${incidentNumber}`)

  const rule = await postForm('/admin/escalations', [
    ['intent', 'add-rule'],
    ['name', `Names ${tag()}`],
    ['trigger', 'declared'],
    ['maxSeverity', 'SEV-1'],
    ['notifyMemberIds', id],
    ['commanderId', id],
  ])
  bodies['POST /admin/escalations'] = await text(rule)
  await get('/admin/escalations')

  const item = await postForm(`/incidents/${incidentNumber}/postmortem/action-items`, [
    ['intent', 'create'],
    ['title', 'Add a timeout to the checkout call'],
    ['owner', id],
    ['priority', 'medium'],
  ])
  bodies['POST action item'] = await text(item)
  await get(`/incidents/${incidentNumber}/postmortem/action-items`)
  await get(`/incidents/${incidentNumber}/postmortem`)

  // A report asked for with the id as its commander filter: its page, the list, the PDF, the
  // e-mail to the requester.
  const requested = await postForm('/reports', [
    ['period', '30d'],
    ['commander', id],
  ])
  expect(requested.status).toBe(303)
  const reportUrl = requested.headers.get('location') ?? ''
  expect(reportUrl).toMatch(/^\/reports\/[0-9a-f-]{36}$/)
  await get(reportUrl)
  const outcomes = await runWaitingJobs(db.boss, 'report-generate', 'reportId', async (payload) => {
    const result = await generateReport(
      { orm: db.orm, boss: db.boss, store, logger: silentLogger, appUrl: APP_URL },
      payload,
    )
    return result.outcome
  })
  expect(Object.values(outcomes)).toContain('done')
  await get(reportUrl)
  await get('/reports')
  const download = await app.get(`${reportUrl}/download`, as())
  expect(download.status).toBe(200)
  const pdf = Buffer.from(await download.arrayBuffer())
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-')
  if (PDFTOTEXT_AVAILABLE || process.env.CI) bodies['report PDF'] = await pdfText(pdf)
  // Without pdftotext, the PDF's uncompressed text objects are the best that can be read.
  else bodies['report PDF bytes'] = pdf.toString('latin1')
  return bodies
}

/** Every stored row of the database that mentions `name`, outside the user table itself. */
async function storedMentions(name: string) {
  const tables = await db.query<{ schema: string; name: string }>(
    `select table_schema as schema, table_name as name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema in ('public', 'pgboss')
        and table_name <> 'app_user'`,
  )
  const found: string[] = []
  for (const table of tables) {
    const [row] = await db.query<{ n: string }>(
      `select count(*) as n from "${table.schema}"."${table.name}" t where t::text like $1`,
      [`%${name}%`],
    )
    if (Number(row!.n) > 0) found.push(`${table.schema}.${table.name}`)
  }
  return found
}

describe('names of people outside the organization', () => {
  it.each([
    ['a member of another organization', () => outsiderId, () => OUTSIDER_NAME],
    ['an account without any membership', () => lonerId, () => LONER_NAME],
  ])(
    'never shows the name of %s, whatever page, export, form, report or e-mail is given their id',
    async (_who, id, name) => {
      const bodies = await bodiesFor(id())
      expect(Object.keys(bodies).length).toBeGreaterThan(20)
      for (const [label, body] of Object.entries(bodies))
        expect(body.includes(name()), `${label} shows the name`).toBe(false)
      // The print page says the filter names nobody of this organization.
      expect(bodies[`GET /reports/print?commander=${id()}`]).toContain('commander (removed)')
      expect(await storedMentions(name())).toEqual([])
    },
  )

  it('shows the name of a member of the organization given the same way (the checks can see a name)', async () => {
    const print = await text(await app.get(`/reports/print?commander=${colleagueId}`, as()))
    expect(print).toContain(`commander ${COLLEAGUE_NAME}`)
    const requested = await postForm('/reports', [
      ['period', '7d'],
      ['commander', colleagueId],
    ])
    expect(requested.status).toBe(303)
    const page = await text(await app.get(requested.headers.get('location') ?? '', as()))
    expect(page).toContain(COLLEAGUE_NAME)
    const list = await text(await app.get('/reports', as()))
    expect(list).toContain(`commander ${COLLEAGUE_NAME}`)
  })
})
