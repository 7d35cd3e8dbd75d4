import { createHash, randomBytes } from 'node:crypto'
import type { ServerBuild } from '@remix-run/node'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ACTIVE_TOKENS_MAX,
  authenticateApiToken,
  createApiToken,
  revokeApiToken,
} from '~/domain/api/tokens.server'
import { declareIncident } from '~/domain/incident/incident-service.server'
import type { Role } from '~/domain/access/permissions'
import { addMembership, createUser, signIn } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { decodeEntities } from '../support/html'
import { randomIp, startInProcessApp, type RunningApp } from '../support/in-process-app'
import {
  addMember,
  addSignedInMember,
  eventCount,
  loadIncident,
  type TestMember,
} from '../support/incidents'
import { loadRemixBuild } from '../support/remix-build'

/**
 * The JSON API over real HTTP: bearer tokens, role checks and tenant isolation per endpoint,
 * errors with stable codes, and every answer checked against the OpenAPI document the app serves.
 * Also the settings page where people create and revoke their tokens.
 */

const db = setUpTestDatabase('api')

let build: ServerBuild
let app: RunningApp
let otherOrg: string
let admin: TestMember
let adminToken: string
let otherAdmin: TestMember
let otherToken: string
let document: OpenApiDocument

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, ResponseObject> }>>
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> }
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
  admin = await addMember(db, db.organizationId, 'admin', { name: 'Ada Admin' })
  adminToken = await tokenFor(admin)
  otherAdmin = await addMember(db, otherOrg, 'admin', { name: 'Olga Other' })
  otherToken = await tokenFor(otherAdmin)
  const response = await fetch(`${app.baseUrl}/api/v1/openapi.json`)
  document = (await response.json()) as OpenApiDocument
  ajv.addSchema({ $id: DOC_ID, components: document.components })
})
afterAll(async () => {
  await app?.close()
})

async function tokenFor(member: TestMember, name = 'test token') {
  return (await createApiToken(db.orm, member, { name, expiresIn: 'never' })).token
}

async function memberWithToken(role: Role, organizationId = db.organizationId) {
  const member = await addMember(db, organizationId, role)
  return { member, token: await tokenFor(member) }
}

interface CallOptions {
  token?: string | null
  body?: unknown
  /** A body sent as is (with `contentType`), instead of `body` as JSON. */
  raw?: string | Uint8Array | ReadableStream<Uint8Array>
  contentType?: string | null
  headers?: Record<string, string>
}

interface ApiAnswer {
  status: number
  headers: Headers
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON under test, checked by the document
  json: any
}

/** The documented operation a concrete path belongs to, e.g. `/incidents/7` → `/incidents/{number}`. */
function templateFor(path: string) {
  return Object.keys(document.paths).find((template) =>
    new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
  )
}

/** Validates an answer against the document: the status must be documented, the body must fit. */
function expectDocumented(method: string, path: string, status: number, body: unknown) {
  const template = templateFor(path)
  const operation = template ? document.paths[template]?.[method.toLowerCase()] : undefined
  let schemaRef: unknown
  if (operation) {
    const response = operation.responses[String(status)]
    expect(response, `${method} ${template} documents status ${status}`).toBeDefined()
    schemaRef = response!.content?.['application/json']?.schema
  } else {
    // Paths and methods the API does not have answer with the error shape.
    schemaRef = { $ref: '#/components/schemas/Error' }
  }
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

/** One API request, answered JSON and checked against the OpenAPI document. */
async function api(method: string, path: string, options: CallOptions = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = { 'X-Forwarded-For': randomIp(), ...options.headers }
  const token = options.token === undefined ? adminToken : options.token
  if (token !== null) headers.Authorization = `Bearer ${token}`
  let body: BodyInit | undefined
  if (options.raw !== undefined) {
    body = options.raw as BodyInit
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body)
  }
  const contentType =
    options.contentType === undefined
      ? body === undefined
        ? null
        : 'application/json'
      : options.contentType
  if (contentType) headers['Content-Type'] = contentType
  const response = await fetch(`${app.baseUrl}/api/v1${path}`, {
    method,
    headers,
    body,
    redirect: 'manual',
    ...(options.raw instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit)
  expect(response.headers.get('content-type'), `${method} ${path} answers JSON`).toMatch(
    /^application\/json/,
  )
  const json: unknown = method === 'HEAD' ? null : await response.json()
  if (method !== 'HEAD') expectDocumented(method, path.split('?')[0]!, response.status, json)
  return { status: response.status, headers: response.headers, json }
}

function expectError(answer: ApiAnswer, status: number, code: string) {
  expect({ status: answer.status, code: answer.json?.error?.code }).toEqual({ status, code })
}

async function declareAs(member: TestMember, title = `Incident ${randomBytes(3).toString('hex')}`) {
  const declared = await declareIncident(db.orm, member, {
    title,
    summary: 'set up by the test',
    severity: 'SEV-3',
  })
  return { ...declared, title }
}

async function incidentCount(organizationId = db.organizationId) {
  const [row] = await db.query<{ n: number }>(
    'select count(*)::int as n from incident where organization_id = $1',
    [organizationId],
  )
  return row!.n
}

const randomToken = () => `ifk_${randomBytes(32).toString('base64url')}`

describe('the OpenAPI document', () => {
  it('is public and validates against the OpenAPI 3.1 schema', async () => {
    const response = await fetch(`${app.baseUrl}/api/v1/openapi.json`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    const served = (await response.json()) as Record<string, unknown>
    const result = await new Validator().validate(served as never)
    expect(result.errors ?? null).toBeNull()
    expect(result.valid).toBe(true)
    expect(served.openapi).toBe('3.1.0')
  })

  it('describes every endpoint, the bearer scheme and the error shape', () => {
    expect(Object.keys(document.paths).sort()).toEqual([
      '/custom-fields',
      '/incidents',
      '/incidents/{number}',
      '/incidents/{number}/comments',
      '/incidents/{number}/custom-fields',
      '/incidents/{number}/links',
      '/incidents/{number}/links/{relatedNumber}',
      '/incidents/{number}/public-updates',
      '/incidents/{number}/reclassification',
      '/incidents/{number}/roles',
      '/incidents/{number}/timeline',
      '/incidents/{number}/transitions',
      '/incidents/{number}/viewers',
      '/incidents/{number}/viewers/{userId}',
      '/incidents/{number}/visibility',
      '/openapi.json',
    ])
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    })
    for (const schema of ['Error', 'Incident', 'IncidentList', 'Timeline', 'TimelineEvent'])
      expect(document.components.schemas[schema], schema).toBeDefined()
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (path === '/openapi.json') continue
        expect(operation.responses['401'], `${method} ${path} documents 401`).toBeDefined()
      }
    }
  })
})

