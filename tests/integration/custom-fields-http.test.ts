import { randomBytes } from 'node:crypto'
import type { ServerBuild } from '@remix-run/node'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createApiToken } from '~/domain/api/tokens.server'
import {
  createCustomField,
  customFieldsIn,
} from '~/domain/custom-fields/custom-field-definitions.server'
import { setCustomFieldValues } from '~/domain/incident/custom-field-changes.server'
import { declareIncident } from '~/domain/incident/incident-service.server'
import { relayEvents } from '~/domain/notify/fanout.server'
import { createLogger } from '~/utils/logger.server'
import { parseCsv } from '../support/csv'
import { setUpTestDatabase } from '../support/database'
import { decodePage } from '../support/html'
import { randomIp, startInProcessApp, type RunningApp } from '../support/in-process-app'
import { addSignedInMember, eventCount, type SignedInMember } from '../support/incidents'
import { loadRemixBuild } from '../support/remix-build'

/**
 * Custom fields over HTTP: the admin page (admins only; others 403, another organization's field
 * 404), the declare and incident page forms, the JSON API and its OpenAPI document, the exports
 * and the webhook payload.
 */

const db = setUpTestDatabase('custom_fields_http')

let build: ServerBuild
let app: RunningApp
let admin: SignedInMember
let manager: SignedInMember
let engineer: SignedInMember
let token: string
let otherAdmin: SignedInMember
let otherToken: string

const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats(ajv)
const DOC_ID = 'https://incidentflow.test/custom-fields-openapi.json'
let document: {
  paths: Record<
    string,
    Record<
      string,
      { responses: Record<string, { content?: { 'application/json'?: { schema: unknown } } }> }
    >
  >
  components: { schemas: Record<string, unknown> }
}

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build)
  admin = await addSignedInMember(db, db.organizationId, 'admin', { name: 'Ada Admin' })
  manager = await addSignedInMember(db, db.organizationId, 'manager', { name: 'Max Manager' })
  engineer = await addSignedInMember(db, db.organizationId, 'engineer', { name: 'Eve Engineer' })
  token = (await createApiToken(db.orm, engineer.member, { name: 'ci', expiresIn: 'never' })).token
  const other = await db.createOrganization('Other Org')
  otherAdmin = await addSignedInMember(db, other, 'admin', { name: 'Olga Other' })
  otherToken = (await createApiToken(db.orm, otherAdmin.member, { name: 'ci', expiresIn: 'never' }))
    .token
  await createCustomField(db.orm, admin.member, {
    label: 'Customer impact',
    kind: 'single_choice',
    options: ['None', 'Some customers', 'All customers'],
    requiredFromStatus: 'mitigated',
  })
  await createCustomField(db.orm, admin.member, {
    label: 'Regions',
    kind: 'multi_choice',
    options: ['EU', 'US'],
  })
  await createCustomField(db.orm, admin.member, { label: 'Affected orders', kind: 'number' })
  await createCustomField(db.orm, admin.member, { label: 'Customer contact', kind: 'member' })
  const response = await fetch(`${app.baseUrl}/api/v1/openapi.json`)
  document = (await response.json()) as typeof document
  ajv.addSchema({ $id: DOC_ID, components: document.components })
})
afterAll(async () => {
  await app?.close()
})

async function api(method: string, path: string, body?: unknown, bearer = token) {
  const response = await fetch(`${app.baseUrl}/api/v1${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${bearer}`,
      'X-Forwarded-For': randomIp(),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON under test, checked against the document
  const json: any = await response.json()
  const template = Object.keys(document.paths).find((t) =>
    new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path.split('?')[0]!),
  )
  const schema =
    document.paths[template!]?.[method.toLowerCase()]?.responses[String(response.status)]
      ?.content?.['application/json']?.schema
  expect(schema, `${method} ${path} ${response.status} is documented`).toBeDefined()
  const validate = ajv.compile(
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOC_ID}#/components/`)),
  )
  expect(validate(json) ? null : validate.errors, `${method} ${path} fits the document`).toBeNull()
  return { status: response.status, json }
}

const fieldId = async (key: string) =>
  (await db.inOrg((em) => customFieldsIn(em, db.organizationId))).find((f) => f.key === key)!

