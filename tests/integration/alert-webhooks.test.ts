import { createHash, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { ServerBuild } from '@remix-run/node'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIntegration, type IntegrationInput } from '~/domain/alerts/integrations.server'
import { ingestAlert } from '~/domain/alerts/ingest.server'
import { pagerDutySignature } from '~/domain/alerts/pagerduty'
import { verifyOrganization } from '~/domain/incident/audit.server'
import { transitionIncident } from '~/domain/incident/incident-service.server'
import { ingestAlertReceipt } from '~/domain/alerts/receipt-jobs.server'
import {
  handleAlertJobs,
  writeAlertRepeats,
  type AlertIngestDeps,
} from '../../jobs/handlers/alert-ingest'
import { silentLogger } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { addSignedInMember, type SignedInMember } from '../support/incidents'
import { randomIp, startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'

/**
 * Inbound alert webhooks end to end: the sample payloads in tests/fixtures/alerts (hand-written
 * to Alertmanager's and PagerDuty's documented formats) are posted over HTTP to the real app,
 * and the queued `alert-ingest` jobs are run through the real handler, as the worker would.
 */

const db = setUpTestDatabase('alert_webhooks')

let build: ServerBuild
let app: RunningApp
let admin: SignedInMember
let checkoutId: string
let paymentsId: string

const APP_URL = 'http://localhost:3000'
const PD_SECRET = 'pd-signing-secret-4f1c2b9e8a7d6c5b'

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build)
  admin = await addSignedInMember(db, db.organizationId, 'admin')
  checkoutId = await addService('Checkout')
  paymentsId = await addService('Payments')
})
afterAll(async () => {
  await app?.close()
})

async function addService(name: string, organizationId = db.organizationId) {
  const [row] = await db.query<{ id: string }>(
    'insert into service (organization_id, name) values ($1, $2) returning id',
    [organizationId, `${name} ${randomBytes(2).toString('hex')}`],
  )
  return row!.id
}

const raw = (name: string) => readFileSync(`tests/fixtures/alerts/${name}.json`)
const fixture = <T = Record<string, unknown>>(name: string) =>
  JSON.parse(raw(name).toString('utf8')) as T

async function makeIntegration(
  overrides: Partial<IntegrationInput> = {},
  member: SignedInMember['member'] = admin.member,
) {
  const kind = overrides.kind ?? 'generic'
  return createIntegration(db.orm, member, {
    name: `${kind} ${randomBytes(2).toString('hex')}`,
    serviceId: checkoutId,
    kind,
    defaultSeverity: 'SEV-3',
    mitigateOnResolve: false,
    signingSecret: kind === 'pagerduty' ? PD_SECRET : null,
    rateLimitPerMinute: 120,
    ...overrides,
  })
}

