import { randomBytes, randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import type { ServerBuild } from '@remix-run/node'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIntegration } from '~/domain/alerts/integrations.server'
import { parseAnalyticsFilters } from '~/domain/analytics/filters'
import { createApiToken } from '~/domain/api/tokens.server'
import type { Role } from '~/domain/access/permissions'
import { addComment, declareIncident } from '~/domain/incident/incident-service.server'
import { requestReport } from '~/domain/report/report.server'
import { signIn } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import {
  COMMON_FIELDS,
  ROUTES,
  type Method,
  type Param,
  type RouteSpec,
} from '../support/fuzz-routes'
import { randomIp, startInProcessApp, type RunningApp } from '../support/in-process-app'
import { addMember, type TestMember } from '../support/incidents'
import { loadRemixBuild } from '../support/remix-build'
import { changedTables, writeSnapshot } from '../support/write-snapshot'

/**
 * Bad input on every route, as every role and as a member of another organization, through the
 * real request path (express app, Remix build, PostgreSQL with RLS). For each route of the table
 * in tests/support/fuzz-routes.ts, fast-check generates requests — wrong types, huge values, NUL
 * and unpaired surrogates, another organization's incident numbers and ids, ids that are no ids,
 * bodies that are not forms, missing and unexpected fields — and every answer must:
 *
 * - not be a 5xx;
 * - not contain another organization's data (its rows carry unique marker strings);
 * - when it refuses (4xx), leave every table as it was.
 *
 * `make test` runs a fixed seed and a few hundred requests; FUZZ_RUNS=20000 (and FUZZ_SEED=n for
 * another sequence) runs longer.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261206)
const TOTAL_RUNS = Number(process.env.FUZZ_RUNS ?? 216)
const RUNS_PER_ROUTE = Math.max(3, Math.ceil(TOTAL_RUNS / ROUTES.length))

const db = setUpTestDatabase('fuzz')

const tag = randomBytes(4).toString('hex')
/** In every row of organization A (the actors' own) and of B (never shown to A or C). */
const MARK_A = `fzmarka${tag}`
const MARK_B = `fzmarkb${tag}`

interface Actor {
  label: string
  member: TestMember
  organizationId: string
  apiToken: string
  /** Marker strings this actor must never see. */
  forbidden: string[]
}

type IdPool = Record<Param, string[]>

let build: ServerBuild
let app: RunningApp
let actors: Actor[]
let ids: IdPool
/** Every uuid the world has (both organizations' rows), for fields that take ids. */
let uuids: string[]

async function insertService(organizationId: string, name: string) {
  const [row] = await db.query<{ id: string }>(
    `insert into service (organization_id, name) values ($1, $2) returning id`,
    [organizationId, name],
  )
  return row!.id
}

async function insertAttachment(organizationId: string, incidentNumber: number, mark: string) {
  const [row] = await db.query<{ id: string }>(
    `insert into attachment (organization_id, incident_id, object_key, display_name, content_type,
                             size_bytes, sha256)
     select organization_id, id, $3, $4, 'text/plain', 5, repeat('a', 64)
       from incident where organization_id = $1 and number = $2
     returning id`,
    [organizationId, incidentNumber, `fuzz/${randomUUID()}`, `${mark}-notes.txt`],
  )
  return row!.id
}

/**
 * An organization's rows, each carrying `mark`: incidents, a comment, a service, evidence, a
 * report, an alert integration, a webhook endpoint.
 */