/** Every endpoint with a request that would succeed for an admin with a valid token. */
function endpoints(
  number: number,
): Array<{ name: string; method: string; path: string; body?: unknown }> {
  return [
    { name: 'list', method: 'GET', path: '/incidents' },
    {
      name: 'declare',
      method: 'POST',
      path: '/incidents',
      body: { title: 'Declared with a bad token', severity: 'SEV-2' },
    },
    { name: 'get', method: 'GET', path: `/incidents/${number}` },
    {
      name: 'transition',
      method: 'POST',
      path: `/incidents/${number}/transitions`,
      body: { action: 'start-investigating' },
    },
    {
      name: 'comment',
      method: 'POST',
      path: `/incidents/${number}/comments`,
      body: { body: 'Written with a bad token' },
    },
    {
      name: 'reclassify',
      method: 'POST',
      path: `/incidents/${number}/reclassification`,
      body: { classification: 'declined', reason: 'Reclassified with a bad token' },
    },
    {
      name: 'link',
      method: 'POST',
      path: `/incidents/${number}/links`,
      body: { relatedNumber: number + 1 },
    },
    { name: 'unlink', method: 'DELETE', path: `/incidents/${number}/links/${number + 1}` },
    {
      name: 'roles',
      method: 'PUT',
      path: `/incidents/${number}/roles`,
      body: { holders: { scribe: null } },
    },
    {
      name: 'visibility',
      method: 'POST',
      path: `/incidents/${number}/visibility`,
      body: { private: true, reason: 'Hidden with a bad token' },
    },
    {
      name: 'add viewer',
      method: 'POST',
      path: `/incidents/${number}/viewers`,
      body: { userId: '00000000-0000-4000-8000-000000000000' },
    },
    {
      name: 'remove viewer',
      method: 'DELETE',
      path: `/incidents/${number}/viewers/00000000-0000-4000-8000-000000000000`,
    },
    { name: 'public updates', method: 'GET', path: `/incidents/${number}/public-updates` },
    {
      name: 'post public update',
      method: 'POST',
      path: `/incidents/${number}/public-updates`,
      body: { status: 'investigating', message: 'Posted with a bad token' },
    },
    { name: 'timeline', method: 'GET', path: `/incidents/${number}/timeline` },
  ]
}