function hook(
  kind: string,
  token: string,
  body: string | Buffer | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
) {
  return fetch(`${app.baseUrl}/hooks/${kind}/${token}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': randomIp(), ...headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit)
}

/** Posts and expects 202; returns the receipt id. */
async function accepted(kind: string, token: string, body: string | Buffer, headers = {}) {
  const response = await hook(kind, token, body, headers)
  const json = (await response.json()) as { status: string; receipt: string }
  expect(response.status, JSON.stringify(json)).toBe(202)
  expect(json.status).toBe('accepted')
  return json.receipt
}

const signed = (body: Buffer) => ({ 'X-PagerDuty-Signature': pagerDutySignature(body, PD_SECRET) })

async function jobFor(receiptId: string) {
  const jobs = await db.query<{ data: { receiptId: string; organizationId: string } }>(
    `select data from pgboss.job where name = 'alert-ingest' and data->>'receiptId' = $1`,
    [receiptId],
  )
  expect(jobs).toHaveLength(1)
  return jobs[0]!.data
}

/**
 * The worker's dependencies. A repeat window of 0 makes every firing its own entry, which the
 * tests of declaring, appending and resolving rely on; the alert storm tests below set one.
 */
const deps = (repeatWindowMs = 0, now?: Date): AlertIngestDeps => ({
  orm: db.orm,
  boss: db.boss,
  logger: silentLogger,
  repeatWindowMs,
  ...(now ? { now: () => now } : {}),
})

/** Runs the receipt's queued job through the real handler, as the worker would. */
async function work(receiptId: string) {
  return ingestAlertReceipt(deps(), await jobFor(receiptId))
}

async function receipt(id: string) {
  const [row] = await db.query<{
    status: string
    outcome: Array<{ action: string; incidentNumber: number | null; reason?: string }> | null
    error: string | null
  }>('select status, outcome, error from alert_receipt where id = $1', [id])
  return row!
}

async function linkedIncidents(integrationId: string) {
  return db.query<{
    id: string
    number: number
    title: string
    severity: string
    status: string
    service_id: string | null
    declared_by_id: string | null
    commander_id: string | null
    sla_policy_id: string | null
    sla_next_deadline: Date | null
    mitigated_at: Date | null
  }>(
    `select i.* from alert_link l join incident i on i.id = l.incident_id
      where l.integration_id = $1 order by i.number`,
    [integrationId],
  )
}

async function eventsOf(incidentId: string) {
  return db.query<{
    seq: number
    type: string
    actor_id: string | null
    payload: Record<string, unknown>
  }>(
    'select seq, type, actor_id, payload from incident_event where incident_id = $1 order by seq',
    [incidentId],
  )
}

async function incidentCount() {
  const [row] = await db.query<{ n: number }>(
    'select count(*)::int as n from incident where organization_id = $1',
    [db.organizationId],
  )
  return row!.n
}

/**
 * Locks one row (as the owner, under the organization's row-level security setting) in a
 * transaction of its own until `release`: work that needs the row waits for it meanwhile.
 */
async function holdRow(table: 'incident' | 'incident_counter', id: string, column = 'id') {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  await client.query('begin')
  await client.query(`select set_config('app.organization_id', $1, true)`, [db.organizationId])
  const { rowCount } = await client.query(
    `select 1 from ${table} where ${column} = $1 for update`,
    [id],
  )
  expect(rowCount).toBe(1)
  return {
    release: async () => {
      await client.query('commit')
      await client.end()
    },
  }
}

/** Waits until `count` sessions of this database wait for a lock. */
async function waitForLockWaits(count: number) {
  const deadline = Date.now() + 10_000
  for (;;) {
    const [row] = await db.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`,
    )
    if (row!.n >= count) return
    if (Date.now() > deadline)
      throw new Error(`only ${row!.n} of ${count} sessions wait for a lock`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

describe('Alertmanager', () => {
  it('declares one incident for a firing group, adds to it on a repeat, and marks it mitigated when resolved', async () => {
    const { id, token } = await makeIntegration({
      kind: 'alertmanager',
      mitigateOnResolve: true,
      serviceId: paymentsId,
      defaultSeverity: 'SEV-4',
    })
    const before = await incidentCount()

    const first = await accepted('alertmanager', token, raw('alertmanager-firing'))
    expect(await receipt(first)).toMatchObject({ status: 'queued', outcome: null })
    expect(await work(first)).toBe('processed')

    const [incident] = await linkedIncidents(id)
    expect(await incidentCount()).toBe(before + 1)
    expect(incident).toMatchObject({
      title: 'Checkout error rate above 5%',
      severity: 'SEV-1',
      status: 'detected',
      service_id: paymentsId,
      declared_by_id: null,
      commander_id: null,
    })
    // The SLA clock runs from the declaration, as for any incident.
    expect(incident!.sla_policy_id).not.toBeNull()
    expect(incident!.sla_next_deadline).not.toBeNull()
    const events = await eventsOf(incident!.id)
    expect(events.map((e) => [e.type, e.actor_id])).toEqual([
      ['incident.declared', null],
      ['alert.received', null],
    ])
    expect(events[1]!.payload).toMatchObject({
      integrationId: id,
      source: 'alertmanager',
      dedupKey: '{}/{namespace="shop"}:{alertname="CheckoutHighErrorRate"}',
      receiptId: first,
      severity: 'SEV-1',
    })
    // Every event goes through the outbox to escalations, e-mail and webhooks.
    const [outbox] = await db.query<{ n: number }>(
      'select count(*)::int as n from event_outbox where incident_id = $1',
      [incident!.id],
    )
    expect(outbox!.n).toBe(2)
    expect(await receipt(first)).toMatchObject({
      status: 'processed',
      outcome: [{ action: 'declared', incidentNumber: incident!.number }],
    })

    const repeat = await accepted('alertmanager', token, raw('alertmanager-firing'))
    expect(await work(repeat)).toBe('processed')
    expect(await incidentCount()).toBe(before + 1)
    expect((await eventsOf(incident!.id)).map((e) => e.type)).toEqual([
      'incident.declared',
      'alert.received',
      'alert.received',
    ])
    expect(await receipt(repeat)).toMatchObject({
      outcome: [{ action: 'appended', incidentNumber: incident!.number }],
    })

    await transitionIncident(db.orm, admin.member, incident!.number, {
      action: 'start-investigating',
    })
    const resolved = await accepted('alertmanager', token, raw('alertmanager-resolved'))
    expect(await work(resolved)).toBe('processed')
    const after = await eventsOf(incident!.id)
    expect(after.slice(-2).map((e) => [e.type, e.actor_id])).toEqual([
      ['alert.resolved', null],
      ['incident.status_changed', null],
    ])
    expect(after.at(-1)!.payload).toMatchObject({ from: 'investigating', to: 'mitigated' })
    const [mitigated] = await linkedIncidents(id)
    expect(mitigated).toMatchObject({ status: 'mitigated' })
    expect(mitigated!.mitigated_at).not.toBeNull()
    expect(await receipt(resolved)).toMatchObject({
      outcome: [{ action: 'resolved', reason: 'Marked Mitigated.' }],
    })
  })

  it('only records the resolution when the integration does not mitigate', async () => {
    const { id, token } = await makeIntegration({ kind: 'alertmanager', mitigateOnResolve: false })
    await work(await accepted('alertmanager', token, raw('alertmanager-firing')))
    const [incident] = await linkedIncidents(id)
    await transitionIncident(db.orm, admin.member, incident!.number, {
      action: 'start-investigating',
    })
    await work(await accepted('alertmanager', token, raw('alertmanager-resolved')))
    const events = await eventsOf(incident!.id)
    expect(events.at(-1)!.type).toBe('alert.resolved')
    expect((await linkedIncidents(id))[0]!.status).toBe('investigating')
  })

  it('leaves an unacknowledged incident Detected when its alert resolves', async () => {
    const { id, token } = await makeIntegration({ kind: 'alertmanager', mitigateOnResolve: true })
    await work(await accepted('alertmanager', token, raw('alertmanager-firing')))
    const resolved = await accepted('alertmanager', token, raw('alertmanager-resolved'))
    await work(resolved)
    const [incident] = await linkedIncidents(id)
    expect(incident!.status).toBe('detected')
    expect((await eventsOf(incident!.id)).map((e) => e.type)).toEqual([
      'incident.declared',
      'alert.received',
      'alert.resolved',
    ])
    expect(await receipt(resolved)).toMatchObject({
      outcome: [
        {
          action: 'resolved',
          reason: 'Left in Detected: nobody has acknowledged the incident yet.',
        },
      ],
    })
  })

  it('uses the default severity when the alerts name none', async () => {
    const { id, token } = await makeIntegration({ kind: 'alertmanager', defaultSeverity: 'SEV-2' })
    const payload = fixture<{
      commonLabels: Record<string, string>
      alerts: Array<{ labels: Record<string, string> }>
      groupKey: string
    }>('alertmanager-firing')
    delete payload.commonLabels.severity
    for (const alert of payload.alerts) delete alert.labels.severity
    await work(await accepted('alertmanager', token, JSON.stringify(payload)))
    expect((await linkedIncidents(id))[0]!.severity).toBe('SEV-2')
  })

  it('declares a new incident when the linked one is no longer open', async () => {
    const { id, token } = await makeIntegration({ kind: 'alertmanager' })
    await work(await accepted('alertmanager', token, raw('alertmanager-firing')))
    const [first] = await linkedIncidents(id)
    for (const action of ['start-investigating', 'mark-mitigated', 'mark-resolved'] as const)
      await transitionIncident(db.orm, admin.member, first!.number, { action })
    await work(await accepted('alertmanager', token, raw('alertmanager-firing')))
    const incidents = await linkedIncidents(id)
    expect(incidents.map((i) => i.status)).toEqual(['resolved', 'detected'])
    expect((await eventsOf(first!.id)).filter((e) => e.type === 'alert.received')).toHaveLength(1)
  })

  it('ignores a resolution with no open incident', async () => {
    const { id, token } = await makeIntegration({ kind: 'alertmanager' })
    const resolved = await accepted('alertmanager', token, raw('alertmanager-resolved'))
    expect(await work(resolved)).toBe('ignored')
    expect(await receipt(resolved)).toMatchObject({
      status: 'ignored',
      outcome: [{ action: 'ignored', reason: 'Resolved, but no open incident has this key.' }],
    })
    expect(await linkedIncidents(id)).toEqual([])
  })
})

describe('PagerDuty', () => {
  it('declares from a signed incident.triggered and records the signed incident.resolved', async () => {
    const { id, token } = await makeIntegration({ kind: 'pagerduty', mitigateOnResolve: true })
    const triggered = raw('pagerduty-triggered')
    const first = await accepted('pagerduty', token, triggered, signed(triggered))
    await work(first)
    const [incident] = await linkedIncidents(id)
    expect(incident).toMatchObject({
      title: 'Payments API returning 503 for card authorisations',
      severity: 'SEV-2',
      service_id: checkoutId,
    })
    const again = await accepted('pagerduty', token, triggered, signed(triggered))
    await work(again)
    expect(await linkedIncidents(id)).toHaveLength(1)

    await transitionIncident(db.orm, admin.member, incident!.number, {
      action: 'start-investigating',
    })
    const resolved = raw('pagerduty-resolved')
    await work(await accepted('pagerduty', token, resolved, signed(resolved)))
    const events = await eventsOf(incident!.id)
    expect(events.map((e) => e.type)).toEqual([
      'incident.declared',
      'alert.received',
      'alert.received',
      'incident.status_changed',
      'alert.resolved',
      'incident.status_changed',
    ])
    expect(events[4]!.payload).toMatchObject({ dedupKey: 'Q2OZ9AW6VGB3SL', source: 'pagerduty' })
    expect((await linkedIncidents(id))[0]!.status).toBe('mitigated')
  })

  it('refuses a bad or missing signature with 401 and stores nothing', async () => {
    const { id, token } = await makeIntegration({ kind: 'pagerduty' })
    const body = raw('pagerduty-triggered')
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'X-PagerDuty-Signature': pagerDutySignature(body, 'another-secret') }, 'does not match'],
      [{ 'X-PagerDuty-Signature': `v1=${'ab'.repeat(32)}` }, 'does not match'],
      [{}, 'is missing'],
    ]
    for (const [headers, words] of cases) {
      const response = await hook('pagerduty', token, body, headers)
      expect(response.status).toBe(401)
      const json = (await response.json()) as { error: { code: string; message: string } }
      expect(json.error.code).toBe('invalid_signature')
      expect(json.error.message).toContain(words)
    }
    // A signature over other bytes than those sent does not pass either.
    const tampered = Buffer.from(body.toString('utf8').replace('"P2"', '"P1"'))
    expect((await hook('pagerduty', token, tampered, signed(body))).status).toBe(401)
    const rows = await db.query('select id from alert_receipt where integration_id = $1', [id])
    expect(rows).toEqual([])
  })

  it('refuses every request until the signing secret is entered on the integration page', async () => {
    const { id, token } = await makeIntegration({ kind: 'pagerduty', signingSecret: null })
    const body = raw('pagerduty-triggered')
    const refused = await hook('pagerduty', token, body, signed(body))
    expect(refused.status).toBe(401)
    expect(await refused.json()).toMatchObject({
      error: { code: 'invalid_signature', message: expect.stringContaining('no signing secret') },
    })
    const here = `/admin/integrations/${id}`
    const page = await (await app.get(here, { cookie: admin.cookie })).text()
    expect(page).toContain('Not set: every request is refused until you enter it below')
    const version = /name="version" value="([^"]+)"/.exec(page)![1]!
    const saved = await app.post(
      here,
      {
        intent: 'save',
        version,
        name: 'PagerDuty payments',
        serviceId: checkoutId,
        defaultSeverity: 'SEV-3',
        rateLimitPerMinute: '120',
        signingSecret: PD_SECRET,
      },
      { cookie: admin.cookie },
    )
    expect(saved.status).toBe(302)
    await accepted('pagerduty', token, body, signed(body))
    // An empty secret on a later save keeps the stored one.
    const again = await (await app.get(here, { cookie: admin.cookie })).text()
    expect(again).not.toContain(PD_SECRET)
    await app.post(
      here,
      {
        intent: 'save',
        version: /name="version" value="([^"]+)"/.exec(again)![1]!,
        name: 'PagerDuty payments',
        serviceId: checkoutId,
        defaultSeverity: 'SEV-3',
        rateLimitPerMinute: '120',
        signingSecret: '',
      },
      { cookie: admin.cookie },
    )
    await accepted('pagerduty', token, body, signed(body))
  })

  it('accepts a ping and an acknowledgement without changing anything', async () => {
    const { token } = await makeIntegration({ kind: 'pagerduty' })
    const ack = fixture<{ event: { event_type: string } }>('pagerduty-triggered')
    ack.event.event_type = 'incident.acknowledged'
    const body = Buffer.from(JSON.stringify(ack))
    const before = await incidentCount()
    const id = await accepted('pagerduty', token, body, signed(body))
    expect(await work(id)).toBe('ignored')
    expect(await incidentCount()).toBe(before)
    expect((await receipt(id)).outcome![0]!.reason).toContain('incident.acknowledged')
  })
})