async function populate(
  organizationId: string,
  admin: TestMember,
  mark: string,
  incidents: number,
) {
  const serviceId = await insertService(organizationId, `${mark} payments`)
  const numbers: number[] = []
  for (let i = 0; i < incidents; i++) {
    const { number } = await declareIncident(db.orm, admin, {
      title: `${mark} checkout errors ${i}`,
      summary: `${mark} summary`,
      severity: 'SEV-2',
      serviceId,
      incidentTypeId: null,
      impactStartedAt: null,
    })
    numbers.push(number)
  }
  await addComment(db.orm, admin, numbers[0]!, { body: `${mark} comment` })
  const attachmentId = await insertAttachment(organizationId, numbers[0]!, mark)
  const filters = parseAnalyticsFilters(new URLSearchParams(), 'UTC', new Date())
  const { report } = await requestReport(db.orm, db.boss, admin, filters)
  const integration = await createIntegration(db.orm, admin, {
    name: `${mark} alerts`,
    kind: 'generic',
    serviceId,
    defaultSeverity: 'SEV-3',
    mitigateOnResolve: false,
    rateLimitPerMinute: 10_000,
    signingSecret: '',
  })
  const [endpoint] = await db.query<{ id: string }>(
    `insert into webhook_endpoint (organization_id, url, description, secret, event_types)
     values ($1, $2, $3, 'fuzz-secret', '{incident.declared}') returning id`,
    [organizationId, `https://hooks.example.test/${mark}`, `${mark} receiver`],
  )
  const [integrationRow] = await db.query<{ id: string }>(
    `select id from integration where organization_id = $1`,
    [organizationId],
  )
  return {
    numbers,
    serviceId,
    attachmentId,
    reportId: report.id,
    integrationId: integrationRow!.id,
    endpointId: endpoint!.id,
    hookToken: integration.token,
  }
}

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build)
  const orgA = db.organizationId
  const orgB = await db.createOrganization('Other Org')
  const orgC = await db.createOrganization('Third Org')

  const makeActor = async (
    label: string,
    organizationId: string,
    role: Role,
    forbidden: string[],
  ) => {
    const member = await addMember(db, organizationId, role, {
      name: organizationId === orgA ? `${MARK_A} ${label}` : `Outsider ${label}`,
    })
    const apiToken = (await createApiToken(db.orm, member, { name: 'fuzz', expiresIn: 'never' }))
      .token
    return { label, member, organizationId, apiToken, forbidden }
  }
  actors = [
    await makeActor('admin', orgA, 'admin', [MARK_B]),
    await makeActor('manager', orgA, 'manager', [MARK_B]),
    await makeActor('engineer', orgA, 'engineer', [MARK_B]),
    await makeActor('outsider admin', orgC, 'admin', [MARK_A, MARK_B]),
  ]
  const adminB = await addMember(db, orgB, 'admin', { name: `${MARK_B} admin` })
  const a = await populate(orgA, actors[0]!.member, MARK_A, 2)
  // More incidents than A: B's numbers 3…6 name no incident of A.
  const b = await populate(orgB, adminB, MARK_B, 6)

  const junkIds = [
    'x',
    '-'.repeat(36),
    '00000000-0000-0000-0000-000000000000',
    'ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ',
    '%20',
    '..',
    '%2e%2e%2f',
    'a'.repeat(300),
  ]
  const pick = (key: 'attachmentId' | 'reportId' | 'integrationId' | 'endpointId') => [
    a[key],
    b[key],
    ...junkIds,
  ]
  ids = {
    number: [
      ...a.numbers,
      ...b.numbers,
      'INC-1',
      '0',
      '-1',
      '99999999999',
      '1.5',
      '1e3',
      'abc',
      '%D9%A1',
    ].map(String),
    attachmentId: pick('attachmentId'),
    reportId: pick('reportId'),
    integrationId: pick('integrationId'),
    draftId: [b.reportId, randomUUID(), ...junkIds],
    endpointId: pick('endpointId'),
    token: [randomBytes(24).toString('base64url'), ...junkIds],
    splat: ['no/such/page', 'incidents/1/x', '%E0%A4%A', ...junkIds],
    hookKind: ['generic', 'alertmanager', 'pagerduty', 'nagios', ...junkIds],
    hookToken: [a.hookToken, b.hookToken, ...junkIds],
    relatedNumber: [...a.numbers, ...b.numbers, '0', 'INC-1', 'abc'].map(String),
    userId: [actors[2]!.member.user.id, adminB.user.id, randomUUID(), ...junkIds],
  }
  // Pages create an organization's defaults (SLA policy, escalation rules, triage matrix) the
  // first time an admin opens them; opened once here, a refused request later writes nothing.
  for (const actor of [actors[0]!, actors[3]!]) {
    const { cookie } = await signIn(db, {
      userId: actor.member.user.id,
      organizationId: actor.organizationId,
    })
    for (const page of ['/admin/sla', '/admin/escalations', '/admin/triage', '/admin/postmortems'])
      expect((await app.get(page, { cookie })).status, page).toBe(200)
  }
  uuids = [
    a.serviceId,
    b.serviceId,
    a.attachmentId,
    b.attachmentId,
    a.reportId,
    b.reportId,
    a.integrationId,
    b.integrationId,
    a.endpointId,
    b.endpointId,
    adminB.user.id,
    ...actors.map((x) => x.member.user.id),
  ]
}, 120_000)

afterAll(async () => {
  await app?.close()
})

