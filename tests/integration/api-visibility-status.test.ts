import { randomBytes } from 'node:crypto'
import type { ServerBuild } from '@remix-run/node'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiToken } from '~/domain/api/tokens.server'
import { declareIncident } from '~/domain/incident/incident-service.server'
import { addComponent } from '~/domain/status/status-admin.server'
import { setUpTestDatabase } from '../support/database'
import { randomIp, startInProcessApp, type RunningApp } from '../support/in-process-app'
import { addMember, eventCount, loadIncident, type TestMember } from '../support/incidents'
import { loadRemixBuild } from '../support/remix-build'

/**
 * The JSON API's writes about who sees a private incident (visibility, viewers) and its public
 * status updates, over real HTTP: the page's rules, refusals that write nothing, tenant isolation,
 * and every answer checked against the OpenAPI document the app serves.
 */

const db = setUpTestDatabase('api_visibility_status')

let build: ServerBuild
let app: RunningApp
let otherOrg: string
let admin: TestMember
let manager: TestMember
let commander: TestMember
let engineer: TestMember
let otherMember: TestMember
let otherAdmin: TestMember
const tokens = new Map<TestMember, string>()
let componentId: string
let otherComponentId: string
let document: OpenApiDocument

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>
  components: { schemas: Record<string, unknown> }
}
interface ResponseObject {
  content?: { 'application/json'?: { schema: unknown } }
}

const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats(ajv)
const DOC_ID = 'https://incidentflow.test/openapi.json'

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build)
  otherOrg = await db.createOrganization('Other Org')
  admin = await addMember(db, db.organizationId, 'admin')
  manager = await addMember(db, db.organizationId, 'manager')
  commander = await addMember(db, db.organizationId, 'engineer')
  engineer = await addMember(db, db.organizationId, 'engineer')
  otherMember = await addMember(db, db.organizationId, 'engineer')
  otherAdmin = await addMember(db, otherOrg, 'admin')
  for (const member of [admin, manager, commander, engineer, otherMember, otherAdmin])
    tokens.set(
      member,
      (await createApiToken(db.orm, member, { name: 'test', expiresIn: 'never' })).token,
    )
  componentId = await addComponent(db.orm, admin, {
    name: 'API',
    description: '',
    groupId: null,
    serviceIds: [],
  })
  otherComponentId = await addComponent(db.orm, otherAdmin, {
    name: 'Their API',
    description: '',
    groupId: null,
    serviceIds: [],
  })
  const response = await fetch(`${app.baseUrl}/api/v1/openapi.json`)
  document = (await response.json()) as OpenApiDocument
  ajv.addSchema({ $id: DOC_ID, components: document.components })
})
afterAll(async () => {
  await app?.close()
})

interface ApiAnswer {
  status: number
  headers: Headers
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON under test, checked by the document
  json: any
}

function templateFor(path: string) {
  return Object.keys(document.paths).find((template) =>
    new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
  )
}

/** The answer's status must be documented for the operation, and its body must fit the schema. */
function expectDocumented(method: string, path: string, status: number, body: unknown) {
  const template = templateFor(path)
  expect(template, `${path} is documented`).toBeDefined()
  const operation = document.paths[template!]?.[method.toLowerCase()]
  expect(operation, `${method} ${template} is documented`).toBeDefined()
  const response = operation!.responses[String(status)]
  expect(response, `${method} ${template} documents status ${status}`).toBeDefined()
  const schemaRef = response!.content?.['application/json']?.schema
  expect(schemaRef, `${method} ${path} ${status} has a JSON schema`).toBeDefined()
  const validate = ajv.compile(
    JSON.parse(JSON.stringify(schemaRef).replaceAll('"#/components/', `"${DOC_ID}#/components/`)),
  )
  const valid = validate(body)
  expect(
    valid ? null : validate.errors,
    `${method} ${path} ${status} body fits the document`,
  ).toBeNull()
}

