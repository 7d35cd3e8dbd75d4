import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIntegration } from '~/domain/alerts/integrations.server'
import { createApiToken } from '~/domain/api/tokens.server'
import { declareIncident } from '~/domain/incident/incident-service.server'
import { setUpTestDatabase } from '../support/database'
import { decodeEntities } from '../support/html'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { addSignedInMember, type SignedInMember } from '../support/incidents'
import { loadRemixBuild } from '../support/remix-build'
import { changedTables, writeSnapshot } from '../support/write-snapshot'

/**
 * Input that used to end in a 500: bodies that are not forms, ids that are not UUIDs, text
 * PostgreSQL cannot store, dates no incident can have, prototype keys in JSON, an Origin naming
 * another host than the request. Each is answered with a 4xx that says what is wrong, and nothing
 * is written. (tests/integration/fuzz.test.ts looks for more of the kind.)
 */

const db = setUpTestDatabase('bad_input')

let build: ServerBuild
let app: RunningApp
let admin: SignedInMember
let number: number
let token: string
let hookToken: string

const RANGE = /between 2000-01-01 and 2099-12-31/

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build)
  admin = await addSignedInMember(db, db.organizationId, 'admin')
  number = (
    await declareIncident(db.orm, admin.member, {
      title: 'Checkout errors',
      summary: '',
      severity: 'SEV-2',
      serviceId: null,
      incidentTypeId: null,
      impactStartedAt: null,
    })
  ).number
  token = (await createApiToken(db.orm, admin.member, { name: 'bad input', expiresIn: 'never' }))
    .token
  const [service] = await db.query<{ id: string }>(
    `insert into service (organization_id, name) values ($1, 'Payments') returning id`,
    [db.organizationId],
  )
  hookToken = (
    await createIntegration(db.orm, admin.member, {
      name: 'Generic',
      kind: 'generic',
      serviceId: service!.id,
      defaultSeverity: 'SEV-3',
      mitigateOnResolve: false,
      rateLimitPerMinute: 1000,
      signingSecret: '',
    })
  ).token
})

afterAll(async () => {
  await app?.close()
})

/** Runs `send`, checks it changed nothing stored, and returns the answer with its text. */
async function refused(send: () => Promise<Response>) {
  const before = await writeSnapshot(db)
  const response = await send()
  const text = decodeEntities(await response.text())
  expect(changedTables(before, await writeSnapshot(db)), 'tables written').toEqual([])
  return { status: response.status, text }
}

function postRaw(path: string, body: string | undefined, contentType: string | undefined) {
  const headers: Record<string, string> = { Cookie: admin.cookie, Origin: app.baseUrl }
  if (contentType) headers['Content-Type'] = contentType
  return fetch(`${app.baseUrl}${path}`, { method: 'POST', headers, body, redirect: 'manual' })
}