describe('generic JSON', () => {
  it('declares, appends and resolves by dedup_key', async () => {
    const { id, token } = await makeIntegration({ kind: 'generic' })
    await work(await accepted('generic', token, raw('generic-firing')))
    await work(await accepted('generic', token, raw('generic-firing')))
    await work(await accepted('generic', token, raw('generic-resolved')))
    const incidents = await linkedIncidents(id)
    expect(incidents).toHaveLength(1)
    expect(incidents[0]).toMatchObject({
      title: 'Search index more than 15 minutes behind',
      severity: 'SEV-3',
      status: 'detected',
    })
    expect((await eventsOf(incidents[0]!.id)).map((e) => e.type)).toEqual([
      'incident.declared',
      'alert.received',
      'alert.received',
      'alert.resolved',
    ])
  })

  it('answers a retried job without appending again, even when both run at once', async () => {
    const { id, token } = await makeIntegration({ kind: 'generic' })
    const first = await accepted('generic', token, raw('generic-firing'))
    await work(first)
    const repeat = await accepted('generic', token, raw('generic-firing'))
    expect(await work(repeat)).toBe('processed')
    // pg-boss delivers at least once: the same job again changes nothing.
    expect(await work(repeat)).toBe('skipped')
    const [incident] = await linkedIncidents(id)

    // Two copies of one job at the same time: both are held at the incident's row until both
    // have started, so the second cannot simply run after the first has finished.
    const third = await accepted('generic', token, raw('generic-firing'))
    const held = await holdRow('incident', incident!.id)
    const both = Promise.all([work(third), work(third)])
    await waitForLockWaits(2)
    await held.release()
    expect((await both).sort()).toEqual(['processed', 'skipped'])
    expect((await eventsOf(incident!.id)).map((e) => e.type)).toEqual([
      'incident.declared',
      'alert.received',
      'alert.received',
      'alert.received',
    ])
  })

  it('declares one incident when two deliveries of a new alert are processed at once', async () => {
    const { id, token } = await makeIntegration({ kind: 'generic' })
    const body = JSON.stringify({
      dedup_key: `race-${randomBytes(3).toString('hex')}`,
      status: 'firing',
      title: 'Queue depth above 10k',
      severity: 'SEV-2',
    })
    const a = await accepted('generic', token, body)
    const b = await accepted('generic', token, body)
    // Declaring takes the organization's next incident number: holding that row keeps the first
    // job inside its transaction until the second has started too, so neither can see the
    // other's finished work by luck of timing.
    const held = await holdRow('incident_counter', db.organizationId, 'organization_id')
    const results = Promise.all([work(a), work(b)])
    await waitForLockWaits(2)
    await held.release()
    expect(await results).toEqual(['processed', 'processed'])
    const incidents = await linkedIncidents(id)
    expect(incidents).toHaveLength(1)
    const actions = [(await receipt(a)).outcome![0]!.action, (await receipt(b)).outcome![0]!.action]
    expect(actions.sort()).toEqual(['appended', 'declared'])
    expect((await eventsOf(incidents[0]!.id)).map((e) => e.type)).toEqual([
      'incident.declared',
      'alert.received',
      'alert.received',
    ])
  })

  it('handles a batch, one outcome per alert', async () => {
    const { id, token } = await makeIntegration({ kind: 'generic' })
    const receiptId = await accepted(
      'generic',
      token,
      JSON.stringify([
        { dedup_key: 'batch-a', status: 'firing', title: 'A' },
        { dedup_key: 'batch-a', status: 'firing', title: 'A again' },
        { dedup_key: 'batch-b', status: 'resolved' },
      ]),
    )
    await work(receiptId)
    expect((await receipt(receiptId)).outcome!.map((o) => o.action)).toEqual([
      'declared',
      'appended',
      'ignored',
    ])
    expect(await linkedIncidents(id)).toHaveLength(1)
  })
})

