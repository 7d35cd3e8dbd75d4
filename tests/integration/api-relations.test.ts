import { randomBytes } from 'node:crypto'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiToken } from '~/domain/api/tokens.server'
import { declareIncident } from '~/domain/incident/incident-service.server'
import type { Role } from '~/domain/access/permissions'
import { setUpTestDatabase } from '../support/database'
import { randomIp, startInProcessApp, type RunningApp } from '../support/in-process-app'
import { addMember, eventCount, type TestMember } from '../support/incidents'
import { loadRemixBuild } from '../support/remix-build'

/**
 * Reclassification, related links and incident roles written through the JSON API over real
 * HTTP: what each changes, each refusal (with nothing written), other organizations and private
 * incidents as 404, roles without the right as 403, and every answer checked against the
 * OpenAPI document the app serves.
 */

const db = setUpTestDatabase('api_relations')

let app: RunningApp
let otherOrg: string
let admin: TestMember
let adminToken: string
let manager: TestMember
let managerToken: string
let engineer: TestMember
let engineerToken: string
let otherToken: string
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

async function tokenFor(member: TestMember) {
  return (await createApiToken(db.orm, member, { name: 'relations', expiresIn: 'never' })).token
}

async function memberWithToken(role: Role, organizationId = db.organizationId) {
  const member = await addMember(db, organizationId, role)
  return { member, token: await tokenFor(member) }
}

beforeAll(async () => {
  app = await startInProcessApp(db, await loadRemixBuild())
  otherOrg = await db.createOrganization('Other Org')
  ;({ member: admin, token: adminToken } = await memberWithToken('admin'))
  ;({ member: manager, token: managerToken } = await memberWithToken('manager'))
  ;({ member: engineer, token: engineerToken } = await memberWithToken('engineer'))
  ;({ token: otherToken } = await memberWithToken('admin', otherOrg))
  const response = await fetch(`${app.baseUrl}/api/v1/openapi.json`)
  document = (await response.json()) as OpenApiDocument
  ajv.addSchema({ $id: DOC_ID, components: document.components })
})
afterAll(async () => {
  await app?.close()
})

function templateFor(path: string) {
  return Object.keys(document.paths).find((template) =>
    new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
  )
}

/** The status must be documented for the operation and the body must fit its schema. */
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
  expect(valid ? null : validate.errors, `${method} ${path} ${status} body fits`).toBeNull()
}

interface ApiAnswer {
  status: number
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON under test, checked by the document
  json: any
}