describe('token authentication', () => {
  it('refuses a missing, malformed, unknown, revoked or expired token on every endpoint, and writes nothing', async () => {
    const { number } = await declareAs(admin)
    const revoked = await createApiToken(db.orm, admin, { name: 'revoked', expiresIn: '30' })
    await revokeApiToken(db.orm, admin, revoked.id)
    const longAgo = new Date(Date.now() - 31 * 24 * 60 * 60 * 1000)
    const expired = await createApiToken(
      db.orm,
      admin,
      { name: 'expired', expiresIn: '30' },
      longAgo,
    )
    const before = {
      incidents: await incidentCount(),
      events: await eventCount(db, db.organizationId, number),
    }

    const cases: Array<{ label: string; headers: Record<string, string>; token: string | null }> = [
      { label: 'no token', headers: {}, token: null },
      { label: 'not Bearer', headers: { Authorization: `Basic ${btoa('a:b')}` }, token: null },
      { label: 'malformed', headers: { Authorization: 'Bearer not-a-token' }, token: null },
      { label: 'truncated', headers: {}, token: adminToken.slice(0, -1) },
      { label: 'unknown', headers: {}, token: randomToken() },
      { label: 'revoked', headers: {}, token: revoked.token },
      { label: 'expired', headers: {}, token: expired.token },
    ]
    for (const endpoint of endpoints(number)) {
      for (const c of cases) {
        const answer = await api(endpoint.method, endpoint.path, {
          token: c.token,
          headers: c.headers,
          body: endpoint.body,
        })
        expect(
          { status: answer.status, code: answer.json.error.code },
          `${endpoint.name} with ${c.label}`,
        ).toEqual({ status: 401, code: 'unauthorized' })
        expect(answer.headers.get('www-authenticate')).toBe(
          c.label === 'no token'
            ? 'Bearer realm="IncidentFlow"'
            : `Bearer realm="IncidentFlow", error="${c.token === null || c.label === 'truncated' ? 'invalid_request' : 'invalid_token'}"`,
        )
      }
    }
    expect({
      incidents: await incidentCount(),
      events: await eventCount(db, db.organizationId, number),
    }).toEqual(before)
  })

  it('ignores a signed-in session cookie: only the bearer token counts', async () => {
    const { cookie } = await addSignedInMember(db, db.organizationId, 'admin')
    const answer = await api('GET', '/incidents', { token: null, headers: { Cookie: cookie } })
    expectError(answer, 401, 'unauthorized')
  })

  it('says why a token was refused', async () => {
    const revoked = await createApiToken(db.orm, admin, { name: 'gone', expiresIn: 'never' })
    await revokeApiToken(db.orm, admin, revoked.id)
    expect((await api('GET', '/incidents', { token: revoked.token })).json.error.message).toMatch(
      /revoked/,
    )
    expect((await api('GET', '/incidents', { token: null })).json.error.message).toMatch(/Bearer/)
  })

  it('refuses the token of a deactivated member, and accepts it again once reactivated', async () => {
    const { member, token } = await memberWithToken('engineer')
    expect((await api('GET', '/incidents', { token })).status).toBe(200)
    await db.query('update membership set active = false where user_id = $1', [member.user.id])
    for (const endpoint of endpoints(1)) {
      const answer = await api(endpoint.method, endpoint.path, { token, body: endpoint.body })
      expectError(answer, 401, 'unauthorized')
      expect(answer.json.error.message).toMatch(/no longer an active member/)
    }
    await db.query('update membership set active = true where user_id = $1', [member.user.id])
    expect((await api('GET', '/incidents', { token })).status).toBe(200)
  })

  it('acts with the role the member has now: a role change counts on the next request', async () => {
    const { member, token } = await memberWithToken('engineer')
    const { number } = await declareAs(admin)
    const transition = (action: string) =>
      api('POST', `/incidents/${number}/transitions`, { token, body: { action } })

    expectError(await transition('start-investigating'), 403, 'forbidden')
    await db.query(`update membership set role = 'admin' where user_id = $1`, [member.user.id])
    const promoted = await transition('start-investigating')
    expect(promoted.status).toBe(200)
    expect(promoted.json.status).toBe('investigating')

    await db.query(`update membership set role = 'engineer' where user_id = $1`, [member.user.id])
    expectError(await transition('mark-mitigated'), 403, 'forbidden')
  })

  it('records when a token was last used, at most once a minute', async () => {
    const created = await createApiToken(db.orm, admin, { name: 'touch', expiresIn: 'never' })
    const request = new Request('http://localhost/api/v1/incidents', {
      headers: { Authorization: `Bearer ${created.token}` },
    })
    const lastUsed = async () =>
      (
        await db.query<{ last_used_at: Date | null }>(
          'select last_used_at from api_token where id = $1',
          [created.id],
        )
      )[0]!.last_used_at
    const t0 = new Date(Date.now() + 1000)
    expect(await lastUsed()).toBeNull()
    expect((await authenticateApiToken(db.orm, request, t0)).ok).toBe(true)
    expect(await lastUsed()).toEqual(t0)
    await authenticateApiToken(db.orm, request, new Date(t0.getTime() + 30_000))
    expect(await lastUsed()).toEqual(t0)
    const later = new Date(t0.getTime() + 61_000)
    await authenticateApiToken(db.orm, request, later)
    expect(await lastUsed()).toEqual(later)
  })
})