function api(method: string, path: string, body?: string) {
  return fetch(`${app.baseUrl}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body,
  })
}

describe('form actions given a body that is not a form', () => {
  const actions = () => ['/incidents/new', '/admin/services', `/incidents/${number}`, '/logout']

  it.each([
    ['JSON', '{"title":"Checkout errors"}', 'application/json'],
    ['text', 'title=Checkout errors', 'text/plain'],
    ['XML', '<incident><title>x</title></incident>', 'application/xml'],
    ['no Content-Type', 'title=x', undefined],
    ['no body at all', undefined, undefined],
  ])('answer 415 to %s', async (_label, body, type) => {
    for (const path of actions()) {
      const { status, text } = await refused(() => postRaw(path, body, type))
      expect(status, path).toBe(415)
      expect(text).toMatch(/accept HTML form submissions only/)
    }
  })

  it('answer 400 to a multipart body without a boundary', async () => {
    const { status, text } = await refused(() =>
      postRaw('/incidents/new', 'title=x', 'multipart/form-data'),
    )
    expect(status).toBe(400)
    expect(text).toMatch(/no boundary/)
  })

  it('answer 400 to a broken multipart body, evidence uploads included', async () => {
    const broken = '--x\r\nContent-Disposition: form-data; name="title"\r\n\r\nCheckout'
    for (const path of ['/incidents/new', '/admin/services', `/incidents/${number}/evidence`]) {
      const { status, text } = await refused(() =>
        postRaw(path, broken, 'multipart/form-data; boundary=x'),
      )
      expect(status, path).toBe(400)
      expect(text, path).toMatch(/form could not be read/)
    }
  })
})

describe('addresses that cannot be decoded', () => {
  it('a %-escape that is not UTF-8 is a 400, for pages and the API', async () => {
    for (const path of ['/%E0%A4%A', '/incidents/%FF', '/api/v1/%E0%A4%A']) {
      const { status, text } = await refused(() => app.get(path, { cookie: admin.cookie }))
      expect(status, path).toBe(400)
      expect(text, path).toMatch(/does not spell UTF-8/)
    }
  })
})

describe('a refused form with a large body', () => {
  it('leaves the connection fit for the next request', async () => {
    const engineer = await addSignedInMember(db, db.organizationId, 'engineer')
    const body = new URLSearchParams({ intent: 'create', description: 'x'.repeat(140_000) })
    const { status } = await refused(() =>
      fetch(`${app.baseUrl}/admin/webhooks`, {
        method: 'POST',
        headers: { Cookie: engineer.cookie, Origin: app.baseUrl },
        body,
        redirect: 'manual',
      }),
    )
    expect(status).toBe(403)
    // fetch keeps the connection alive and sends this one on it.
    const next = await fetch(`${app.baseUrl}/incidents`, {
      headers: { Cookie: engineer.cookie },
      redirect: 'manual',
    })
    expect(next.status).toBe(200)
  })
})

describe('a field given twice', () => {
  it('is echoed into a single select as one value (no React warning, which fails the test)', async () => {
    const { status, text } = await refused(() =>
      fetch(`${app.baseUrl}/incidents/new`, {
        method: 'POST',
        headers: { Cookie: admin.cookie, Origin: app.baseUrl },
        body: new URLSearchParams([
          ['title', 'x'],
          ['severity', 'SEV-2'],
          ['severity', 'SEV-3'],
        ]),
        redirect: 'manual',
      }),
    )
    expect(status).toBe(400)
    expect(text).toMatch(/Use at least 3 characters/)
  })
})

describe('ids that are not UUIDs', () => {
  it('withdrawing evidence with attachmentId=x is a 404', async () => {
    const { status } = await refused(() =>
      app.post(
        `/incidents/${number}/evidence`,
        { intent: 'withdraw', attachmentId: 'x', reason: 'wrong file' },
        { cookie: admin.cookie },
      ),
    )
    expect(status).toBe(404)
  })

  it('downloading evidence named by 36 dashes is a 404', async () => {
    const { status } = await refused(() =>
      app.get(`/incidents/${number}/evidence/${'-'.repeat(36)}`, { cookie: admin.cookie }),
    )
    expect(status).toBe(404)
  })
})

describe('text PostgreSQL cannot store', () => {
  it('a NUL in a service name is a field error', async () => {
    const { status, text } = await refused(() =>
      app.post(
        '/admin/services',
        { intent: 'add-service', name: 'Pay\u0000ments' },
        { cookie: admin.cookie },
      ),
    )
    expect(status).toBe(400)
    expect(text).toMatch(/contains a NUL character/)
  })

  it.each([
    ['an incident type name', '/admin/services', { intent: 'add-type', name: 'Out\u0000age' }],
    ['an escalation rule name', '/admin/escalations', { intent: 'add-rule', name: 'Page\u0000' }],
    ['an incident title', '/incidents/new', { title: 'Checkout\u0000', severity: 'SEV-2' }],
  ])('a NUL in %s is a field error', async (_label, path, fields) => {
    // The first visit of a settings page stores the organization's defaults; that is not the
    // refused request's doing.
    expect((await app.get(path, { cookie: admin.cookie })).status).toBe(200)
    const { status, text } = await refused(() => app.post(path, fields, { cookie: admin.cookie }))
    expect(status).toBe(400)
    expect(text).toMatch(/contains a NUL character/)
  })

  it('q=%00 on the incident list is a 400', async () => {
    const { status, text } = await refused(() =>
      app.get('/incidents?q=%00', { cookie: admin.cookie }),
    )
    expect(status).toBe(400)
    expect(text).toMatch(/NUL character/)
  })

  it('an unpaired surrogate in API JSON is a 422 naming the field', async () => {
    const { status, text } = await refused(() =>
      api('POST', '/api/v1/incidents', '{"title":"ab\\ud800c","severity":"SEV-2"}'),
    )
    expect(status).toBe(422)
    const body = JSON.parse(text) as { error: { code: string; fields: Record<string, string[]> } }
    expect(body.error.code).toBe('validation_failed')
    expect(Object.keys(body.error.fields)).toEqual(['title'])
  })

  it('an unpaired surrogate in a generic alert is a 422, so the sender does not retry', async () => {
    const { status, text } = await refused(() =>
      fetch(`${app.baseUrl}/hooks/generic/${hookToken}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"title":"Disk full \\udc00","severity":"SEV-2","status":"firing","dedupKey":"disk"}',
      }),
    )
    expect(status).toBe(422)
    expect(JSON.parse(text)).toMatchObject({
      error: { code: 'invalid_payload', issues: [{ path: 'title' }] },
    })
  })
})