describe('refusals', () => {
  const errorOf = async (response: Response) =>
    ((await response.json()) as { error: { code: string; message: string; issues?: unknown } })
      .error

  it('answers 401 for an unknown, malformed or deactivated token, and for the wrong source', async () => {
    const unknown = `ifa_${randomBytes(32).toString('base64url')}`
    for (const token of [unknown, 'not-a-token', `ifa_${'x'.repeat(10)}`]) {
      const response = await hook('generic', token, raw('generic-firing'))
      expect(response.status).toBe(401)
      expect((await errorOf(response)).code).toBe('invalid_token')
    }
    const { id, token } = await makeIntegration({ kind: 'generic' })
    const wrong = await hook('alertmanager', token, raw('alertmanager-firing'))
    expect(wrong.status).toBe(401)
    expect(await errorOf(wrong)).toMatchObject({
      code: 'wrong_endpoint',
      message: expect.stringContaining('/hooks/generic/<token>'),
    })
    await db.inOrg((em) => em.execute('update integration set active = false where id = ?', [id]))
    expect((await hook('generic', token, raw('generic-firing'))).status).toBe(401)
  })

  it('answers 404 for an unknown source and 405 for other methods', async () => {
    const response = await hook('nagios', `ifa_${'x'.repeat(43)}`, '{}')
    expect(response.status).toBe(404)
    expect((await errorOf(response)).code).toBe('not_found')
    const get = await fetch(`${app.baseUrl}/hooks/generic/ifa_${'x'.repeat(43)}`)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
  })

  it('answers 413 for a body over the limit, declared or streamed, and stores nothing', async () => {
    const { id, token } = await makeIntegration({ kind: 'generic' })
    const big = JSON.stringify({
      dedup_key: 'big',
      status: 'firing',
      title: 'Big',
      description: 'x'.repeat(300 * 1024),
    })
    const declared = await hook('generic', token, big)
    expect(declared.status).toBe(413)
    expect((await errorOf(declared)).code).toBe('payload_too_large')

    // No Content-Length: the bytes are counted as they arrive.
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 20) controller.close()
        else {
          sent += 1
          controller.enqueue(chunk)
        }
      },
    })
    const streamed = await hook('generic', token, stream)
    expect(streamed.status).toBe(413)
    expect((await errorOf(streamed)).code).toBe('payload_too_large')
    const rows = await db.query('select id from alert_receipt where integration_id = $1', [id])
    expect(rows).toEqual([])
  })

  it('answers 415, 400 and 422 with their codes for wrong content type, bad JSON and bad payloads', async () => {
    const { token } = await makeIntegration({ kind: 'alertmanager' })
    const text = await hook('alertmanager', token, raw('alertmanager-firing'), {
      'Content-Type': 'text/plain',
    })
    expect(text.status).toBe(415)
    expect((await errorOf(text)).code).toBe('unsupported_media_type')

    const broken = await hook('alertmanager', token, '{"version": "4", "alerts": [')
    expect(broken.status).toBe(400)
    expect((await errorOf(broken)).code).toBe('invalid_json')

    const v3 = await hook(
      'alertmanager',
      token,
      JSON.stringify({ ...fixture('alertmanager-firing'), version: '3' }),
    )
    expect(v3.status).toBe(422)
    expect(await errorOf(v3)).toEqual({
      code: 'invalid_payload',
      message: 'The body is JSON but not a valid Alertmanager (webhook version 4) payload.',
      issues: [
        {
          path: 'version',
          message: 'Only version "4" of the Alertmanager webhook payload is understood.',
        },
      ],
    })

    const generic = await makeIntegration({ kind: 'generic' })
    const untitled = await hook('generic', generic.token, '{"dedup_key":"k","status":"firing"}')
    expect(untitled.status).toBe(422)
    expect((await errorOf(untitled)).issues).toEqual([
      { path: 'title', message: 'title is required for a firing alert.' },
    ])
    const nul = await hook(
      'generic',
      generic.token,
      '{"dedup_key":"k","status":"firing","title":"a\\u0000b"}',
    )
    expect(nul.status).toBe(422)
    expect((await errorOf(nul)).issues).toEqual([
      {
        path: 'title',
        message:
          'This text contains a NUL character or a broken Unicode character, which cannot be stored. Remove it.',
      },
    ])
  })

  it('answers 429 with Retry-After past the per-minute limit', async () => {
    const { id, token } = await makeIntegration({ kind: 'generic', rateLimitPerMinute: 2 })
    const statuses: number[] = []
    let retryAfter: string | null = null
    // Six requests at two a minute: however the minute boundaries fall, one window gets three.
    for (let i = 0; i < 6; i++) {
      const response = await hook('generic', token, raw('generic-firing'))
      statuses.push(response.status)
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after')
        expect((await errorOf(response)).code).toBe('rate_limited')
      } else await response.body?.cancel()
    }
    expect(statuses).toContain(429)
    expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(4)
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1)
    expect(Number(retryAfter)).toBeLessThanOrEqual(60)
    const rows = await db.query('select id from alert_receipt where integration_id = $1', [id])
    expect(rows).toHaveLength(statuses.filter((s) => s === 202).length)
  })
})