describe('reading incidents', () => {
  it('lists incidents with filters and cursor pagination', async () => {
    const { member, token } = await memberWithToken('engineer')
    const marker = `page-${randomBytes(3).toString('hex')}`
    const declared: number[] = []
    for (const severity of ['SEV-2', 'SEV-3', 'SEV-3', 'SEV-4'] as const) {
      const { number } = await declareIncident(db.orm, member, {
        title: `${marker} ${severity}`,
        summary: '',
        severity,
      })
      declared.push(number)
    }
    const seen: number[] = []
    let path = `/incidents?q=${marker}&limit=3`
    let pages = 0
    for (;;) {
      const answer = await api('GET', path, { token })
      expect(answer.status).toBe(200)
      pages++
      seen.push(...answer.json.data.map((i: { number: number }) => i.number))
      if (!answer.json.nextCursor) {
        expect(answer.json.links.next).toBeNull()
        break
      }
      expect(answer.json.links.next).toContain(`cursor=${answer.json.nextCursor}`)
      path = `/incidents?q=${marker}&limit=3&cursor=${answer.json.nextCursor}`
    }
    expect(pages).toBe(2)
    expect(seen.sort((a, b) => a - b)).toEqual(declared)

    const sev3 = await api('GET', `/incidents?q=${marker}&severity=SEV-3`, { token })
    expect(sev3.json.data.map((i: { severity: string }) => i.severity)).toEqual(['SEV-3', 'SEV-3'])
    const both = await api('GET', `/incidents?q=${marker}&severity=SEV-2,SEV-4`, { token })
    expect(both.json.data).toHaveLength(2)
    const first = sev3.json.data[0]
    expect(first).toMatchObject({
      id: `INC-${first.number}`,
      status: 'detected',
      commanderName: member.user.displayName,
    })
    expect(first.links.html).toMatch(new RegExp(`/incidents/${first.number}$`))

    await declareIncident(db.orm, admin, {
      title: `${marker} mine`,
      summary: '',
      severity: 'SEV-1',
    })
    const mine = await api('GET', `/incidents?q=${marker}&assignee=me`, { token })
    expect(mine.json.data).toHaveLength(4)
  })

  it('filters by status and service', async () => {
    const marker = `status-${randomBytes(3).toString('hex')}`
    const [service] = await db.query<{ id: string }>(
      `insert into service (organization_id, name) values ($1, $2) returning id`,
      [db.organizationId, `Billing ${marker}`],
    )
    const open = await declareIncident(db.orm, admin, {
      title: `${marker} open`,
      summary: '',
      severity: 'SEV-3',
      serviceId: service!.id,
    })
    const moved = await declareAs(admin, `${marker} moving`)
    await api('POST', `/incidents/${moved.number}/transitions`, {
      body: { action: 'start-investigating' },
    })
    await api('POST', `/incidents/${moved.number}/transitions`, {
      body: { action: 'mark-mitigated' },
    })
    await api('POST', `/incidents/${moved.number}/transitions`, {
      body: { action: 'mark-resolved' },
    })
    const numbers = async (query: string) =>
      (await api('GET', `/incidents?q=${marker}${query}`)).json.data
        .map((i: { number: number }) => i.number)
        .sort()
    expect(await numbers('')).toEqual([open.number])
    expect(await numbers('&status=resolved')).toEqual([moved.number])
    expect(await numbers('&status=all')).toEqual([open.number, moved.number].sort())
    expect(await numbers(`&status=all&service=${service!.id}`)).toEqual([open.number])
    const listed = await api('GET', `/incidents?q=${marker}&service=${service!.id}`)
    expect(listed.json.data[0].serviceName).toBe(`Billing ${marker}`)
  })

  it('refuses bad list parameters with the field they concern', async () => {
    const cases: Array<[string, string]> = [
      ['status=bogus', 'status'],
      ['severity=SEV-9', 'severity'],
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=ten', 'limit'],
      ['service=not-a-uuid', 'service'],
      ['from=yesterday', 'from'],
      ['cursor=garbage', 'cursor'],
      ['colour=blue', 'colour'],
      ['q=a&q=b', 'q'],
    ]
    for (const [query, field] of cases) {
      const answer = await api('GET', `/incidents?${query}`)
      expectError(answer, 422, 'validation_failed')
      expect(Object.keys(answer.json.error.fields), query).toEqual([field])
    }
  })

  it('gets one incident with its people, links and the steps the user may take', async () => {
    const { member, token } = await memberWithToken('engineer')
    const { number } = await declareAs(member, 'Checkout is slow')
    const answer = await api('GET', `/incidents/${number}`, { token })
    expect(answer.status).toBe(200)
    expect(answer.json).toMatchObject({
      id: `INC-${number}`,
      number,
      title: 'Checkout is slow',
      status: 'detected',
      severity: 'SEV-3',
      commander: { id: member.user.id, name: member.user.displayName },
      declaredBy: { id: member.user.id, name: member.user.displayName },
      assignees: [],
      version: 1,
      nextActions: ['start-investigating'],
    })
    expect(answer.json.links.html).toMatch(new RegExp(`/incidents/${number}$`))
    expect(answer.json.links.self).toMatch(new RegExp(`/api/v1/incidents/${number}$`))
    expect((await api('GET', `/incidents/INC-${number}`, { token })).json.number).toBe(number)

    const bystander = await memberWithToken('engineer')
    const seen = await api('GET', `/incidents/${number}`, { token: bystander.token })
    expect(seen.status).toBe(200)
    expect(seen.json.nextActions).toEqual([])
  })

  it('answers not_found for numbers that do not exist', async () => {
    for (const path of ['/incidents/999999', '/incidents/0', '/incidents/abc', '/incidents/-1'])
      expectError(await api('GET', path), 404, 'not_found')
    expectError(await api('GET', '/incidents/999999/timeline'), 404, 'not_found')
  })

  it('serves the timeline exactly as stored, and it verifies like the incident’s events', async () => {
    const { number } = await declareAs(admin)
    await api('POST', `/incidents/${number}/comments`, { body: { body: 'Looking at **it**' } })
    await api('POST', `/incidents/${number}/transitions`, {
      body: { action: 'start-investigating' },
    })
    const answer = await api('GET', `/incidents/${number}/timeline`)
    expect(answer.status).toBe(200)
    const { events } = await loadIncident(db.orm, db.organizationId, number)
    expect(
      answer.json.data.map(
        (e: {
          seq: number
          type: string
          actor: { id: string } | null
          occurredAt: string
          payload: unknown
          prevHash: string
          hash: string
        }) => ({
          seq: e.seq,
          type: e.type,
          actorId: e.actor?.id ?? null,
          occurredAt: e.occurredAt,
          payload: e.payload,
          prevHash: e.prevHash,
          hash: e.hash,
        }),
      ),
    ).toEqual(
      events.map((e) => ({
        seq: e.seq,
        type: e.type,
        actorId: e.actorId,
        occurredAt: e.occurredAt,
        payload: e.payload,
        prevHash: e.prevHash,
        hash: e.hash,
      })),
    )
    expect(answer.json.genesisHash).toBe('0'.repeat(64))
    expect(answer.json.data[0].prevHash).toBe(answer.json.genesisHash)
    expect(answer.json.data.map((e: { type: string }) => e.type)).toEqual([
      'incident.declared',
      'comment.added',
      'incident.status_changed',
    ])
    expect(answer.json.data[1]).toMatchObject({
      summary: 'commented',
      actor: { id: admin.user.id, name: 'Ada Admin' },
    })
  })
})