/** The actors' memberships as they were set up: a request may have changed a role or deactivated someone. */
async function restoreActors() {
  await db.query(
    `update membership m set active = true, role = a.role
       from unnest($1::uuid[], $2::text[]) as a(user_id, role)
      where m.user_id = a.user_id and (not m.active or m.role <> a.role)`,
    [actors.map((a) => a.member.user.id), actors.map((a) => a.member.role)],
  )
}

const HUGE = 'x'.repeat(70_000)
const JUNK_VALUES = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  'ab\ud800c',
  '\udfff',
  '-1',
  '0',
  '2147483648',
  '1e309',
  'NaN',
  'true',
  'null',
  '[]',
  '{}',
  '0000-01-01',
  '1900-01-01T00:00',
  '9999-12-31',
  '275760-09-13T00:00',
  '2026-02-30',
  '<script>alert(1)</script>',
  "' or 1=1 --",
  '../../etc/passwd',
  'SEV-9',
  'admin',
  'https://169.254.169.254/latest',
  HUGE,
]

const valueArb = () =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...JUNK_VALUES) },
    { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
    { weight: 2, arbitrary: fc.constantFrom(...uuids) },
    { weight: 1, arbitrary: fc.constantFrom(...ids.number) },
    { weight: 1, arbitrary: fc.integer().map(String) },
  )

type Encoding =
  | 'urlencoded'
  | 'multipart'
  | 'json'
  | 'text'
  | 'xml'
  | 'none'
  | 'broken-multipart'
  | 'multipart-no-boundary'
  | 'invalid-json'

interface FuzzRequest {
  method: Method
  actor: number
  params: Partial<Record<Param, string>>
  fields: Array<[string, string]>
  query: Array<[string, string]>
  encoding: Encoding
  /** API: send the actor's token (else none or a wrong one). */
  auth: 'token' | 'none' | 'junk'
  jsonExtras: Array<[string, unknown]>
}

const PARAM_NAMES = (spec: RouteSpec) =>
  [...spec.path.matchAll(/:(\w+)/g)].map((m) => m[1] as Param)

const OTHER_METHODS: Method[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']

function requestArb(spec: RouteSpec): fc.Arbitrary<FuzzRequest> {
  const names = [...(spec.fields ?? []), ...COMMON_FIELDS]
  const fieldArb = fc.tuple(
    fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...(spec.fields?.length ? spec.fields : names)) },
      { weight: 1, arbitrary: fc.constantFrom(...names) },
      { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'x\u0000', '') },
    ),
    valueArb(),
  )
  const fieldsArb = fc
    .tuple(
      fc.array(fieldArb, { maxLength: 6 }),
      fc.option(fc.constantFrom(...(spec.intents ?? ['x']), 'no-such-intent', ''), {
        nil: undefined,
      }),
    )
    .map(([fields, intent]) => {
      const out = fields.map(([k, v]): [string, string] => [
        k,
        spec.only && Object.hasOwn(spec.only, k)
          ? spec.only[k]![Math.abs(hash(v)) % spec.only[k]!.length]!
          : v,
      ])
      return intent === undefined ? out : ([['intent', intent], ...out] as Array<[string, string]>)
    })
  const params = Object.fromEntries(PARAM_NAMES(spec).map((p) => [p, fc.constantFrom(...ids[p])]))
  return fc.record({
    method: fc.oneof(
      { weight: 9, arbitrary: fc.constantFrom(...spec.methods) },
      { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) },
    ),
    actor: fc.nat({ max: actors.length - 1 }),
    params: fc.record(params) as fc.Arbitrary<Partial<Record<Param, string>>>,
    fields: fieldsArb,
    query: fc.array(
      fc.tuple(fc.constantFrom(...(spec.query ?? ['q']), 'page', 'cursor'), valueArb()),
      { maxLength: 3 },
    ),
    encoding: fc.oneof(
      {
        weight: 10,
        arbitrary: fc.constant<Encoding>(spec.kind === 'page' ? 'urlencoded' : 'json'),
      },
      { weight: 3, arbitrary: fc.constant<Encoding>('multipart') },
      {
        weight: 4,
        arbitrary: fc.constantFrom<Encoding>(
          'json',
          'text',
          'xml',
          'none',
          'broken-multipart',
          'multipart-no-boundary',
          'invalid-json',
        ),
      },
    ),
    auth: fc.oneof(
      { weight: 8, arbitrary: fc.constant<'token'>('token') },
      { weight: 1, arbitrary: fc.constantFrom<'none' | 'junk'>('none', 'junk') },
    ),
    jsonExtras: fc.array(
      fc.tuple(
        fc.constantFrom('__proto__', 'constructor', 'toString', 'x\ud800', 'extra'),
        fc.oneof(fc.jsonValue({ maxDepth: 2 }), valueArb()),
      ),
      { maxLength: 2 },
    ),
  })
}