describe('the integrations pages', () => {
  const textOf = (html: string) =>
    html
      .replace(/<!-- -->/g, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&#x27;|&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&')
      .replace(/\s+/g, ' ')

  const createFields = (overrides: Record<string, string> = {}) => ({
    intent: 'create',
    name: 'Prometheus production',
    serviceId: checkoutId,
    kind: 'alertmanager',
    defaultSeverity: 'SEV-2',
    mitigateOnResolve: 'on',
    signingSecret: '',
    rateLimitPerMinute: '60',
    ...overrides,
  })

  it('shows the form with its labels to admins', async () => {
    const response = await app.get('/admin/integrations', { cookie: admin.cookie })
    expect(response.status).toBe(200)
    const html = await response.text()
    for (const label of [
      'Name',
      'Service',
      'Source',
      'Default severity',
      'PagerDuty signing secret',
      'Requests per minute',
    ])
      expect(html).toMatch(new RegExp(`<label[^>]*>${label}</label>`))
    expect(textOf(html)).toContain('Mark mitigated when the alert resolves')
    expect(textOf(html)).toContain('Add integration')
    for (const option of ['Alertmanager', 'PagerDuty', 'Generic JSON'])
      expect(html).toMatch(new RegExp(`<option[^>]*>${option}</option>`))
    expect(html).toMatch(/<a[^>]*href="\/admin\/integrations"[^>]*>Integrations<\/a>/)
  })

  it('shows the webhook URL once and keeps only the token’s hash', async () => {
    const response = await app.post('/admin/integrations', createFields(), { cookie: admin.cookie })
    expect(response.status).toBe(201)
    expect(response.headers.get('cache-control')).toContain('no-store')
    const html = await response.text()
    const url = new RegExp(`${APP_URL}/hooks/alertmanager/(ifa_[A-Za-z0-9_-]{43})`).exec(html)
    expect(url).not.toBeNull()
    const token = url![1]!

    const [row] = await db.query<{ id: string; token_hash: string; token_hint: string }>(
      'select id, token_hash, token_hint from integration where token_hash = $1',
      [sha256(token)],
    )
    expect(row).toBeDefined()
    expect(row!.token_hint).toBe(`${token.slice(0, 10)}…`)
    const [whole] = await db.query<{ text: string }>(
      'select row_to_json(i)::text as text from integration i where id = $1',
      [row!.id],
    )
    expect(whole!.text).not.toContain(token)
    expect(whole!.text).toContain('"mitigate_on_resolve":true')
    expect(whole!.text).toContain('"rate_limit_per_minute":60')

    for (const path of ['/admin/integrations', `/admin/integrations/${row!.id}`]) {
      const page = await (await app.get(path, { cookie: admin.cookie })).text()
      expect(page).not.toContain(token)
      expect(page).toContain(row!.token_hint.replace('…', ''))
    }
    // The URL shown works.
    expect(await accepted('alertmanager', token, raw('alertmanager-firing'))).toBeTruthy()
  })

  it('keeps the typed values with field errors, never echoing the signing secret', async () => {
    const response = await app.post(
      '/admin/integrations',
      createFields({
        name: 'Pager bridge',
        kind: 'pagerduty',
        signingSecret: '',
        rateLimitPerMinute: '0',
      }),
      { cookie: admin.cookie },
    )
    expect(response.status).toBe(400)
    const html = await response.text()
    expect(textOf(html)).toContain('Enter a whole number from 1 to 10000')
    expect(html).toMatch(/value="Pager bridge"/)
    expect(html).toMatch(/<option[^>]*value="pagerduty"[^>]*selected=""/)

    const secret = 'typed-secret-123'
    const other = await app.post(
      '/admin/integrations',
      createFields({ name: '', kind: 'pagerduty', signingSecret: secret }),
      { cookie: admin.cookie },
    )
    expect(other.status).toBe(400)
    const otherHtml = await other.text()
    expect(textOf(otherHtml)).toContain('Give the integration a name')
    expect(otherHtml).not.toContain(secret)

    const foreignService = await addService('Elsewhere', await db.createOrganization())
    const foreign = await app.post(
      '/admin/integrations',
      createFields({ serviceId: foreignService }),
      { cookie: admin.cookie },
    )
    expect(foreign.status).toBe(400)
    expect(textOf(await foreign.text())).toContain('Choose one of the active services.')
  })

  it('rotates the token, deactivates, activates, edits and deletes', async () => {
    const { id, token } = await makeIntegration({ kind: 'generic' })
    const here = `/admin/integrations/${id}`
    const rotated = await app.post(here, { intent: 'rotate-token' }, { cookie: admin.cookie })
    expect(rotated.status).toBe(200)
    const fresh = new RegExp(`${APP_URL}/hooks/generic/(ifa_[A-Za-z0-9_-]{43})`).exec(
      await rotated.text(),
    )![1]!
    expect(fresh).not.toBe(token)
    expect((await hook('generic', token, raw('generic-firing'))).status).toBe(401)
    await accepted('generic', fresh, raw('generic-firing'))

    const off = await app.post(here, { intent: 'deactivate' }, { cookie: admin.cookie })
    expect(off.status).toBe(302)
    expect((await hook('generic', fresh, raw('generic-firing'))).status).toBe(401)
    await app.post(here, { intent: 'activate' }, { cookie: admin.cookie })
    await accepted('generic', fresh, raw('generic-firing'))

    const page = await (await app.get(here, { cookie: admin.cookie })).text()
    const version = /name="version" value="([^"]+)"/.exec(page)![1]!
    const saved = await app.post(
      here,
      {
        intent: 'save',
        version,
        name: 'Renamed',
        serviceId: paymentsId,
        defaultSeverity: 'SEV-1',
        rateLimitPerMinute: '30',
      },
      { cookie: admin.cookie },
    )
    expect(saved.status).toBe(302)
    const [row] = await db.query<Record<string, unknown>>(
      'select name, service_id, default_severity, rate_limit_per_minute, mitigate_on_resolve from integration where id = $1',
      [id],
    )
    expect(row).toEqual({
      name: 'Renamed',
      service_id: paymentsId,
      default_severity: 'SEV-1',
      rate_limit_per_minute: 30,
      mitigate_on_resolve: false,
    })

    const unconfirmed = await app.post(here, { intent: 'delete' }, { cookie: admin.cookie })
    expect(unconfirmed.status).toBe(400)
    const deleted = await app.post(
      here,
      { intent: 'delete', confirm: 'yes' },
      { cookie: admin.cookie },
    )
    expect(deleted.status).toBe(302)
    expect(deleted.headers.get('location')).toBe('/admin/integrations')
    expect(await db.query('select id from integration where id = $1', [id])).toEqual([])
  })

  it('refuses a stale edit with a conflict, keeping what was typed', async () => {
    const { id } = await makeIntegration({ kind: 'generic', name: 'Before' })
    const here = `/admin/integrations/${id}`
    const page = await (await app.get(here, { cookie: admin.cookie })).text()
    const version = /name="version" value="([^"]+)"/.exec(page)![1]!
    // Another admin changes it in between.
    await app.post(here, { intent: 'deactivate' }, { cookie: admin.cookie })
    const stale = await app.post(
      here,
      {
        intent: 'save',
        version,
        name: 'My edit',
        serviceId: checkoutId,
        defaultSeverity: 'SEV-3',
        rateLimitPerMinute: '120',
      },
      { cookie: admin.cookie },
    )
    expect(stale.status).toBe(409)
    const html = await stale.text()
    expect(textOf(html)).toContain('Another admin changed this integration since you opened it.')
    expect(html).toMatch(/value="My edit"/)
    const [row] = await db.query<{ name: string }>('select name from integration where id = $1', [
      id,
    ])
    expect(row!.name).toBe('Before')
  })

  it('lists receipts with what the worker did', async () => {
    const { id, token } = await makeIntegration({ kind: 'generic' })
    await work(await accepted('generic', token, raw('generic-firing')))
    const [incident] = await linkedIncidents(id)
    const text = textOf(
      await (await app.get(`/admin/integrations/${id}`, { cookie: admin.cookie })).text(),
    )
    expect(text).toContain('Recent receipts')
    expect(text).toContain(`Declared INC-${incident!.number}`)
    const list = textOf(
      await (await app.get('/admin/integrations', { cookie: admin.cookie })).text(),
    )
    expect(list).toContain('Processed')
  })

  it('escapes names and alert keys that carry markup', async () => {
    const name = '<script>alert("name")</script>'
    const { id, token } = await makeIntegration({ kind: 'generic', name })
    const key = '<img src=x onerror=alert(1)>'
    await work(
      await accepted(
        'generic',
        token,
        JSON.stringify({ dedup_key: key, status: 'firing', title: '<b>bold</b> title' }),
      ),
    )
    for (const path of ['/admin/integrations', `/admin/integrations/${id}`]) {
      const html = await (await app.get(path, { cookie: admin.cookie })).text()
      expect(html).not.toContain(name)
      expect(html).not.toContain(key)
      expect(html).toContain('&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;')
    }
    const detail = await (
      await app.get(`/admin/integrations/${id}`, { cookie: admin.cookie })
    ).text()
    expect(detail).toContain('&lt;img src=x onerror=alert(1)&gt;')
  })

  it('refuses engineers and managers with 403', async () => {
    const { id } = await makeIntegration()
    for (const role of ['engineer', 'manager'] as const) {
      const { cookie } = await addSignedInMember(db, db.organizationId, role)
      for (const path of ['/admin/integrations', `/admin/integrations/${id}`]) {
        expect((await app.get(path, { cookie })).status).toBe(403)
      }
      expect((await app.post('/admin/integrations', createFields(), { cookie })).status).toBe(403)
      expect(
        (await app.post(`/admin/integrations/${id}`, { intent: 'rotate-token' }, { cookie }))
          .status,
      ).toBe(403)
    }
    expect(await db.query('select id from integration where id = $1', [id])).toHaveLength(1)
  })

  it('answers 404 for another organization’s integration, changing nothing', async () => {
    const otherOrg = await db.createOrganization()
    const otherAdmin = await addSignedInMember(db, otherOrg, 'admin')
    const otherService = await addService('Theirs', otherOrg)
    const theirs = await makeIntegration({ serviceId: otherService }, otherAdmin.member)
    const here = `/admin/integrations/${theirs.id}`
    expect((await app.get(here, { cookie: admin.cookie })).status).toBe(404)
    expect((await app.get('/admin/integrations/not-a-uuid', { cookie: admin.cookie })).status).toBe(
      404,
    )
    const attempts: Array<Record<string, string>> = [
      { intent: 'rotate-token' },
      { intent: 'deactivate' },
      { intent: 'delete', confirm: 'yes' },
      { intent: 'delete' },
      {
        intent: 'save',
        version: 'x',
        name: 'Mine now',
        serviceId: checkoutId,
        defaultSeverity: 'SEV-1',
        rateLimitPerMinute: '5',
      },
      { intent: 'save', name: '' },
    ]
    for (const fields of attempts)
      expect((await app.post(here, fields, { cookie: admin.cookie })).status).toBe(404)
    const [row] = await db.query<{ active: boolean; token_hash: string; name: string }>(
      'select active, token_hash, name from integration where id = $1',
      [theirs.id],
    )
    expect(row).toMatchObject({ active: true, token_hash: sha256(theirs.token) })
    expect(row!.name).not.toBe('Mine now')
    // Their integration's page lists none of ours, and ours none of theirs.
    const list = await (await app.get('/admin/integrations', { cookie: admin.cookie })).text()
    expect(list).not.toContain(theirs.id)
  })
})