describe('declaring incidents', () => {
  it('declares as the token’s user, who appears as declarer in the timeline', async () => {
    const { member, token } = await memberWithToken('engineer')
    const answer = await api('POST', '/incidents', {
      token,
      body: {
        title: '  Payments failing  ',
        summary: 'Card payments fail with 502.',
        impact: 'significant',
        urgency: 'high',
        impactStartedAt: '2026-01-01T10:00:00+01:00',
      },
    })
    expect(answer.status).toBe(201)
    const number = answer.json.number as number
    expect(answer.headers.get('location')).toMatch(new RegExp(`/api/v1/incidents/${number}$`))
    expect(answer.json).toMatchObject({
      id: `INC-${number}`,
      title: 'Payments failing',
      summary: 'Card payments fail with 502.',
      impact: 'significant',
      urgency: 'high',
      status: 'detected',
      impactStartedAt: '2026-01-01T09:00:00.000Z',
      declaredBy: { id: member.user.id },
      commander: { id: member.user.id },
    })
    expect(answer.json.severity).toMatch(/^SEV-[1-4]$/)

    const { incident, events } = await loadIncident(db.orm, db.organizationId, number)
    expect(incident.declaredById).toBe(member.user.id)
    expect(events[0]).toMatchObject({ type: 'incident.declared', actorId: member.user.id })
    const timeline = await api('GET', `/incidents/${number}/timeline`, { token })
    expect(timeline.json.data[0]).toMatchObject({
      type: 'incident.declared',
      actor: { id: member.user.id, name: member.user.displayName },
    })
  })

  it('refuses invalid fields with per-field messages and declares nothing', async () => {
    const otherService = await db.query<{ id: string }>(
      `insert into service (organization_id, name) values ($1, 'Theirs') returning id`,
      [otherOrg],
    )
    const before = await incidentCount()
    const cases: Array<[unknown, string[]]> = [
      [{}, ['title']],
      [{ title: 'ab', severity: 'SEV-2' }, ['title']],
      [{ title: 'Valid title', severity: 'SEV-9' }, ['severity']],
      [{ title: 'Valid title' }, ['severity']],
      [{ title: 'Valid title', impact: 'minor' }, ['urgency']],
      [{ title: 'Valid title', severity: 'SEV-2', colour: 'red' }, ['colour']],
      [
        { title: 'Valid title', severity: 'SEV-2', impactStartedAt: 'yesterday' },
        ['impactStartedAt'],
      ],
      [{ title: 42, severity: 'SEV-2' }, ['title']],
      [{ title: 'Valid title', severity: 'SEV-2', serviceId: otherService[0]!.id }, ['serviceId']],
      [
        { title: 'Valid title', severity: 'SEV-2', impactStartedAt: '2999-01-01T00:00:00Z' },
        ['impactStartedAt'],
      ],
      [{ title: 'Null \u0000 byte', severity: 'SEV-2' }, ['title']],
    ]
    for (const [body, fields] of cases) {
      const answer = await api('POST', '/incidents', { body })
      expectError(answer, 422, 'validation_failed')
      expect(Object.keys(answer.json.error.fields), JSON.stringify(body)).toEqual(fields)
    }
    expectError(await api('POST', '/incidents', { body: ['a list'] }), 422, 'validation_failed')
    expect(await incidentCount()).toBe(before)
  })

  it('refuses bodies that are not JSON, not sent as JSON, or too large', async () => {
    const before = await incidentCount()
    expectError(
      await api('POST', '/incidents', { raw: '{"title": ', contentType: 'application/json' }),
      400,
      'invalid_json',
    )
    expectError(
      await api('POST', '/incidents', {
        raw: new Uint8Array([0x7b, 0xff, 0x7d]),
        contentType: 'application/json',
      }),
      400,
      'invalid_json',
    )
    expectError(
      await api('POST', '/incidents', {
        raw: 'title=Form+post&severity=SEV-2',
        contentType: 'application/x-www-form-urlencoded',
      }),
      415,
      'unsupported_media_type',
    )
    expectError(
      await api('POST', '/incidents', { raw: '{}', contentType: null }),
      415,
      'unsupported_media_type',
    )
    const huge = JSON.stringify({ title: 'Big', severity: 'SEV-2', summary: 'x'.repeat(70_000) })
    expectError(await api('POST', '/incidents', { raw: huge }), 413, 'payload_too_large')
    // Without Content-Length (chunked), the limit is enforced while reading.
    const chunk = new TextEncoder().encode('x'.repeat(16 * 1024))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(
          new TextEncoder().encode('{"title":"Streamed","severity":"SEV-2","summary":"'),
        )
      },
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk)
        else {
          controller.enqueue(new TextEncoder().encode('"}'))
          controller.close()
        }
      },
    })
    expectError(
      await api('POST', '/incidents', { raw: stream, contentType: 'application/json' }),
      413,
      'payload_too_large',
    )
    expect(await incidentCount()).toBe(before)
  })
})