function hash(text: string) {
  let h = 0
  for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0
  return h
}

/** `application/x-www-form-urlencoded` that keeps an unpaired surrogate as the bytes a sloppy client sends. */
function formEncode(pairs: Array<[string, string]>) {
  const encode = (text: string) =>
    text.replace(/[\s\S]/gu, (c) =>
      c.length === 1 && c >= '\ud800' && c <= '\udfff' ? '%ED%A0%80' : encodeURIComponent(c),
    )
  return pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&')
}

function multipart(pairs: Array<[string, string]>, boundary: string) {
  const parts = pairs.map(([k, v]) =>
    k === 'file'
      ? `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\n${v}\r\n`
      : `--${boundary}\r\nContent-Disposition: form-data; name="${k.replace(/["\r\n]/g, '_')}"\r\n\r\n${v}\r\n`,
  )
  return `${parts.join('')}--${boundary}--\r\n`
}

function jsonText(pairs: Array<[string, unknown]>) {
  return `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`
}

function fillPath(spec: RouteSpec, params: Partial<Record<Param, string>>) {
  return spec.path.replace(/:(\w+)/g, (_m, name: Param) => {
    const value = params[name] ?? 'x'
    // Values written as escapes (`%20`) go as they are; the rest is one path segment per slash.
    return /%[0-9a-f]{2}/i.test(value) || name === 'splat' ? value : encodeURIComponent(value)
  })
}

let previous = ''

interface Outcome {
  status: number
  text: string
}

async function send(
  spec: RouteSpec,
  request: FuzzRequest,
  cookie: string | null,
): Promise<Outcome> {
  const actor = actors[request.actor]!
  let url = `${app.baseUrl}${fillPath(spec, request.params)}`
  if (request.query.length) url += `?${formEncode(request.query)}`
  const headers: Record<string, string> = { 'X-Forwarded-For': randomIp() }
  let body: string | undefined
  const withBody = request.method !== 'GET'
  if (spec.kind === 'page') {
    if (cookie) headers.Cookie = cookie
    headers.Origin = app.baseUrl
  } else if (spec.kind === 'api' && request.auth !== 'none') {
    headers.Authorization =
      request.auth === 'token' ? `Bearer ${actor.apiToken}` : `Bearer ifk_${'0'.repeat(40)}`
  }
  if (withBody) {
    const boundary = `fuzz${randomBytes(6).toString('hex')}`
    const pairs = request.fields
    switch (request.encoding) {
      case 'urlencoded':
        headers['Content-Type'] = 'application/x-www-form-urlencoded'
        body = formEncode(pairs)
        break
      case 'multipart':
        headers['Content-Type'] = `multipart/form-data; boundary=${boundary}`
        body = multipart(pairs, boundary)
        break
      case 'broken-multipart':
        headers['Content-Type'] = `multipart/form-data; boundary=${boundary}`
        body = multipart(pairs, boundary).slice(0, -8) + '\r\nContent-Disp'
        break
      case 'multipart-no-boundary':
        headers['Content-Type'] = 'multipart/form-data'
        body = multipart(pairs, boundary)
        break
      case 'json':
        headers['Content-Type'] = 'application/json'
        body = jsonText([...pairs, ...request.jsonExtras])
        break
      case 'invalid-json':
        headers['Content-Type'] = 'application/json'
        body = jsonText(pairs).slice(0, -1)
        break
      case 'text':
        headers['Content-Type'] = 'text/plain'
        body = formEncode(pairs)
        break
      case 'xml':
        headers['Content-Type'] = 'application/xml'
        body = `<form>${pairs.map(([k, v]) => `<f n="${k}">${v}</f>`).join('')}</form>`
        break
      case 'none':
        body = formEncode(pairs)
        break
    }
  }
  const response = await fetch(url, {
    method: request.method,
    headers,
    body: withBody ? (body ?? '') : undefined,
    redirect: 'manual',
  }).catch((error: Error) => {
    throw new Error(
      `${error.message}: ${String((error.cause as Error | undefined)?.message)} (after ${previous})`,
    )
  })
  previous = `${describeRequest(spec, request)} → ${response.status}`
  const bytes = Buffer.from(await response.arrayBuffer())
  return {
    status: response.status,
    // Headers that can carry data too: a redirect's target, a download's file name.
    text: [
      response.headers.get('location') ?? '',
      response.headers.get('content-disposition') ?? '',
      bytes.toString('utf8'),
    ].join('\n'),
  }
}