describe('the admin page', () => {
  it('is for admins only: a manager and an engineer are refused, and their posts change nothing', async () => {
    for (const who of [manager, engineer]) {
      expect((await app.get('/admin/fields', { cookie: who.cookie })).status).toBe(403)
      const post = await app.post(
        '/admin/fields',
        { intent: 'add', label: 'Sneaky', kind: 'text' },
        { cookie: who.cookie },
      )
      expect(post.status).toBe(403)
    }
    const rows = await db.query("select 1 from custom_field where label = 'Sneaky'")
    expect(rows).toEqual([])
  })

  it('answers another organization’s field id with 404, and a stale form with a conflict', async () => {
    const field = await fieldId('regions')
    const foreign = await app.post(
      '/admin/fields',
      { intent: 'archive', id: field.id, version: String(field.version) },
      { cookie: otherAdmin.cookie },
    )
    expect(foreign.status).toBe(404)
    expect((await fieldId('regions')).archivedAt).toBeNull()

    const stale = await app.post(
      '/admin/fields',
      {
        intent: 'update',
        id: field.id,
        version: String(field.version + 5),
        label: 'Regions hit',
        requiredFromStatus: '',
      },
      { cookie: admin.cookie },
    )
    expect(stale.status).toBe(409)
    expect(decodePage(await stale.text())).toContain('This field changed since you opened the page')
    expect((await fieldId('regions')).label).toBe('Regions')
  })

  it('adds a field through the form and lists it, escaping what the admin typed', async () => {
    const label = `<b>Ticket</b> ${randomBytes(2).toString('hex')}`
    const added = await app.post(
      '/admin/fields',
      { intent: 'add', label, kind: 'text', key: 'ticket', helpText: '<i>OPS-n</i>' },
      { cookie: admin.cookie },
    )
    expect(added.status).toBe(302)
    const page = await (await app.get('/admin/fields', { cookie: admin.cookie })).text()
    expect(page).not.toContain('<b>Ticket</b>')
    expect(page).toContain('&lt;b&gt;Ticket&lt;/b&gt;')
    const refused = await app.post(
      '/admin/fields',
      { intent: 'add', label: 'Tier', kind: 'single_choice', options: '' },
      { cookie: admin.cookie },
    )
    expect(refused.status).toBe(400)
    expect(decodePage(await refused.text())).toContain('List at least one option.')
  })
})

describe('the incident pages', () => {
  it('declares with values from the form, refuses an invalid one with a field error, and edits them', async () => {
    const bad = await app.post(
      '/incidents/new',
      {
        title: 'Form declared',
        severity: 'SEV-3',
        'customFields.affected_orders': 'lots',
        'customFields.customer_impact': 'some_customers',
      },
      { cookie: engineer.cookie },
    )
    expect(bad.status).toBe(400)
    const badPage = decodePage(await bad.text())
    expect(badPage).toContain('Enter a number, such as 42 or 3.5.')
    const [{ n: before }] = (await db.query<{ n: number }>(
      "select count(*)::int as n from incident where title = 'Form declared'",
    )) as [{ n: number }]
    expect(before).toBe(0)

    const good = await app.post(
      '/incidents/new',
      {
        title: 'Form declared',
        severity: 'SEV-3',
        'customFields.affected_orders': '42',
        'customFields.customer_impact': 'some_customers',
        'customFields.regions': '',
      },
      { cookie: engineer.cookie },
    )
    expect(good.status).toBe(302)
    const number = Number(/\/incidents\/(\d+)$/.exec(good.headers.get('location')!)![1])
    const page = decodePage(
      await (await app.get(`/incidents/${number}`, { cookie: engineer.cookie })).text(),
    )
    expect(page).toContain('Some customers')
    expect(page).toContain('set Affected orders to 42')

    const { version } = (await eventCount(db, db.organizationId, number))!
    const edited = await app.post(
      `/incidents/${number}`,
      {
        intent: 'custom-fields',
        version: String(version),
        'customFields.affected_orders': '43',
        'customFields.customer_impact': 'some_customers',
        'customFields.customer_contact': manager.member.user.id,
        'customFields.ticket': '',
      },
      { cookie: engineer.cookie },
    )
    expect(edited.status).toBe(302)
    const after = decodePage(
      await (await app.get(`/incidents/${number}`, { cookie: engineer.cookie })).text(),
    )
    expect(after).toContain('set Customer contact to Max Manager')
    expect(after).toContain('set Affected orders to 43')
  })
})