describe('dates outside 2000-01-01 … 2099-12-31', () => {
  const pages = [
    '/analytics',
    '/analytics/incidents.csv',
    '/analytics/metrics.json',
    '/reports',
    '/reports/print',
    '/incidents',
  ]

  it.each([
    ['0000-01-01', '0000-01-02'],
    ['1900-01-01', '1900-01-05'],
    ['9999-12-30', '9999-12-31'],
  ])('from=%s&to=%s is a 400 naming the range on every page and export', async (from, to) => {
    for (const page of pages) {
      const { status, text } = await refused(() =>
        app.get(`${page}?period=custom&from=${from}&to=${to}`, { cookie: admin.cookie }),
      )
      expect(status, page).toBe(400)
      expect(text, page).toMatch(RANGE)
    }
    const { status, text } = await refused(() => api('GET', `/api/v1/incidents?from=${from}`))
    expect(status).toBe(422)
    expect(JSON.parse(text)).toMatchObject({ error: { fields: { from: [expect.any(String)] } } })
  })

  it('a report asked for with a custom period in year 0 is a field error and is not stored', async () => {
    const { status, text } = await refused(() =>
      app.post(
        '/reports',
        { period: 'custom', from: '0000-01-01', to: '0000-01-02', bucket: 'day' },
        { cookie: admin.cookie },
      ),
    )
    expect(status).toBe(400)
    expect(text).toMatch(RANGE)
  })

  it('an impact start in 1900 is a field error in the form and in the API', async () => {
    const form = await refused(() =>
      app.post(
        '/incidents/new',
        { title: 'Old outage', severity: 'SEV-2', impactStartedAt: '1900-01-01T00:00' },
        { cookie: admin.cookie },
      ),
    )
    expect(form.status).toBe(400)
    expect(form.text).toMatch(RANGE)
    const edit = await refused(() =>
      app.post(
        `/incidents/${number}`,
        { intent: 'edit', impactStartedAt: '1900-01-01T00:00', version: '1' },
        { cookie: admin.cookie },
      ),
    )
    expect(edit.status).toBeGreaterThanOrEqual(400)
    expect(edit.status).toBeLessThan(500)
    const viaApi = await refused(() =>
      api(
        'POST',
        '/api/v1/incidents',
        '{"title":"Old outage","severity":"SEV-2","impactStartedAt":"1900-01-01T00:00:00Z"}',
      ),
    )
    expect(viaApi.status).toBe(422)
    expect(JSON.parse(viaApi.text)).toMatchObject({
      error: { fields: { impactStartedAt: [expect.stringMatching(RANGE)] } },
    })
  })
})

describe('API JSON with prototype keys', () => {
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    '"%s" is an unknown field (422)',
    async (key) => {
      const { status, text } = await refused(() =>
        api('POST', '/api/v1/incidents', `{"title":"Checkout","severity":"SEV-2","${key}":1}`),
      )
      expect(status).toBe(422)
      expect(JSON.parse(text)).toMatchObject({ error: { fields: { [key]: ['Unknown field.'] } } })
    },
  )
})

describe('an Origin naming another host than the request', () => {
  it('a page opened as localhost posting to 127.0.0.1 is a 403 that says so', async () => {
    // The app's own origin (APP_URL, http://localhost:3000 here) on a request addressed to
    // 127.0.0.1:<port>: Remix's own check used to abort the action with a 500.
    const { status, text } = await refused(() =>
      fetch(`${app.baseUrl}/incidents/new`, {
        method: 'POST',
        headers: {
          Cookie: admin.cookie,
          Origin: 'http://localhost:3000',
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: 'title=Checkout+errors&severity=SEV-2',
        redirect: 'manual',
      }),
    )
    expect(status).toBe(403)
    expect(text).toMatch(/sent from localhost:3000 but addressed to 127\.0\.0\.1:\d+/)
  })
})