function describeRequest(spec: RouteSpec, request: FuzzRequest) {
  const short = (v: string) => (v.length > 40 ? `${v.slice(0, 40)}…(${v.length})` : v)
  return JSON.stringify({
    method: request.method,
    path: fillPath(spec, request.params),
    actor: actors[request.actor]!.label,
    encoding: request.encoding,
    fields: request.fields.map(([k, v]) => [k, short(v)]),
    query: request.query.map(([k, v]) => [k, short(v)]),
  })
}

/** fast-check's report without its hints, with the property's own error (its cause). */
function failureText(error: unknown) {
  if (!(error instanceof Error)) return String(error)
  const report = error.message
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('Hint'))
    .join('\n')
  const cause = error.cause instanceof Error ? `\n${error.cause.message}` : ''
  return `${report}${cause}`.slice(0, 2000)
}

const counts = { requests: 0, byClass: {} as Record<string, number>, refusalsChecked: 0 }

describe('fuzz: bad input on every route', () => {
  it('has an entry for every route module, with every method it exports', () => {
    const dir = path.resolve('app/routes')
    const modules = readdirSync(dir).filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f))
    const covered = new Map(ROUTES.map((r) => [r.file, r]))
    expect(
      modules.filter((f) => !covered.has(f)),
      'route modules missing from fuzz-routes.ts',
    ).toEqual([])
    for (const file of modules) {
      const source = readFileSync(path.join(dir, file), 'utf8')
      const spec = covered.get(file)!
      // A loader that only answers 405 (`methodNotAllowed`) is reached by the other methods.
      if (/export (async function loader\b|const loader = (?!methodNotAllowed))/.test(source))
        expect(spec.methods, `${file} has a loader`).toContain('GET')
      if (/export (async function action\b|const action = (?!methodNotAllowed))/.test(source))
        expect(
          spec.methods.some((m) => m !== 'GET'),
          `${file} has an action`,
        ).toBe(true)
    }
    expect(
      ROUTES.filter((r) => !r.file.startsWith('express:') && !modules.includes(r.file)).map(
        (r) => r.file,
      ),
      'entries naming no route module',
    ).toEqual([])
  })

  it(`never answers 5xx, never shows another organization's data, writes nothing when it refuses (seed ${SEED}, ${RUNS_PER_ROUTE} requests per route)`, async () => {
    const failures: string[] = []
    for (const [index, spec] of ROUTES.entries()) {
      try {
        await fc.assert(
          fc.asyncProperty(requestArb(spec), async (request) => {
            const actor = actors[request.actor]!
            await restoreActors()
            const cookie =
              spec.kind === 'page'
                ? (
                    await signIn(db, {
                      userId: actor.member.user.id,
                      organizationId: actor.organizationId,
                    })
                  ).cookie
                : null
            const before = await writeSnapshot(db)
            const outcome = await send(spec, request, cookie)
            counts.requests++
            const cls = `${Math.floor(outcome.status / 100)}xx`
            counts.byClass[cls] = (counts.byClass[cls] ?? 0) + 1
            const what = `${describeRequest(spec, request)} → ${outcome.status}`
            if (outcome.status >= 500)
              throw new Error(`${what}: server error\n${outcome.text.slice(0, 300)}`)
            const forbidden = spec.kind === 'hook' ? [MARK_A, MARK_B] : actor.forbidden
            const lower = outcome.text.toLowerCase()
            const leaked = forbidden.filter((mark) => lower.includes(mark))
            if (leaked.length)
              throw new Error(`${what}: shows another organization's data (${leaked.join(', ')})`)
            if (outcome.status >= 400) {
              counts.refusalsChecked++
              const changed = changedTables(before, await writeSnapshot(db))
              if (changed.length)
                throw new Error(`${what}: refused but wrote to ${changed.join(', ')}`)
            }
          }),
          { seed: SEED + index, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
        )
      } catch (error) {
        failures.push(`${spec.path}: ${failureText(error)}`)
      }
    }
    console.log(
      `fuzz: ${counts.requests} requests over ${ROUTES.length} routes (seed ${SEED}), ` +
        `answers ${JSON.stringify(counts.byClass)}, ${counts.refusalsChecked} refusals checked for writes, ` +
        `${failures.length} routes failing`,
    )
    expect(failures, failures.join('\n\n')).toEqual([])
  }, 600_000)
})