describe('the JSON API', () => {
  it('lists the field definitions and gives values by key on incidents and list rows', async () => {
    const definitions = await api('GET', '/custom-fields')
    expect(definitions.status).toBe(200)
    expect(definitions.json.data.map((f: { key: string }) => f.key)).toEqual([
      'customer_impact',
      'regions',
      'affected_orders',
      'customer_contact',
      'ticket',
    ])
    const declared = await api('POST', '/incidents', {
      title: 'API declared',
      severity: 'SEV-2',
      customFields: { regions: ['us', 'eu'], affected_orders: 7 },
    })
    expect(declared.status).toBe(201)
    expect(declared.json.customFields).toEqual({
      customer_impact: null,
      regions: ['eu', 'us'],
      affected_orders: 7,
      customer_contact: null,
      ticket: null,
    })
    const list = await api('GET', '/incidents?status=all&limit=100')
    const row = list.json.data.find((r: { number: number }) => r.number === declared.json.number)
    expect(row.customFields.regions).toEqual(['eu', 'us'])
    // Another organization's token sees nothing of it.
    const foreign = await api('GET', `/incidents/${declared.json.number}`, undefined, otherToken)
    expect(foreign.status).toBe(404)
  })

  it('sets values, answering validation_failed per field and writing nothing on invalid input', async () => {
    const { json: incident } = await api('POST', '/incidents', {
      title: 'API set',
      severity: 'SEV-3',
    })
    const before = (await eventCount(db, db.organizationId, incident.number))!
    const invalid = await api('POST', `/incidents/${incident.number}/custom-fields`, {
      customFields: { regions: ['mars'], affected_orders: 'many', nope: 1 },
    })
    expect(invalid.status).toBe(422)
    expect(invalid.json.error.code).toBe('validation_failed')
    expect(invalid.json.error.fields).toEqual({
      'customFields.regions': ['Choose among the options.'],
      'customFields.affected_orders': ['Enter a number, such as 42 or 3.5.'],
      'customFields.nope': ['There is no such field.'],
    })
    expect(await eventCount(db, db.organizationId, incident.number)).toEqual(before)

    const stale = await api('POST', `/incidents/${incident.number}/custom-fields`, {
      customFields: { affected_orders: 1 },
      version: before.version - 1,
    })
    expect(stale.status).toBe(409)
    const set = await api('POST', `/incidents/${incident.number}/custom-fields`, {
      customFields: { affected_orders: 12.5, customer_contact: engineer.member.user.id },
      version: before.version,
    })
    expect(set.status).toBe(200)
    expect(set.json.customFields).toMatchObject({
      affected_orders: 12.5,
      customer_contact: engineer.member.user.id,
    })
    const cross = await api(
      'POST',
      `/incidents/${incident.number}/custom-fields`,
      { customFields: { affected_orders: 1 } },
      otherToken,
    )
    expect(cross.status).toBe(404)

    // A transition to a status that needs an empty field is refused with the field named.
    await api('POST', `/incidents/${incident.number}/transitions`, {
      action: 'start-investigating',
    })
    const refused = await api('POST', `/incidents/${incident.number}/transitions`, {
      action: 'mark-mitigated',
    })
    expect(refused.status).toBe(422)
    expect(refused.json.error.code).toBe('validation_failed')
    expect(refused.json.error.fields).toEqual({
      'customFields.customer_impact': ['Fill in Customer impact: required from mitigated on.'],
    })
    const moved = await api('POST', `/incidents/${incident.number}/transitions`, {
      action: 'mark-mitigated',
      customFields: { customer_impact: 'all_customers' },
    })
    expect(moved.status).toBe(200)
    expect(moved.json.status).toBe('mitigated')
    expect(moved.json.customFields.customer_impact).toBe('all_customers')
  })

  it('describes customFields in the OpenAPI document', () => {
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/custom-fields', '/incidents/{number}/custom-fields']),
    )
    const incident = document.components.schemas.Incident as { properties: Record<string, unknown> }
    expect(incident.properties.customFields).toBeDefined()
    expect(document.components.schemas.CustomFieldsRequest).toBeDefined()
  })
})