describe('changing incidents', () => {
  it('lets the commander and admins transition and comment, but not an engineer who is not involved', async () => {
    const commander = await memberWithToken('engineer')
    const bystander = await memberWithToken('engineer')
    const manager = await memberWithToken('manager')
    const { number } = await declareAs(commander.member)
    const before = await eventCount(db, db.organizationId, number)

    for (const outsider of [bystander, manager]) {
      const transition = await api('POST', `/incidents/${number}/transitions`, {
        token: outsider.token,
        body: { action: 'start-investigating' },
      })
      expectError(transition, 403, 'forbidden')
      const comment = await api('POST', `/incidents/${number}/comments`, {
        token: outsider.token,
        body: { body: 'Not mine to say' },
      })
      expectError(comment, 403, 'forbidden')
    }
    expect(await eventCount(db, db.organizationId, number)).toEqual(before)

    const moved = await api('POST', `/incidents/${number}/transitions`, {
      token: commander.token,
      body: { action: 'start-investigating', version: 1 },
    })
    expect(moved.status).toBe(200)
    expect(moved.json).toMatchObject({ status: 'investigating', version: 2 })
    expect(moved.json.acknowledgedAt).not.toBeNull()
    expect(moved.json.nextActions).toEqual(['mark-mitigated'])

    const comment = await api('POST', `/incidents/${number}/comments`, {
      token: commander.token,
      body: { body: '  Rolled back the deploy.  ', version: 2 },
    })
    expect(comment.status).toBe(201)
    expect(comment.json).toMatchObject({
      seq: 3,
      type: 'comment.added',
      payload: { body: 'Rolled back the deploy.' },
      actor: { id: commander.member.user.id },
    })
    expect(comment.headers.get('location')).toMatch(
      new RegExp(`/api/v1/incidents/${number}/timeline$`),
    )

    const byAdmin = await api('POST', `/incidents/${number}/comments`, {
      body: { body: 'Admin note' },
    })
    expect(byAdmin.status).toBe(201)
  })

  it('refuses a stale version with conflict and the current version, changing nothing', async () => {
    const { number } = await declareAs(admin)
    await api('POST', `/incidents/${number}/comments`, { body: { body: 'moves the version on' } })
    const before = await eventCount(db, db.organizationId, number)

    const stale = await api('POST', `/incidents/${number}/transitions`, {
      body: { action: 'start-investigating', version: 1 },
    })
    expectError(stale, 409, 'conflict')
    expect(stale.json.error.currentVersion).toBe(2)
    const staleComment = await api('POST', `/incidents/${number}/comments`, {
      body: { body: 'late', version: 1 },
    })
    expectError(staleComment, 409, 'conflict')
    expect(await eventCount(db, db.organizationId, number)).toEqual(before)

    const fresh = await api('POST', `/incidents/${number}/transitions`, {
      body: { action: 'start-investigating', version: stale.json.error.currentVersion },
    })
    expect(fresh.status).toBe(200)
  })

  it('refuses steps the lifecycle does not allow, and invalid transition requests', async () => {
    const { number } = await declareAs(admin)
    const before = await eventCount(db, db.organizationId, number)
    const skip = await api('POST', `/incidents/${number}/transitions`, {
      body: { action: 'start-postmortem' },
    })
    expectError(skip, 400, 'invalid_transition')
    expect(skip.json.error.message).toMatch(/not possible from the current status/)

    const cases: Array<[unknown, string]> = [
      [{ action: 'explode' }, 'action'],
      [{}, 'action'],
      [{ action: 'start-investigating', version: 'one' }, 'version'],
      [{ action: 'start-investigating', version: -1 }, 'version'],
      [{ action: 'start-investigating', extra: true }, 'extra'],
    ]
    for (const [body, field] of cases) {
      const answer = await api('POST', `/incidents/${number}/transitions`, { body })
      expectError(answer, 422, 'validation_failed')
      expect(Object.keys(answer.json.error.fields), JSON.stringify(body)).toEqual([field])
    }
    for (const body of [{}, { body: '   ' }, { body: 'x'.repeat(20_001) }]) {
      const answer = await api('POST', `/incidents/${number}/comments`, { body })
      expectError(answer, 422, 'validation_failed')
      expect(Object.keys(answer.json.error.fields)).toEqual(['body'])
    }
    expect(await eventCount(db, db.organizationId, number)).toEqual(before)

    for (const action of ['start-investigating', 'mark-mitigated'])
      await api('POST', `/incidents/${number}/transitions`, { body: { action } })
    const noReason = await api('POST', `/incidents/${number}/transitions`, {
      body: { action: 'reopen' },
    })
    expectError(noReason, 422, 'validation_failed')
    expect(noReason.json.error.fields).toEqual({ reason: ['Give a reason.'] })
    const reopened = await api('POST', `/incidents/${number}/transitions`, {
      body: { action: 'reopen', reason: 'Errors are back' },
    })
    expect(reopened.json.status).toBe('investigating')
  })
})

describe('tenant isolation', () => {
  it('never shows or changes another organization’s incidents', async () => {
    const ours = await declareAs(admin, 'Our incident')
    const theirTitle = `Their secret ${randomBytes(3).toString('hex')}`
    // Make the other organization own a number this one does not have yet.
    let theirs = await declareAs(otherAdmin, theirTitle)
    const [{ max }] = (await db.query<{ max: number }>(
      'select max(number)::int as max from incident where organization_id = $1',
      [db.organizationId],
    )) as [{ max: number }]
    while (theirs.number <= max) theirs = await declareAs(otherAdmin, theirTitle)
    const theirEvents = await eventCount(db, otherOrg, theirs.number)

    const list = await api('GET', '/incidents?status=all&limit=100')
    expect(JSON.stringify(list.json)).not.toContain('Their secret')
    const search = await api('GET', `/incidents?status=all&q=${encodeURIComponent(theirTitle)}`)
    expect(search.json.data).toEqual([])

    for (const endpoint of endpoints(theirs.number).filter((e) => e.path.includes('/incidents/'))) {
      const answer = await api(endpoint.method, endpoint.path, { body: endpoint.body })
      expectError(answer, 404, 'not_found')
    }
    expect(await eventCount(db, otherOrg, theirs.number)).toEqual(theirEvents)

    // The same number in each organization is each one's own incident.
    const same = await api('GET', `/incidents/${ours.number}`, { token: otherToken })
    expect(same.status).toBe(200)
    expect(same.json.title).toBe(theirTitle)
    const mine = await api('GET', `/incidents/${ours.number}`)
    expect(mine.json.title).toBe('Our incident')
    const theirList = await api('GET', '/incidents?status=all&limit=100', { token: otherToken })
    expect(JSON.stringify(theirList.json)).not.toContain('Our incident')
  })
})