async function api(
  method: string,
  path: string,
  as: TestMember,
  body?: unknown,
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {
    'X-Forwarded-For': randomIp(),
    Authorization: `Bearer ${tokens.get(as)}`,
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const response = await fetch(`${app.baseUrl}/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  })
  expect(response.headers.get('content-type'), `${method} ${path} answers JSON`).toMatch(
    /^application\/json/,
  )
  const json: unknown = await response.json()
  expectDocumented(method, path.split('?')[0]!, response.status, json)
  return { status: response.status, headers: response.headers, json }
}

function expectError(answer: ApiAnswer, status: number, code: string) {
  expect({ status: answer.status, code: answer.json?.error?.code }).toEqual({ status, code })
}

async function declareAs(member: TestMember, options: { private?: boolean } = {}) {
  return declareIncident(db.orm, member, {
    title: `Incident ${randomBytes(3).toString('hex')}`,
    summary: 'set up by the test',
    severity: 'SEV-3',
    ...options,
  })
}

async function stored(number: number) {
  const { incident } = await loadIncident(db.orm, db.organizationId, number)
  const viewers = await db.query<{ user_id: string }>(
    `select v.user_id from incident_viewer v join incident i on i.id = v.incident_id
      where i.organization_id = $1 and i.number = $2 order by v.user_id`,
    [db.organizationId, number],
  )
  return {
    private: incident.private,
    version: incident.version,
    events: (await eventCount(db, db.organizationId, number))!.events,
    viewers: viewers.map((v) => v.user_id),
  }
}

async function publicUpdateCount(organizationId = db.organizationId) {
  const [row] = await db.query<{ n: number }>(
    'select count(*)::int as n from public_update where organization_id = $1',
    [organizationId],
  )
  return row!.n
}

describe('POST /incidents/{number}/visibility', () => {
  it('lets the commander make their incident private and public again, as timeline entries', async () => {
    const { number } = await declareAs(commander)
    const before = await stored(number)
    const answer = await api('POST', `/incidents/${number}/visibility`, commander, {
      private: true,
      reason: '  Customer data involved  ',
      version: before.version,
    })
    expect(answer.status).toBe(200)
    expect(answer.json).toMatchObject({ number, private: true, version: before.version + 1 })
    const after = await stored(number)
    expect(after).toMatchObject({ private: true, events: before.events + 1, viewers: [] })
    const { events } = await loadIncident(db.orm, db.organizationId, number)
    expect(events.at(-1)).toMatchObject({
      type: 'incident.visibility_changed',
      payload: { private: true, reason: 'Customer data involved' },
    })

    const back = await api('POST', `/incidents/${number}/visibility`, commander, {
      private: false,
      reason: 'Cleared by legal',
    })
    expect(back.status).toBe(200)
    expect(back.json.private).toBe(false)
    expect((await stored(number)).private).toBe(false)
  })

  it('keeps a manager who makes it private as a viewer', async () => {
    const { number } = await declareAs(commander)
    const answer = await api('POST', `/incidents/${number}/visibility`, manager, {
      private: true,
      reason: 'Security incident',
    })
    expect(answer.status).toBe(200)
    expect(await stored(number)).toMatchObject({ private: true, viewers: [manager.user.id] })
    expect((await api('GET', `/incidents/${number}`, manager)).status).toBe(200)
  })

  it('refuses an engineer who is not the commander (403), writing nothing', async () => {
    const { number } = await declareAs(commander)
    const before = await stored(number)
    const answer = await api('POST', `/incidents/${number}/visibility`, engineer, {
      private: true,
      reason: 'Mine now',
    })
    expectError(answer, 403, 'forbidden')
    expect(await stored(number)).toEqual(before)
  })

  it('refuses a missing reason, a bad flag and an unknown field with field errors, writing nothing', async () => {
    const { number } = await declareAs(commander)
    const before = await stored(number)
    const blank = await api('POST', `/incidents/${number}/visibility`, commander, {
      private: true,
      reason: '   ',
    })
    expectError(blank, 422, 'validation_failed')
    expect(Object.keys(blank.json.error.fields)).toEqual(['reason'])
    const bad = await api('POST', `/incidents/${number}/visibility`, commander, {
      private: 'yes',
      reason: 'x',
      extra: 1,
    })
    expectError(bad, 422, 'validation_failed')
    expect(Object.keys(bad.json.error.fields).sort()).toEqual(['extra', 'private'])
    const same = await api('POST', `/incidents/${number}/visibility`, commander, {
      private: false,
      reason: 'Already public',
    })
    expectError(same, 422, 'validation_failed')
    expect(same.json.error.message).toBe('This incident is already visible to everyone.')
    expect(await stored(number)).toEqual(before)
  })

  it('answers 409 with the current version on a stale version, writing nothing', async () => {
    const { number } = await declareAs(commander)
    const before = await stored(number)
    const answer = await api('POST', `/incidents/${number}/visibility`, commander, {
      private: true,
      reason: 'Stale',
      version: before.version + 5,
    })
    expectError(answer, 409, 'conflict')
    expect(answer.json.error.currentVersion).toBe(before.version)
    expect(await stored(number)).toEqual(before)
  })

  it('answers 404 to another organization and to a non-participant of a private incident', async () => {
    const { number } = await declareAs(commander, { private: true })
    const before = await stored(number)
    const body = { private: false, reason: 'Let me in' }
    expectError(
      await api('POST', `/incidents/${number}/visibility`, otherAdmin, body),
      404,
      'not_found',
    )
    expectError(
      await api('POST', `/incidents/${number}/visibility`, engineer, body),
      404,
      'not_found',
    )
    expect(await stored(number)).toEqual(before)
  })
})

describe('POST /incidents/{number}/viewers and DELETE /incidents/{number}/viewers/{userId}', () => {
  it('gives a member sight of a private incident and takes it away again', async () => {
    const { number } = await declareAs(commander, { private: true })
    expectError(await api('GET', `/incidents/${number}`, engineer), 404, 'not_found')
    const before = await stored(number)
    const added = await api('POST', `/incidents/${number}/viewers`, commander, {
      userId: engineer.user.id,
      version: before.version,
    })
    expect(added.status).toBe(200)
    expect(added.json).toMatchObject({ number, private: true, version: before.version + 1 })
    expect(await stored(number)).toMatchObject({
      viewers: [engineer.user.id],
      events: before.events + 1,
    })
    expect((await api('GET', `/incidents/${number}`, engineer)).status).toBe(200)

    const removed = await api(
      'DELETE',
      `/incidents/${number}/viewers/${engineer.user.id}?version=${before.version + 1}`,
      admin,
    )
    expect(removed.status).toBe(200)
    expect(removed.json.version).toBe(before.version + 2)
    expect(await stored(number)).toMatchObject({ viewers: [], events: before.events + 2 })
    expectError(await api('GET', `/incidents/${number}`, engineer), 404, 'not_found')
  })

  it('refuses what the page refuses with field errors, writing nothing', async () => {
    const { number } = await declareAs(commander, { private: true })
    const before = await stored(number)
    const cases: Array<[string, unknown]> = [
      ['userId', { userId: 'not-a-uuid' }],
      ['userId', { userId: otherAdmin.user.id }],
      ['extra', { userId: commander.user.id, extra: true }],
    ]
    for (const [field, body] of cases) {
      const answer = await api('POST', `/incidents/${number}/viewers`, commander, body)
      expectError(answer, 422, 'validation_failed')
      expect(answer.json.error.fields, JSON.stringify(body)).toHaveProperty(field)
    }
    const notViewer = await api('DELETE', `/incidents/${number}/viewers/${manager.user.id}`, admin)
    expectError(notViewer, 422, 'validation_failed')
    expect(notViewer.json.error.fields).toHaveProperty('userId')
    const garbage = await api('DELETE', `/incidents/${number}/viewers/nobody`, admin)
    expectError(garbage, 422, 'validation_failed')
    const badVersion = await api(
      'DELETE',
      `/incidents/${number}/viewers/${manager.user.id}?version=x`,
      admin,
    )
    expectError(badVersion, 422, 'validation_failed')
    expect(badVersion.json.error.fields).toHaveProperty('version')
    expect(await stored(number)).toEqual(before)

    const { number: open } = await declareAs(commander)
    const openBefore = await stored(open)
    const onPublic = await api('POST', `/incidents/${open}/viewers`, commander, {
      userId: engineer.user.id,
    })
    expectError(onPublic, 422, 'validation_failed')
    expect(onPublic.json.error.fields).toHaveProperty('userId')
    expect(await stored(open)).toEqual(openBefore)
  })

  it('refuses an engineer who is not the commander (403) and answers 409 on a stale version', async () => {
    const { number } = await declareAs(commander, { private: true })
    await api('POST', `/incidents/${number}/viewers`, commander, { userId: engineer.user.id })
    const before = await stored(number)
    expectError(
      await api('POST', `/incidents/${number}/viewers`, engineer, { userId: otherMember.user.id }),
      403,
      'forbidden',
    )
    expectError(
      await api('DELETE', `/incidents/${number}/viewers/${engineer.user.id}`, engineer),
      403,
      'forbidden',
    )
    const stale = await api('POST', `/incidents/${number}/viewers`, commander, {
      userId: otherMember.user.id,
      version: before.version - 1,
    })
    expectError(stale, 409, 'conflict')
    expect(stale.json.error.currentVersion).toBe(before.version)
    const staleDelete = await api(
      'DELETE',
      `/incidents/${number}/viewers/${engineer.user.id}?version=${before.version - 1}`,
      commander,
    )
    expectError(staleDelete, 409, 'conflict')
    expect(await stored(number)).toEqual(before)
  })

  it('answers 404 to another organization and to a non-participant, writing nothing', async () => {
    const { number } = await declareAs(commander, { private: true })
    const before = await stored(number)
    for (const member of [otherAdmin, otherMember]) {
      expectError(
        await api('POST', `/incidents/${number}/viewers`, member, { userId: member.user.id }),
        404,
        'not_found',
      )
      expectError(
        await api('DELETE', `/incidents/${number}/viewers/${commander.user.id}`, member),
        404,
        'not_found',
      )
    }
    expect(await stored(number)).toEqual(before)
  })
})

describe('/incidents/{number}/public-updates', () => {
  it('lets the commander post an update and lists it, newest first', async () => {
    const { number, title } = await declareAs(commander).then(async (d) => ({
      ...d,
      title: (await loadIncident(db.orm, db.organizationId, d.number)).incident.title,
    }))
    const empty = await api('GET', `/incidents/${number}/public-updates`, engineer)
    expect(empty.status).toBe(200)
    expect(empty.json).toMatchObject({ incident: { id: `INC-${number}`, number }, data: [] })
    const before = await stored(number)
    const posted = await api('POST', `/incidents/${number}/public-updates`, commander, {
      status: 'investigating',
      message: '  We are looking into elevated errors.  ',
      components: [{ id: componentId, state: 'partial_outage' }],
    })
    expect(posted.status).toBe(201)
    expect(posted.headers.get('location')).toMatch(
      new RegExp(`/api/v1/incidents/${number}/public-updates$`),
    )
    expect(posted.json).toMatchObject({
      title,
      status: 'investigating',
      message: 'We are looking into elevated errors.',
      components: [{ id: componentId, state: 'partial_outage' }],
      postedBy: { id: commander.user.id, name: commander.user.displayName },
    })
    expect((await stored(number)).events).toBe(before.events + 1)
    const second = await api('POST', `/incidents/${number}/public-updates`, manager, {
      status: 'resolved',
      title: 'Errors resolved',
      message: 'Fixed.',
    })
    expect(second.status).toBe(201)
    expect(second.json).toMatchObject({ title: 'Errors resolved', components: [] })
    const listed = await api('GET', `/incidents/${number}/public-updates`, engineer)
    expect(listed.status).toBe(200)
    expect(listed.json.data.map((u: { id: string }) => u.id)).toEqual(
      expect.arrayContaining([posted.json.id, second.json.id]),
    )
    expect(listed.json.data).toHaveLength(2)
  })

  it('refuses an engineer who is neither commander nor Communications lead, until they hold the role', async () => {
    const { number } = await declareAs(commander)
    const lead = await addMember(db, db.organizationId, 'engineer')
    tokens.set(lead, (await createApiToken(db.orm, lead, { name: 't', expiresIn: 'never' })).token)
    const body = { status: 'identified', message: 'Found it.' }
    const count = await publicUpdateCount()
    const events = (await stored(number)).events
    expectError(
      await api('POST', `/incidents/${number}/public-updates`, lead, body),
      403,
      'forbidden',
    )
    expect(await publicUpdateCount()).toBe(count)
    expect((await stored(number)).events).toBe(events)
    await db.query(
      `insert into incident_role_holder (organization_id, incident_id, role_id, user_id, assigned_at)
       select i.organization_id, i.id, r.id, $3, now()
         from incident i join incident_role r on r.organization_id = i.organization_id
        where i.organization_id = $1 and i.number = $2 and r.key = 'communications_lead'`,
      [db.organizationId, number, lead.user.id],
    )
    expect((await api('POST', `/incidents/${number}/public-updates`, lead, body)).status).toBe(201)
    expect(await publicUpdateCount()).toBe(count + 1)
  })

  it('refuses a private incident, even to an admin, writing nothing', async () => {
    const { number } = await declareAs(commander, { private: true })
    const count = await publicUpdateCount()
    const answer = await api('POST', `/incidents/${number}/public-updates`, admin, {
      status: 'investigating',
      message: 'Secret.',
    })
    expectError(answer, 403, 'forbidden')
    expect(await publicUpdateCount()).toBe(count)
  })

  it('refuses bad input with the API’s field names, writing nothing', async () => {
    const { number } = await declareAs(commander)
    const count = await publicUpdateCount()
    const before = await stored(number)
    const cases: Array<[string[], unknown]> = [
      [['message', 'status'], { status: 'on_fire', message: '' }],
      [['message'], { status: 'monitoring', message: '   ' }],
      [['title'], { status: 'monitoring', title: 'x'.repeat(201), message: 'ok' }],
      [
        ['components.0.state'],
        { status: 'monitoring', message: 'ok', components: [{ id: componentId, state: 'gone' }] },
      ],
      [
        ['components'],
        {
          status: 'monitoring',
          message: 'ok',
          components: [{ id: otherComponentId, state: 'major_outage' }],
        },
      ],
      [
        ['components'],
        {
          status: 'monitoring',
          message: 'ok',
          components: [
            { id: componentId, state: 'major_outage' },
            { id: componentId, state: 'partial_outage' },
          ],
        },
      ],
    ]
    for (const [fields, body] of cases) {
      const answer = await api('POST', `/incidents/${number}/public-updates`, commander, body)
      expectError(answer, 422, 'validation_failed')
      expect(Object.keys(answer.json.error.fields).sort(), JSON.stringify(body)).toEqual(fields)
    }
    expect(await publicUpdateCount()).toBe(count)
    expect(await stored(number)).toEqual(before)
  })

  it('answers 404 to another organization and to a non-participant of a private incident', async () => {
    const { number } = await declareAs(commander)
    const { number: secret } = await declareAs(commander, { private: true })
    const count = await publicUpdateCount()
    const otherCount = await publicUpdateCount(otherOrg)
    const body = { status: 'investigating', message: 'Hello' }
    expectError(
      await api('GET', `/incidents/${number}/public-updates`, otherAdmin),
      404,
      'not_found',
    )
    expectError(
      await api('POST', `/incidents/${number}/public-updates`, otherAdmin, body),
      404,
      'not_found',
    )
    expectError(await api('GET', `/incidents/${secret}/public-updates`, engineer), 404, 'not_found')
    expectError(
      await api('POST', `/incidents/${secret}/public-updates`, engineer, body),
      404,
      'not_found',
    )
    expect((await api('GET', `/incidents/${secret}/public-updates`, commander)).status).toBe(200)
    expect(await publicUpdateCount()).toBe(count)
    expect(await publicUpdateCount(otherOrg)).toBe(otherCount)
  })
})