describe('exports and webhooks', () => {
  it('puts values in the analytics exports (by key in JSON, in words in CSV) and the timeline export', async () => {
    const { number } = await declareIncident(db.orm, engineer.member, {
      title: 'Exported',
      summary: '',
      severity: 'SEV-2',
      customFields: { customer_impact: 'none', regions: ['eu'] },
    })
    const csv = await (
      await app.get('/analytics/incidents.csv?period=7d', { cookie: admin.cookie })
    ).text()
    const rows = parseCsv(csv)
    const header = rows[0]!
    expect(header).toEqual(
      expect.arrayContaining(['custom.customer_impact', 'custom.regions', 'custom.ticket']),
    )
    const line = rows.find((r) => r[0] === String(number))!
    expect(line[header.indexOf('custom.customer_impact')]).toBe('None')
    expect(line[header.indexOf('custom.regions')]).toBe('EU')

    const json = (await (
      await app.get('/analytics/incidents.json?period=7d', { cookie: admin.cookie })
    ).json()) as { incidents: Array<{ number: number; customFields: Record<string, unknown> }> }
    expect(json.incidents.find((i) => i.number === number)!.customFields).toMatchObject({
      customer_impact: 'none',
      regions: ['eu'],
    })

    const timeline = (await (
      await app.get(`/incidents/${number}/timeline.json`, { cookie: engineer.cookie })
    ).json()) as {
      customFields: Array<{ key: string; label: string }>
      events: Array<{ type: string; payload: { fieldLabel?: string } }>
    }
    expect(timeline.customFields.map((f) => f.key)).toContain('customer_impact')
    expect(
      timeline.events
        .filter((e) => e.type === 'incident.custom_field_changed')
        .map((e) => e.payload.fieldLabel),
    ).toEqual(['Customer impact', 'Regions'])
  })

  it('sends the incident’s values by key with every webhook, and the change itself to subscribers', async () => {
    await db.query(
      `insert into webhook_endpoint (organization_id, url, secret, event_types)
       values ($1, 'https://hooks.example.test/fields', 'x', array['incident.custom_field_changed'])`,
      [db.organizationId],
    )
    const logger = createLogger({ name: 'test', level: 'silent', pretty: false })
    const drain = async () => {
      while (
        (await relayEvents({ orm: db.orm, boss: db.boss, logger, appUrl: 'https://x.test' })) > 0
      );
    }
    await drain()
    const { number } = await declareIncident(db.orm, engineer.member, {
      title: 'Hooked',
      summary: '',
      severity: 'SEV-3',
    })
    await setCustomFieldValues(db.orm, engineer.member, number, {
      values: { customer_impact: 'some_customers' },
    })
    await drain()
    const deliveries = await db.query<{
      payload: {
        data: {
          incident: { number: number; customFields: Record<string, unknown> }
          event: { type: string; payload: Record<string, unknown> }
        }
      }
    }>(
      `select d.payload from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id
        where e.url = 'https://hooks.example.test/fields'`,
    )
    const mine = deliveries.map((d) => d.payload.data).filter((d) => d.incident.number === number)
    expect(mine).toHaveLength(1)
    expect(mine[0]!.incident.customFields).toMatchObject({ customer_impact: 'some_customers' })
    expect(mine[0]!.event).toMatchObject({
      type: 'incident.custom_field_changed',
      payload: {
        fieldKey: 'customer_impact',
        from: null,
        to: 'some_customers',
        toText: 'Some customers',
      },
    })
  })
})

describe('analytics', () => {
  it('groups the period’s incidents by a choice field’s options, with a row for those without a value', async () => {
    const response = await app.get('/analytics?period=7d&groupBy=customer_impact', {
      cookie: manager.cookie,
    })
    expect(response.status).toBe(200)
    const text = decodePage(await response.text())
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
    expect(text).toContain('Incidents by Customer impact')
    const [{ n: total }] = (await db.query<{ n: number }>(
      "select count(*)::int as n from incident where organization_id = $1 and classification = 'incident'",
      [db.organizationId],
    )) as [{ n: number }]
    // Set by the tests above: "Form declared" and "Hooked" (some), "API set" (all), "Exported" (none).
    const count = (label: string) =>
      Number(new RegExp(`${label} (\\d+) `).exec(text)?.[1] ?? Number.NaN)
    expect(count('Some customers')).toBe(2)
    expect(count('All customers')).toBe(1)
    expect(count('None')).toBe(1)
    expect(count('Not set')).toBe(total - 4)
    // Without groupBy the section offers the choice fields only.
    const plain = decodePage(
      await (await app.get('/analytics?period=7d', { cookie: manager.cookie })).text(),
    )
    expect(plain).toContain('Group by')
    expect(plain).not.toContain('Incidents by Customer impact')
  })
})