describe('other paths and methods', () => {
  it('answers JSON not_found for unknown /api/v1 paths, whatever the method', async () => {
    for (const [method, path] of [
      ['GET', ''],
      ['GET', '/'],
      ['GET', '/nothing-here'],
      ['POST', '/incidents/1/escalations'],
      ['GET', '/incidents/1/timeline/extra'],
      ['DELETE', '/'],
    ] as const) {
      const answer = await api(method, path, { token: null })
      expectError(answer, 404, 'not_found')
    }
  })

  it('answers method_not_allowed with Allow for a method an endpoint does not have', async () => {
    const { number } = await declareAs(admin)
    for (const [method, path, allow] of [
      ['DELETE', `/incidents/${number}`, 'GET'],
      ['PUT', '/incidents', 'GET, POST'],
      ['GET', `/incidents/${number}/transitions`, 'POST'],
      ['GET', `/incidents/${number}/comments`, 'POST'],
      ['POST', `/incidents/${number}/timeline`, 'GET'],
      ['POST', '/openapi.json', 'GET'],
    ] as const) {
      const answer = await api(method, path, { body: method === 'GET' ? undefined : {} })
      expectError(answer, 405, 'method_not_allowed')
      expect(answer.headers.get('allow')).toBe(allow)
    }
  })

  it('is not refused by the cross-site check: it authenticates by token, not cookie', async () => {
    const answer = await api('POST', '/incidents', {
      body: { title: 'From a script elsewhere', severity: 'SEV-4' },
      headers: { Origin: 'https://elsewhere.example' },
    })
    expect(answer.status).toBe(201)
    expect(answer.headers.get('cache-control')).toBe('no-store')
  })
})

// ---------------------------------------------------------------------------------------------
// The settings page
// ---------------------------------------------------------------------------------------------

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

async function tokenRows(userId: string) {
  return db.query<{
    id: string
    name: string
    token_hash: string
    token_hint: string
    expires_at: Date | null
    revoked_at: Date | null
  }>(
    'select id, name, token_hash, token_hint, expires_at, revoked_at from api_token where user_id = $1 order by created_at',
    [userId],
  )
}