async function api(
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {
    'X-Forwarded-For': randomIp(),
    Authorization: `Bearer ${options.token ?? adminToken}`,
  }
  if (options.body !== undefined) headers['Content-Type'] = 'application/json'
  const response = await fetch(`${app.baseUrl}/api/v1${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    redirect: 'manual',
  })
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  const json: unknown = await response.json()
  expectDocumented(method, path.split('?')[0]!, response.status, json)
  return { status: response.status, json }
}

function expectError(answer: ApiAnswer, status: number, code: string) {
  expect({ status: answer.status, code: answer.json?.error?.code }).toEqual({ status, code })
}

async function declare(by: TestMember = admin, options: { private?: boolean } = {}) {
  const { number } = await declareIncident(db.orm, by, {
    title: `Incident ${randomBytes(3).toString('hex')}`,
    summary: 'set up by the test',
    severity: 'SEV-3',
    private: options.private,
  })
  return number
}

/** The incident's version, entries and stored classification, links and role holders. */
async function stored(number: number, organizationId = db.organizationId) {
  const [row] = await db.query<{
    classification: string
    target: number | null
    links: number
    holders: string[]
  }>(
    `select i.classification,
            (select t.number from incident t where t.id = i.classified_as_of_id) as target,
            (select count(*)::int from incident_link l
              where l.incident_id = i.id or l.related_incident_id = i.id) as links,
            array(select r.key || '=' || h.user_id from incident_role_holder h
                    join incident_role r on r.id = h.role_id
                   where h.incident_id = i.id order by r.key) as holders
       from incident i where i.organization_id = $1 and i.number = $2`,
    [organizationId, number],
  )
  return { ...row!, ...(await eventCount(db, organizationId, number))! }
}

describe('POST /incidents/{number}/reclassification', () => {
  it('marks a duplicate, shows it like GET, and undoes it with `incident`', async () => {
    const target = await declare()
    const number = await declare()
    const before = await stored(number)
    const answer = await api('POST', `/incidents/${number}/reclassification`, {
      token: managerToken,
      body: { classification: 'duplicate', target, reason: 'Same outage', version: before.version },
    })
    expect(answer.status).toBe(200)
    expect(answer.json).toMatchObject({ number, classification: 'duplicate' })
    expect(answer.json.relatedIncidents).toEqual([
      expect.objectContaining({ number: target, kind: 'duplicate_of', direction: 'to' }),
    ])
    const got = await api('GET', `/incidents/${number}`, { token: managerToken })
    expect(got.json).toEqual(answer.json)
    expect(await stored(number)).toMatchObject({ classification: 'duplicate', target, links: 1 })
    expect((await stored(number)).events).toBe(before.events + 1)

    const undone = await api('POST', `/incidents/${number}/reclassification`, {
      token: managerToken,
      body: { classification: 'incident', reason: 'Not the same after all' },
    })
    expect(undone.status).toBe(200)
    expect(undone.json).toMatchObject({ classification: 'incident', classifiedAsOf: null })
    expect(undone.json.relatedIncidents).toEqual([])
    expect(await stored(number)).toMatchObject({ classification: 'incident', links: 0 })
  })

  it('declines without a target', async () => {
    const number = await declare()
    const answer = await api('POST', `/incidents/${number}/reclassification`, {
      body: { classification: 'declined', reason: 'A test alert' },
    })
    expect(answer.status).toBe(200)
    expect(answer.json).toMatchObject({ classification: 'declined', classifiedAsOf: null })
  })

  it('refuses bad requests with the field, and writes nothing', async () => {
    const number = await declare()
    const other = await declare()
    const before = await stored(number)
    const cases: Array<[unknown, string]> = [
      [{ classification: 'duplicate', reason: 'x' }, 'target'],
      [{ classification: 'declined', target: other, reason: 'x' }, 'target'],
      [{ classification: 'duplicate', target: other, reason: '   ' }, 'reason'],
      [{ classification: 'lost', reason: 'x' }, 'classification'],
      [{ classification: 'merged', target: number, reason: 'x' }, 'target'],
      [{ classification: 'declined', reason: 'x', extra: 1 }, 'extra'],
    ]
    for (const [body, field] of cases) {
      const answer = await api('POST', `/incidents/${number}/reclassification`, { body })
      expectError(answer, 422, 'validation_failed')
      expect(Object.keys(answer.json.error.fields), JSON.stringify(body)).toContain(field)
    }
    const notReclassified = await api('POST', `/incidents/${number}/reclassification`, {
      body: { classification: 'incident', reason: 'undo' },
    })
    expectError(notReclassified, 422, 'validation_failed')
    expect(await stored(number)).toEqual(before)
  })

  it('answers 409 with the current version on a stale one, 403 for an engineer', async () => {
    const number = await declare(engineer)
    const before = await stored(number)
    const stale = await api('POST', `/incidents/${number}/reclassification`, {
      body: { classification: 'declined', reason: 'x', version: before.version + 5 },
    })
    expectError(stale, 409, 'conflict')
    expect(stale.json.error.currentVersion).toBe(before.version)
    const forbidden = await api('POST', `/incidents/${number}/reclassification`, {
      token: engineerToken,
      body: { classification: 'declined', reason: 'x' },
    })
    expectError(forbidden, 403, 'forbidden')
    expect(await stored(number)).toEqual(before)
  })

  it('answers 404 for another organization’s incident or target and a private target', async () => {
    const number = await declare()
    const before = await stored(number)
    expectError(
      await api('POST', `/incidents/${number}/reclassification`, {
        token: otherToken,
        body: { classification: 'declined', reason: 'x' },
      }),
      404,
      'not_found',
    )
    // A number only the other organization has.
    const otherAdmin = await addMember(db, otherOrg, 'admin')
    let foreign = await declare(otherAdmin)
    while (foreign <= number + 1) foreign = await declare(otherAdmin)
    expectError(
      await api('POST', `/incidents/${number}/reclassification`, {
        body: { classification: 'duplicate', target: foreign, reason: 'x' },
      }),
      404,
      'not_found',
    )
    // A private incident the manager is not involved in does not exist for them.
    const hidden = await declare(engineer, { private: true })
    expectError(
      await api('POST', `/incidents/${number}/reclassification`, {
        token: managerToken,
        body: { classification: 'merged', target: hidden, reason: 'x' },
      }),
      404,
      'not_found',
    )
    expect(await stored(number)).toEqual(before)
    expect((await stored(hidden)).links).toBe(0)
  })
})

describe('related links', () => {
  it('links with POST (201, on both incidents) and unlinks with DELETE', async () => {
    const number = await declare(engineer)
    const related = await declare()
    const added = await api('POST', `/incidents/${number}/links`, {
      token: engineerToken,
      body: { relatedNumber: related, version: (await stored(number)).version },
    })
    expect(added.status).toBe(201)
    expect(added.json.relatedIncidents).toEqual([
      expect.objectContaining({ number: related, kind: 'related' }),
    ])
    const other = await api('GET', `/incidents/${related}`)
    expect(other.json.relatedIncidents).toEqual([
      expect.objectContaining({ number, kind: 'related' }),
    ])
    const before = await stored(number)
    const removed = await api('DELETE', `/incidents/${related}/links/INC-${number}`)
    expect(removed.status).toBe(200)
    expect(removed.json.relatedIncidents).toEqual([])
    expect(await stored(number)).toMatchObject({ links: 0, events: before.events + 1 })
  })

  it('refuses a second link, a link to itself, a missing link and a stale version', async () => {
    const number = await declare()
    const related = await declare()
    const unrelated = await declare()
    await api('POST', `/incidents/${number}/links`, { body: { relatedNumber: related } })
    const before = await stored(number)
    for (const relatedNumber of [related, number]) {
      const answer = await api('POST', `/incidents/${number}/links`, { body: { relatedNumber } })
      expectError(answer, 422, 'validation_failed')
      expect(answer.json.error.fields).toHaveProperty('relatedNumber')
    }
    expectError(
      await api('POST', `/incidents/${number}/links`, { body: { relatedNumber: 'INC-2' } }),
      422,
      'validation_failed',
    )
    const notLinked = await api('DELETE', `/incidents/${number}/links/${unrelated}`)
    expectError(notLinked, 422, 'validation_failed')
    expect(notLinked.json.error.fields).toHaveProperty('relatedNumber')
    const stale = await api(
      'DELETE',
      `/incidents/${number}/links/${related}?version=${before.version + 1}`,
    )
    expectError(stale, 409, 'conflict')
    expect(stale.json.error.currentVersion).toBe(before.version)
    expectError(
      await api('DELETE', `/incidents/${number}/links/${related}?version=soon`),
      422,
      'validation_failed',
    )
    expect(await stored(number)).toEqual(before)
  })

  it('answers 403 to an engineer not involved and 404 across organizations or to a private incident', async () => {
    const number = await declare()
    const related = await declare()
    const hidden = await declare(admin, { private: true })
    const before = await stored(number)
    expectError(
      await api('POST', `/incidents/${number}/links`, {
        token: engineerToken,
        body: { relatedNumber: related },
      }),
      403,
      'forbidden',
    )
    expectError(
      await api('POST', `/incidents/${number}/links`, {
        token: otherToken,
        body: { relatedNumber: related },
      }),
      404,
      'not_found',
    )
    expectError(
      await api('POST', `/incidents/${number}/links`, {
        token: managerToken,
        body: { relatedNumber: hidden },
      }),
      404,
      'not_found',
    )
    expectError(
      await api('DELETE', `/incidents/${number}/links/${related}`, { token: otherToken }),
      404,
      'not_found',
    )
    expect(await stored(number)).toEqual(before)
    expect((await stored(hidden)).links).toBe(0)
  })
})

describe('PUT /incidents/{number}/roles', () => {
  it('sets and clears holders by role key and answers the incident', async () => {
    const number = await declare()
    const before = await stored(number)
    const answer = await api('PUT', `/incidents/${number}/roles`, {
      token: managerToken,
      body: {
        holders: { communications_lead: engineer.user.id, scribe: manager.user.id },
        version: before.version,
      },
    })
    expect(answer.status).toBe(200)
    expect(
      answer.json.roles.map((r: { key: string; holder: { id: string } }) => [r.key, r.holder.id]),
    ).toEqual([
      ['communications_lead', engineer.user.id],
      ['scribe', manager.user.id],
    ])
    expect(await stored(number)).toMatchObject({
      holders: [`communications_lead=${engineer.user.id}`, `scribe=${manager.user.id}`],
      events: before.events + 2,
    })
    const cleared = await api('PUT', `/incidents/${number}/roles`, {
      body: { holders: { scribe: null } },
    })
    expect(cleared.status).toBe(200)
    expect(cleared.json.roles.map((r: { key: string }) => r.key)).toEqual(['communications_lead'])
  })

  it('refuses unknown keys, non-members, nothing changing and a stale version, writing nothing', async () => {
    const number = await declare()
    const outsider = await addMember(db, otherOrg, 'engineer')
    const before = await stored(number)
    const cases: Array<[unknown, string | null]> = [
      [{ holders: { navigator: engineer.user.id } }, 'holders.navigator'],
      [{ holders: { scribe: outsider.user.id } }, 'holders.scribe'],
      [{ holders: { scribe: 'someone' } }, 'holders.scribe'],
      [{ holders: {} }, 'holders'],
      [{ holders: { scribe: null } }, null],
    ]
    for (const [body, field] of cases) {
      const answer = await api('PUT', `/incidents/${number}/roles`, { body })
      expectError(answer, 422, 'validation_failed')
      if (field)
        expect(Object.keys(answer.json.error.fields), JSON.stringify(body)).toContain(field)
    }
    const stale = await api('PUT', `/incidents/${number}/roles`, {
      body: { holders: { scribe: admin.user.id }, version: before.version + 1 },
    })
    expectError(stale, 409, 'conflict')
    expect(await stored(number)).toEqual(before)
  })

  it('answers 403 to an engineer, 404 across organizations, 405 to POST', async () => {
    const number = await declare()
    const before = await stored(number)
    const body = { holders: { scribe: engineer.user.id } }
    expectError(
      await api('PUT', `/incidents/${number}/roles`, { token: engineerToken, body }),
      403,
      'forbidden',
    )
    expectError(
      await api('PUT', `/incidents/${number}/roles`, { token: otherToken, body }),
      404,
      'not_found',
    )
    const post = await fetch(`${app.baseUrl}/api/v1/incidents/${number}/roles`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('PUT')
    expect(await stored(number)).toEqual(before)
  })
})