describe('the record the alerts leave', () => {
  it('verifies: every chain intact and every incident the replay of its events', async () => {
    const { id, token } = await makeIntegration({ kind: 'alertmanager', mitigateOnResolve: true })
    await work(await accepted('alertmanager', token, raw('alertmanager-firing')))
    const [incident] = await linkedIncidents(id)
    await transitionIncident(db.orm, admin.member, incident!.number, {
      action: 'start-investigating',
    })
    await work(await accepted('alertmanager', token, raw('alertmanager-resolved')))
    const result = await verifyOrganization(db.orm, db.organizationId)
    expect(result.problem).toBeNull()
    expect(result.ok).toBe(true)

    const page = await app.get(`/incidents/${incident!.number}`, { cookie: admin.cookie })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('alert received from')
    expect(html).toContain('Checkout error rate above 5%')
    expect(html).toMatch(/alert resolved at/)
  })
})

describe('alert storms', () => {
  const WINDOW_MS = 60_000

  /** The queued jobs of these receipts, as pg-boss hands them to the worker's batch handler. */
  async function jobsFor(receiptIds: string[]) {
    const rows = await db.query<{ id: string; data: { receiptId: string } }>(
      `select id, data from pgboss.job where name = 'alert-ingest' and data->>'receiptId' = any($1)`,
      [receiptIds],
    )
    expect(rows).toHaveLength(receiptIds.length)
    return rows
  }

  const firing = (dedupKey: string, title = 'Checkout p99 above 2 s') =>
    JSON.stringify({ dedup_key: dedupKey, status: 'firing', title, severity: 'SEV-2' })

  async function repeatJobs(incidentId: string) {
    return db.query<{ start_after: Date; data: { dedupKey: string } }>(
      `select start_after, data from pgboss.job
        where name = 'alert-repeats' and data->>'incidentId' = $1 order by created_on`,
      [incidentId],
    )
  }

  it('counts firings within the window and writes them as one entry when the window closes', async () => {
    const { id, token } = await makeIntegration({ kind: 'generic' })
    const key = `storm-${randomBytes(3).toString('hex')}`
    const t0 = new Date(Date.now() - 10 * 60_000)
    await handleAlertJobs(
      deps(WINDOW_MS, t0),
      await jobsFor([await accepted('generic', token, firing(key))]),
    )
    const [incident] = await linkedIncidents(id)

    // Five more firings, ten seconds later, in one batch: counted, not appended.
    const repeats = []
    for (let i = 0; i < 5; i++)
      repeats.push(await accepted('generic', token, firing(key, `Title ${i}`)))
    const t1 = new Date(t0.getTime() + 10_000)
    const results = await handleAlertJobs(deps(WINDOW_MS, t1), await jobsFor(repeats))
    expect(results.map((r) => (r.error ? String(r.error) : r.result))).toEqual(
      Array(5).fill('processed'),
    )
    for (const r of repeats)
      expect(await receipt(r)).toMatchObject({
        status: 'processed',
        outcome: [{ action: 'counted', incidentNumber: incident!.number }],
      })
    expect((await eventsOf(incident!.id)).map((e) => e.type)).toEqual([
      'incident.declared',
      'alert.received',
    ])
    // One job writes the count when the window that began with the last entry closes.
    const jobs = await repeatJobs(incident!.id)
    expect(jobs).toHaveLength(1)
    expect(jobs[0]!.start_after.getTime()).toBe(t0.getTime() + WINDOW_MS)

    const t2 = new Date(t0.getTime() + WINDOW_MS + 1000)
    const flushJob = {
      organizationId: db.organizationId,
      incidentId: incident!.id,
      integrationId: id,
      dedupKey: key,
    }
    expect(await writeAlertRepeats(deps(WINDOW_MS, t2), flushJob)).toBe(5)
    const events = await eventsOf(incident!.id)
    expect(events.map((e) => e.type)).toEqual([
      'incident.declared',
      'alert.received',
      'alert.received',
    ])
    expect(events[2]!.payload).toMatchObject({
      dedupKey: key,
      title: 'Title 4',
      receiptId: repeats[4],
      repeat: {
        count: 5,
        firstAt: t1.toISOString(),
        lastAt: t1.toISOString(),
        firstReceiptId: repeats[0],
      },
    })
    // The same job again (pg-boss delivers at least once) writes nothing more.
    expect(await writeAlertRepeats(deps(WINDOW_MS, t2), flushJob)).toBe(0)
    expect(await eventsOf(incident!.id)).toHaveLength(3)

    const page = await (
      await app.get(`/incidents/${incident!.number}`, { cookie: admin.cookie })
    ).text()
    expect(page).toContain('alert fired 5 times from')
    expect((await verifyOrganization(db.orm, db.organizationId)).ok).toBe(true)
  })

  it('folds the count into the next firing after the window, and writes it before a resolution', async () => {
    const { id, token } = await makeIntegration({ kind: 'generic' })
    const key = `fold-${randomBytes(3).toString('hex')}`
    const t0 = new Date(Date.now() - 10 * 60_000)
    const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000)
    const run = async (seconds: number, body: string) =>
      handleAlertJobs(
        deps(WINDOW_MS, at(seconds)),
        await jobsFor([await accepted('generic', token, body)]),
      )
    await run(0, firing(key))
    const [incident] = await linkedIncidents(id)
    await run(20, firing(key))
    await run(30, firing(key))
    // After the window, before its job ran: this firing's entry carries the two counted before it.
    await run(61, firing(key))
    let events = await eventsOf(incident!.id)
    expect(events.map((e) => e.type)).toEqual([
      'incident.declared',
      'alert.received',
      'alert.received',
    ])
    expect(events[2]!.payload).toMatchObject({
      repeat: { count: 3, firstAt: at(20).toISOString(), lastAt: at(61).toISOString() },
    })
    // The job of the window finds its count already written.
    expect(
      await writeAlertRepeats(deps(WINDOW_MS, at(62)), {
        organizationId: db.organizationId,
        incidentId: incident!.id,
        integrationId: id,
        dedupKey: key,
      }),
    ).toBe(0)

    // Two more within the new window, then the resolution: the count is written first.
    await run(70, firing(key))
    await run(71, firing(key))
    await run(72, JSON.stringify({ dedup_key: key, status: 'resolved' }))
    events = await eventsOf(incident!.id)
    expect(
      events.slice(3).map((e) => [e.type, (e.payload.repeat as { count: number })?.count]),
    ).toEqual([
      ['alert.received', 2],
      ['alert.resolved', undefined],
    ])
    // A firing after the resolution has its own entry at once.
    await run(73, firing(key))
    expect((await eventsOf(incident!.id)).at(-1)).toMatchObject({ type: 'alert.received' })
    expect((await eventsOf(incident!.id)).at(-1)!.payload.repeat).toBeUndefined()
    expect((await verifyOrganization(db.orm, db.organizationId)).ok).toBe(true)
  })

  it('absorbs a storm in racing batches: one incident per key, every firing accounted for', async () => {
    const { id, token } = await makeIntegration({ kind: 'generic', rateLimitPerMinute: 10_000 })
    const prefix = `race-${randomBytes(3).toString('hex')}`
    const KEYS = 12
    const FIRINGS = 144
    const receipts: string[] = []
    // Posted 24 at a time, as a storm arrives.
    for (let i = 0; i < FIRINGS; i += 24)
      receipts.push(
        ...(await Promise.all(
          Array.from({ length: 24 }, (_, k) =>
            accepted('generic', token, firing(`${prefix}-${(i + k) % KEYS}`)),
          ),
        )),
      )
    const jobs = await jobsFor(receipts)
    const now = new Date()
    // Two batches at once, each holding jobs of every key, as two worker loops would.
    const [a, b] = await Promise.all([
      handleAlertJobs(
        deps(WINDOW_MS, now),
        jobs.filter((_, i) => i % 2 === 0),
      ),
      handleAlertJobs(
        deps(WINDOW_MS, now),
        jobs.filter((_, i) => i % 2 === 1),
      ),
    ])
    expect([...a!, ...b!].filter((r) => r.result !== 'processed')).toEqual([])

    const incidents = await linkedIncidents(id)
    expect(incidents).toHaveLength(KEYS)
    const actions = await db.query<{ action: string; n: number }>(
      `select o->>'action' as action, count(*)::int as n
         from alert_receipt r, jsonb_array_elements(r.outcome) o
        where r.integration_id = $1 group by 1 order by 1`,
      [id],
    )
    expect(actions).toEqual([
      { action: 'counted', n: FIRINGS - KEYS },
      { action: 'declared', n: KEYS },
    ])
    const [counted] = await db.query<{ n: number }>(
      `select coalesce(sum(count), 0)::int as n from alert_repeat where integration_id = $1`,
      [id],
    )
    expect(counted!.n).toBe(FIRINGS - KEYS)
    const [entries] = await db.query<{ n: number }>(
      `select count(*)::int as n from incident_event e join alert_link l on l.incident_id = e.incident_id
        where l.integration_id = $1 and e.type = 'alert.received'`,
      [id],
    )
    expect(entries!.n).toBe(KEYS)
    // Each key's window job writes its count: every firing is on a timeline, once.
    for (const incident of incidents) {
      const [job] = await repeatJobs(incident.id)
      await writeAlertRepeats(deps(WINDOW_MS, new Date(now.getTime() + WINDOW_MS)), {
        organizationId: db.organizationId,
        incidentId: incident.id,
        integrationId: id,
        dedupKey: job!.data.dedupKey,
      })
    }
    const [firings] = await db.query<{ n: number }>(
      `select sum(coalesce((e.payload->'repeat'->>'count')::int, 1))::int as n
         from incident_event e join alert_link l on l.incident_id = e.incident_id
        where l.integration_id = $1 and e.type = 'alert.received'`,
      [id],
    )
    expect(firings!.n).toBe(FIRINGS)
    expect((await verifyOrganization(db.orm, db.organizationId)).ok).toBe(true)
  }, 90_000)

  it('keeps the order of one batch: a resolution before the first firing, then declare, count and resolve', async () => {
    const { id, token } = await makeIntegration({ kind: 'generic' })
    const key = `order-${randomBytes(3).toString('hex')}`
    const resolved = JSON.stringify({ dedup_key: key, status: 'resolved' })
    const receipts = [
      await accepted('generic', token, resolved),
      await accepted('generic', token, firing(key)),
      await accepted('generic', token, firing(key)),
      await accepted('generic', token, resolved),
    ]
    await handleAlertJobs(deps(WINDOW_MS), await jobsFor(receipts))
    const actions = []
    for (const r of receipts) actions.push((await receipt(r)).outcome![0]!.action)
    expect(actions).toEqual(['ignored', 'declared', 'counted', 'resolved'])
    const [incident] = await linkedIncidents(id)
    const events = await eventsOf(incident!.id)
    expect(
      events.map((e) => [e.type, (e.payload.repeat as { count: number } | undefined)?.count]),
    ).toEqual([
      ['incident.declared', undefined],
      ['alert.received', undefined],
      ['alert.received', 1],
      ['alert.resolved', undefined],
    ])
    expect((await verifyOrganization(db.orm, db.organizationId)).ok).toBe(true)
  })

  it("writes the integration's last-received time at most once a second", async () => {
    const { id, token } = await makeIntegration({ kind: 'generic' })
    const t0 = new Date(Date.now() - 60_000)
    const post = (at: Date) =>
      ingestAlert(
        { orm: db.orm, boss: db.boss, maxBytes: 65536, now: () => at },
        {
          kind: 'generic',
          token,
          contentType: 'application/json',
          contentLength: undefined,
          signature: undefined,
          readBody: () => Promise.resolve(Buffer.from(firing('last-received'))),
        },
      )
    const lastReceived = async () =>
      (
        await db.query<{ last_received_at: Date }>(
          'select last_received_at from integration where id = $1',
          [id],
        )
      )[0]!.last_received_at.getTime()
    expect((await post(t0)).status).toBe(202)
    expect(await lastReceived()).toBe(t0.getTime())
    // Within the second: every request still answered 202, the row left alone.
    expect((await post(new Date(t0.getTime() + 400))).status).toBe(202)
    expect(await lastReceived()).toBe(t0.getTime())
    expect((await post(new Date(t0.getTime() + 1500))).status).toBe(202)
    expect(await lastReceived()).toBe(t0.getTime() + 1500)
  })

  it('fails only the receipt that cannot be processed; the rest of its batch is done', async () => {
    const { id, token } = await makeIntegration({ kind: 'generic' })
    const poison = `poison-${randomBytes(3).toString('hex')}`
    // A fault the database raises for one key only, as a constraint or a full disk would.
    await db.query(`
      create or replace function refuse_poison_link() returns trigger language plpgsql as $$
      begin
        if new.dedup_key = '${poison}' then raise exception 'refused for the test'; end if;
        return new;
      end $$`)
    await db.query(
      `create trigger refuse_poison before insert on alert_link for each row execute function refuse_poison_link()`,
    )
    try {
      const good = await accepted('generic', token, firing(`fine-${poison}`))
      const bad = await accepted('generic', token, firing(poison))
      const other = await accepted('generic', token, firing(`also-fine-${poison}`))
      const jobs = await jobsFor([good, bad, other])
      const results = await handleAlertJobs(deps(WINDOW_MS), jobs)
      expect(Object.fromEntries(results.map((r) => [r.receiptId, r.result]))).toEqual({
        [good]: 'processed',
        [bad]: 'failed',
        [other]: 'processed',
      })
      expect(await receipt(bad)).toMatchObject({ status: 'failed' })
      expect((await receipt(bad)).error).toContain('refused for the test')
      expect(await linkedIncidents(id)).toHaveLength(2)
      // Its job is failed for pg-boss to retry; the others complete with the batch.
      const [state] = await db.query<{ state: string }>(
        `select state from pgboss.job where name = 'alert-ingest' and data->>'receiptId' = $1`,
        [bad],
      )
      expect(state!.state).toBe('retry')
    } finally {
      await db.query(`drop trigger refuse_poison on alert_link`)
      await db.query(`drop function refuse_poison_link()`)
    }
  })
})