describe('the API tokens page', () => {
  it('sends a signed-out visitor to log in', async () => {
    const response = await app.get('/account/tokens')
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('/login?redirectTo=%2Faccount%2Ftokens')
  })

  it('creates a token, shows it once, and stores only its hash', async () => {
    const { member, cookie } = await addSignedInMember(db, db.organizationId, 'engineer')
    const page = await app.get('/account/tokens', { cookie })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Token name')
    expect(html).toContain('Create token')
    expect(html).toContain('No tokens yet.')

    const createdFrom = Date.now()
    const created = await app.post(
      '/account/tokens',
      { intent: 'create', name: 'Deploy <bot>', expiresIn: '30' },
      { cookie },
    )
    const createdTo = Date.now()
    expect(created.status).toBe(200)
    expect(created.headers.get('cache-control')).toBe('no-store')
    const createdHtml = await created.text()
    const token = /value="(ifk_[A-Za-z0-9_-]{43})"/.exec(createdHtml)?.[1]
    expect(token).toBeDefined()
    expect(decodeEntities(createdHtml)).toContain('You will not see it again')
    expect(createdHtml).toContain('Deploy &lt;bot&gt;')
    expect(createdHtml).not.toContain('Deploy <bot>')

    const [row] = await tokenRows(member.user.id)
    expect(row).toMatchObject({
      name: 'Deploy <bot>',
      token_hash: sha256(token!),
      token_hint: `ifk_…${token!.slice(-4)}`,
      revoked_at: null,
    })
    const dump = JSON.stringify(
      await db.query('select * from api_token where user_id = $1', [member.user.id]),
    )
    expect(dump).not.toContain(token!.slice(4))
    // 30 days of 24 h from the moment the app (on this clock) created it.
    const thirtyDays = 30 * 86_400_000
    expect(row!.expires_at!.getTime()).toBeGreaterThanOrEqual(createdFrom + thirtyDays)
    expect(row!.expires_at!.getTime()).toBeLessThanOrEqual(createdTo + thirtyDays)

    const used = await api('GET', '/incidents', { token })
    expect(used.status).toBe(200)

    const again = await (await app.get('/account/tokens', { cookie })).text()
    expect(again).not.toContain(token!)
    expect(decodeEntities(again)).toContain(`ifk_…${token!.slice(-4)}`)
    expect(again).toContain('Deploy &lt;bot&gt;')
  })

  it('keeps what was typed and explains a missing name or bad expiry', async () => {
    const { member, cookie } = await addSignedInMember(db, db.organizationId, 'manager')
    const noName = await app.post(
      '/account/tokens',
      { intent: 'create', name: '  ', expiresIn: '90' },
      { cookie },
    )
    expect(noName.status).toBe(400)
    expect(await noName.text()).toContain('Give the token a name')
    const badExpiry = await app.post(
      '/account/tokens',
      { intent: 'create', name: 'Keeps this', expiresIn: '5' },
      { cookie },
    )
    expect(badExpiry.status).toBe(400)
    const html = await badExpiry.text()
    expect(html).toContain('Choose one from the list')
    expect(html).toContain('value="Keeps this"')
    expect(await tokenRows(member.user.id)).toEqual([])
  })

  it('revokes one of your own tokens; the API refuses it from then on', async () => {
    const { member, cookie } = await addSignedInMember(db, db.organizationId, 'engineer')
    const created = await createApiToken(db.orm, member, { name: 'CI', expiresIn: 'never' })
    expect((await api('GET', '/incidents', { token: created.token })).status).toBe(200)
    const list = await (await app.get('/account/tokens', { cookie })).text()
    expect(list).toContain('Revoke')

    const revoked = await app.post(
      '/account/tokens',
      { intent: 'revoke', tokenId: created.id },
      { cookie },
    )
    expect(revoked.status).toBe(302)
    expect(revoked.headers.get('location')).toBe('/account/tokens')
    expect((await tokenRows(member.user.id))[0]!.revoked_at).not.toBeNull()
    expectError(await api('GET', '/incidents', { token: created.token }), 401, 'unauthorized')
    const after = decodeEntities(await (await app.get('/account/tokens', { cookie })).text())
    expect(after).toMatch(/Revoked \d/)
  })

  it('answers 404 for a token that is not yours, and leaves it working', async () => {
    const { cookie } = await addSignedInMember(db, db.organizationId, 'admin')
    const colleague = await addMember(db, db.organizationId, 'engineer')
    const theirs = await createApiToken(db.orm, colleague, { name: 'theirs', expiresIn: 'never' })
    const foreign = await createApiToken(db.orm, otherAdmin, {
      name: 'other org',
      expiresIn: 'never',
    })
    for (const tokenId of [theirs.id, foreign.id, crypto.randomUUID(), 'not-an-id']) {
      const response = await app.post('/account/tokens', { intent: 'revoke', tokenId }, { cookie })
      expect(response.status, tokenId).toBe(404)
    }
    expect((await api('GET', '/incidents', { token: theirs.token })).status).toBe(200)
    expect((await api('GET', '/incidents', { token: foreign.token })).status).toBe(200)
    const page = await (await app.get('/account/tokens', { cookie })).text()
    expect(page).not.toContain('theirs')
    expect(page).not.toContain('other org')
  })

  it('refuses someone who is not an active member of any organization', async () => {
    const loner = await createUser(db)
    const session = await signIn(db, { userId: loner.userId, organizationId: null })
    expect((await app.get('/account/tokens', { cookie: session.cookie })).status).toBe(403)
    const post = await app.post(
      '/account/tokens',
      { intent: 'create', name: 'No org', expiresIn: 'never' },
      { cookie: session.cookie },
    )
    expect(post.status).toBe(403)
    expect(await tokenRows(loner.userId)).toEqual([])
  })

  it('keeps tokens per organization: each acts only in the organization it was made in', async () => {
    const person = await createUser(db, { displayName: 'Two Hats' })
    await addMembership(db, {
      userId: person.userId,
      organizationId: db.organizationId,
      role: 'admin',
    })
    await addMembership(db, { userId: person.userId, organizationId: otherOrg, role: 'engineer' })
    const inOther = await signIn(db, { userId: person.userId, organizationId: otherOrg })
    const created = await app.post(
      '/account/tokens',
      { intent: 'create', name: 'Other org bot', expiresIn: '90' },
      { cookie: inOther.cookie },
    )
    const token = /value="(ifk_[A-Za-z0-9_-]{43})"/.exec(await created.text())?.[1]
    expect(token).toBeDefined()
    const [row] = await db.query<{ organization_id: string }>(
      'select organization_id from api_token where user_id = $1',
      [person.userId],
    )
    expect(row!.organization_id).toBe(otherOrg)

    const theirs = await declareAs(
      otherAdmin,
      `Visible to the other org ${randomBytes(2).toString('hex')}`,
    )
    const read = await api('GET', `/incidents/${theirs.number}`, { token })
    expect(read.json.title).toBe(theirs.title)
    // An engineer there: not involved, so no transitions, although an admin here.
    expectError(
      await api('POST', `/incidents/${theirs.number}/transitions`, {
        token,
        body: { action: 'start-investigating' },
      }),
      403,
      'forbidden',
    )
    const ours = await api('GET', '/incidents?status=all&limit=100', { token })
    expect(JSON.stringify(ours.json)).not.toContain('Our incident')

    const inThisOrg = await signIn(db, { userId: person.userId, organizationId: db.organizationId })
    const page = decodeEntities(
      await (await app.get('/account/tokens', { cookie: inThisOrg.cookie })).text(),
    )
    expect(page).not.toContain('Other org bot')
    expect(page).toContain('No tokens yet.')
  })

  it('limits how many active tokens one person holds', async () => {
    const { member, cookie } = await addSignedInMember(db, db.organizationId, 'engineer')
    for (let i = 0; i < ACTIVE_TOKENS_MAX; i++)
      await createApiToken(db.orm, member, { name: `bot ${i}`, expiresIn: 'never' })
    const refused = await app.post(
      '/account/tokens',
      { intent: 'create', name: 'One too many', expiresIn: 'never' },
      { cookie },
    )
    expect(refused.status).toBe(400)
    expect(decodeEntities(await refused.text())).toContain(
      `You already have ${ACTIVE_TOKENS_MAX} active tokens`,
    )
    expect(await tokenRows(member.user.id)).toHaveLength(ACTIVE_TOKENS_MAX)
  })

  it('refuses a cross-site form post', async () => {
    const { member, cookie } = await addSignedInMember(db, db.organizationId, 'engineer')
    const response = await app.post(
      '/account/tokens',
      { intent: 'create', name: 'Forged', expiresIn: 'never' },
      { cookie, origin: 'https://evil.example' },
    )
    expect(response.status).toBe(403)
    expect(await tokenRows(member.user.id)).toEqual([])
  })
})
