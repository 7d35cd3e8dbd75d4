import { randomUUID } from 'node:crypto'
import type { ServerBuild } from '@remix-run/node'
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { queueEmail } from '~/domain/email/outbox.server'
import type { Role } from '~/domain/access/permissions'
import { WEBHOOK_EVENT_TYPES } from '~/domain/notify/kinds'
import { enqueueWebhookDelivery } from '~/domain/notify/webhooks.server'
import { deliverWebhook, type WebhookDeliverDeps } from '~/domain/notify/webhook-delivery.server'
import { createMember, signIn, silentLogger } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { decodeEntities } from '../support/html'
import { randomIp, startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver'

/**
 * The webhook admin pages over HTTP, as a browser without JavaScript uses them, with the real
 * delivery handler run in between as the worker would.
 */

const db = setUpTestDatabase('webhook_admin')

let build: ServerBuild
let app: RunningApp
let receiver: WebhookReceiver
let admin: string

beforeAll(async () => {
  build = await loadRemixBuild()
  app = await startInProcessApp(db, build, { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' })
  receiver = await startWebhookReceiver()
  admin = await cookieFor('admin')
})
afterEach(() => receiver.reset())
afterAll(async () => {
  await app?.close()
  await receiver?.close()
})

async function cookieFor(role: Role, organizationId = db.organizationId) {
  const member = await createMember(db, { role, organizationId })
  return (await signIn(db, { userId: member.userId, organizationId })).cookie
}

/** A form post with repeated fields (checkboxes), from the app's own origin unless told. */
function post(
  path: string,
  fields: Array<[string, string]>,
  cookie: string,
  origin: string = app.baseUrl,
) {
  return fetch(`${app.baseUrl}${path}`, {
    method: 'POST',
    headers: { Cookie: cookie, Origin: origin, 'X-Forwarded-For': randomIp() },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  })
}

const get = (path: string, cookie = admin) => app.get(path, { cookie })

const textOf = (html: string) =>
  decodeEntities(
    html
      .replace(/<!-- -->/g, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' '),
  )

function endpointFields(url: string, eventTypes = ['incident.declared', 'sla.breached']) {
  return [
    ['intent', 'create'],
    ['url', url],
    ['description', 'Pager bridge'],
    ...eventTypes.map((t) => ['eventTypes', t]),
  ] as Array<[string, string]>
}

async function endpointRows(organizationId = db.organizationId) {
  return db.query<{
    id: string
    url: string
    description: string
    secret: string
    event_types: string[]
    enabled: boolean
  }>(
    'select id, url, description, secret, event_types, enabled from webhook_endpoint where organization_id = $1 order by created_at',
    [organizationId],
  )
}

async function addEndpoint(cookie = admin, path = '/hook') {
  const response = await post(
    '/admin/webhooks',
    endpointFields(`${receiver.baseUrl}${path}`),
    cookie,
  )
  expect(response.status).toBe(302)
  const id = /^\/admin\/webhooks\/([0-9a-f-]{36})$/.exec(
    response.headers.get('location') ?? '',
  )?.[1]
  if (!id) throw new Error(`unexpected redirect ${response.headers.get('location')}`)
  return id
}

async function jobsOf(deliveryId: string, queue = 'webhook-deliver') {
  return db.query<{
    data: { deliveryId: string; organizationId: string }
    singleton_key: string | null
  }>(
    `select data, singleton_key from pgboss.job where name = $1 and data->>'deliveryId' = $2 order by created_on`,
    [queue, deliveryId],
  )
}

const workerDeps: WebhookDeliverDeps = {
  get orm() {
    return db.orm
  },
  get boss() {
    return db.boss
  },
  logger: silentLogger,
  settings: { allowedHosts: '127.0.0.1', timeoutMs: 5_000, retrySchedule: [1, 2] },
}

/** Runs the newest job of the delivery through the real handler, as the worker would. */
async function runWorker(deliveryId: string) {
  const job = (await jobsOf(deliveryId)).at(-1)
  if (!job) throw new Error('no job')
  return deliverWebhook(workerDeps, job.data)
}

describe('the webhooks page', () => {
  it('lets an admin add an endpoint; the page lists it and its page shows the secret', async () => {
    const page = await get('/admin/webhooks')
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toMatch(/<label[^>]*>Endpoint URL<\/label>/)
    expect(html).toMatch(/<label[^>]*>Description<\/label>/)
    for (const type of WEBHOOK_EVENT_TYPES)
      expect(html).toMatch(
        new RegExp(
          `<label[^>]*><input[^>]*type="checkbox"[^>]*value="${type}"[^>]*/><code>${type}</code></label>`,
        ),
      )
    expect(html).toMatch(/<a[^>]*href="\/admin\/deliveries"[^>]*>Failed deliveries<\/a>/)
    expect(textOf(html)).toContain('Add endpoint')

    const id = await addEndpoint()
    const [row] = (await endpointRows()).filter((r) => r.id === id)
    expect(row).toMatchObject({
      url: `${receiver.baseUrl}/hook`,
      description: 'Pager bridge',
      event_types: ['incident.declared', 'sla.breached'],
      enabled: true,
    })
    expect(row!.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)

    const list = textOf(await (await get('/admin/webhooks')).text())
    expect(list).toContain(`${receiver.baseUrl}/hook`)
    expect(list).toContain('incident.declared, sla.breached')
    expect(list).toContain('None yet')

    const detail = await (await get(`/admin/webhooks/${id}`)).text()
    expect(detail).toMatch(
      new RegExp(
        `<details[^>]*>.*${row!.secret.replace(/[+/]/g, (c) => `\\${c}`)}.*</details>`,
        's',
      ),
    )
    expect(textOf(detail)).toContain('Standard Webhooks')
    for (const button of [
      'Save endpoint',
      'Disable endpoint',
      'Rotate secret',
      'Delete endpoint',
      'Send test event',
    ])
      expect(textOf(detail)).toContain(button)
  })

  it('refuses a private or malformed URL with a field error, keeping what was typed, storing nothing', async () => {
    const before = (await endpointRows()).length
    for (const [url, message] of [
      ['http://10.0.0.1/hook', '10.0.0.1 is a private network address.'],
      ['http://169.254.169.254/latest', '169.254.169.254 is a cloud metadata service address.'],
      ['http://localhost:9/hook', 'localhost resolves to'],
      ['ftp://example.com/hook', 'Only http:// and https:// URLs can receive webhooks.'],
      ['https://user:pw@example.com/hook', 'Remove the user name and password'],
    ]) {
      const response = await post('/admin/webhooks', endpointFields(url!), admin)
      expect(response.status, url).toBe(400)
      const html = await response.text()
      expect(textOf(html)).toContain(message)
      // The message belongs to the URL field, which keeps the typed value.
      const input = /<input[^>]*name="url"[^>]*>/.exec(html)?.[0] ?? ''
      expect(input).toContain('aria-invalid="true"')
      expect(decodeEntities(input)).toContain(`value="${url}"`)
      const box = (type: string) =>
        new RegExp(`<input[^>]*value="${type}"[^>]*>`).exec(html)?.[0] ?? ''
      expect(box('sla.breached')).toContain('checked')
      expect(box('comment.added')).not.toContain('checked')
    }
    const noTypes = await post(
      '/admin/webhooks',
      endpointFields(`${receiver.baseUrl}/x`, []),
      admin,
    )
    expect(noTypes.status).toBe(400)
    expect(textOf(await noTypes.text())).toContain('Choose at least one event type')
    expect(await endpointRows()).toHaveLength(before)
  })

  it('answers 403 to engineers and managers, on every page and action', async () => {
    const id = await addEndpoint()
    const before = await endpointRows()
    for (const role of ['engineer', 'manager'] as const) {
      const cookie = await cookieFor(role)
      for (const path of ['/admin/webhooks', `/admin/webhooks/${id}`, '/admin/deliveries'])
        expect((await get(path, cookie)).status, `${role} GET ${path}`).toBe(403)
      expect(
        (await post('/admin/webhooks', endpointFields(`${receiver.baseUrl}/x`), cookie)).status,
      ).toBe(403)
      for (const intent of ['send-test', 'disable', 'rotate-secret'])
        expect((await post(`/admin/webhooks/${id}`, [['intent', intent]], cookie)).status).toBe(403)
      expect(
        (
          await post(
            `/admin/webhooks/${id}`,
            [
              ['intent', 'delete'],
              ['confirm', 'yes'],
            ],
            cookie,
          )
        ).status,
      ).toBe(403)
    }
    expect(await endpointRows()).toEqual(before)
    expect(await db.query('select 1 from webhook_delivery where endpoint_id = $1', [id])).toEqual(
      [],
    )
  })

  it('answers 404 for another organization’s endpoint and changes nothing', async () => {
    const otherOrg = await db.createOrganization('Elsewhere')
    const theirAdmin = await cookieFor('admin', otherOrg)
    const theirs = await addEndpoint(theirAdmin)
    const [before] = await endpointRows(otherOrg)

    for (const path of [
      `/admin/webhooks/${theirs}`,
      `/admin/webhooks/${randomUUID()}`,
      '/admin/webhooks/not-a-uuid',
    ])
      expect((await get(path)).status, path).toBe(404)
    for (const fields of [
      [['intent', 'send-test']],
      [['intent', 'disable']],
      [['intent', 'rotate-secret']],
      [
        ['intent', 'delete'],
        ['confirm', 'yes'],
      ],
      [['intent', 'delete']],
      [...endpointFields(`${receiver.baseUrl}/mine`), ['intent', 'save']].filter(
        ([k, v]) => !(k === 'intent' && v === 'create'),
      ),
    ] as Array<Array<[string, string]>>) {
      const response = await post(`/admin/webhooks/${theirs}`, fields, admin)
      expect(response.status, JSON.stringify(fields)).toBe(404)
    }
    expect(await endpointRows(otherOrg)).toEqual([before])
    expect(
      await db.query('select 1 from webhook_delivery where endpoint_id = $1', [theirs]),
    ).toEqual([])
  })

  it('refuses a cross-site form post before it reaches the action', async () => {
    const before = (await endpointRows()).length
    const response = await post(
      '/admin/webhooks',
      endpointFields(`${receiver.baseUrl}/evil`),
      admin,
      'https://evil.example',
    )
    expect(response.status).toBe(403)
    expect(await endpointRows()).toHaveLength(before)
  })
})

describe('an endpoint’s page', () => {
  it('saves edits, and refuses a private URL there too', async () => {
    const id = await addEndpoint()
    const save = (url: string, types: string[]) =>
      post(
        `/admin/webhooks/${id}`,
        [
          ['intent', 'save'],
          ['url', url],
          ['description', 'Renamed'],
          ...types.map((t): [string, string] => ['eventTypes', t]),
        ],
        admin,
      )
    const saved = await save(`${receiver.baseUrl}/v2`, ['comment.added'])
    expect(saved.status).toBe(302)
    expect(saved.headers.get('location')).toBe(`/admin/webhooks/${id}`)
    const refused = await save('http://192.168.1.10/hook', ['sla.warning'])
    expect(refused.status).toBe(400)
    expect(textOf(await refused.text())).toContain('192.168.1.10 is a private network address.')
    const [row] = (await endpointRows()).filter((r) => r.id === id)
    expect(row).toMatchObject({
      url: `${receiver.baseUrl}/v2`,
      description: 'Renamed',
      event_types: ['comment.added'],
    })
  })

  it('disables and enables, rotates the secret, and deletes only when confirmed', async () => {
    const id = await addEndpoint()
    const row = async () => (await endpointRows()).find((r) => r.id === id)
    const original = (await row())!.secret

    expect((await post(`/admin/webhooks/${id}`, [['intent', 'disable']], admin)).status).toBe(302)
    expect(await row()).toMatchObject({ enabled: false })
    expect(textOf(await (await get(`/admin/webhooks/${id}`)).text())).toContain('Enable endpoint')
    expect((await post(`/admin/webhooks/${id}`, [['intent', 'enable']], admin)).status).toBe(302)
    expect(await row()).toMatchObject({ enabled: true })

    expect((await post(`/admin/webhooks/${id}`, [['intent', 'rotate-secret']], admin)).status).toBe(
      302,
    )
    const rotated = (await row())!.secret
    expect(rotated).not.toBe(original)
    expect(rotated).toMatch(/^whsec_/)

    const unconfirmed = await post(`/admin/webhooks/${id}`, [['intent', 'delete']], admin)
    expect(unconfirmed.status).toBe(400)
    expect(textOf(await unconfirmed.text())).toContain('Tick the box to confirm')
    expect(await row()).toBeDefined()
    const confirmed = await post(
      `/admin/webhooks/${id}`,
      [
        ['intent', 'delete'],
        ['confirm', 'yes'],
      ],
      admin,
    )
    expect(confirmed.status).toBe(302)
    expect(confirmed.headers.get('location')).toBe('/admin/webhooks')
    expect(await row()).toBeUndefined()
  })

  it('"Send test event" answers 202 with a link to the result, which shows succeeded after the worker ran', async () => {
    const id = await addEndpoint(admin, '/test-hook')
    const response = await post(`/admin/webhooks/${id}`, [['intent', 'send-test']], admin)
    expect(response.status).toBe(202)
    const html = await response.text()
    expect(textOf(html)).toContain('Test event queued')
    // The reader follows the link; nothing reloads or moves the page on a timer.
    expect(html).not.toContain('http-equiv="refresh"')
    const link = /<a [^>]*href="([^"]+)"[^>]*>See the result<\/a>/.exec(html)?.[1]
    expect(link).toBeDefined()
    const match = /^(\/admin\/webhooks\/[0-9a-f-]{36}\?delivery=([0-9a-f-]{36}))$/.exec(
      decodeEntities(link!),
    )
    expect(match, link).not.toBeNull()
    const [, resultUrl, deliveryId] = match!
    expect(resultUrl).toBe(`/admin/webhooks/${id}?delivery=${deliveryId}`)

    // Before the worker: pending, with a link to look again instead of a timed reload.
    const waiting = await (await get(resultUrl!)).text()
    expect(waiting).not.toContain('http-equiv="refresh"')
    expect(waiting).toMatch(/>Check again<\/a>/)
    expect(textOf(waiting)).toMatch(/Pending · webhook\.test/)

    await expect(runWorker(deliveryId!)).resolves.toBe('succeeded')

    const result = await (await get(resultUrl!)).text()
    expect(result).not.toMatch(/>Check again<\/a>/)
    expect(textOf(result)).toMatch(/Succeeded · webhook\.test/)
    expect(receiver.requests).toHaveLength(1)
    const [request] = receiver.requests
    expect(request!.path).toBe('/test-hook')
    const { secret } = (await endpointRows()).find((r) => r.id === id)!
    expect(
      new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>),
    ).toMatchObject({ type: 'webhook.test', data: { endpoint: { id } } })
  })

  it('Redeliver makes a new attempt with the same message id', async () => {
    const id = await addEndpoint()
    const sent = await post(`/admin/webhooks/${id}`, [['intent', 'send-test']], admin)
    const deliveryId = /delivery=([0-9a-f-]{36})/.exec(await sent.text())![1]!

    // Still pending: nothing to redeliver yet.
    const early = await post(
      `/admin/webhooks/${id}`,
      [
        ['intent', 'redeliver'],
        ['deliveryId', deliveryId],
      ],
      admin,
    )
    expect(early.status).toBe(302)
    expect(await jobsOf(deliveryId)).toHaveLength(1)

    await runWorker(deliveryId)
    const log = textOf(await (await get(`/admin/webhooks/${id}`)).text())
    expect(log).toContain('Redeliver')

    const response = await post(
      `/admin/webhooks/${id}`,
      [
        ['intent', 'redeliver'],
        ['deliveryId', deliveryId],
      ],
      admin,
    )
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(`/admin/webhooks/${id}?delivery=${deliveryId}`)
    const jobs = await jobsOf(deliveryId)
    expect(jobs).toHaveLength(2)
    expect(jobs[1]!.singleton_key).toBe(`${deliveryId}:2`)
    const [pending] = await db.query<{ status: string; attempts: number }>(
      'select status, attempts from webhook_delivery where id = $1',
      [deliveryId],
    )
    expect(pending).toEqual({ status: 'pending', attempts: 0 })

    await expect(runWorker(deliveryId)).resolves.toBe('succeeded')
    const attempts = await db.query<{ attempt: number; status_code: number }>(
      'select attempt, status_code from webhook_attempt where delivery_id = $1 order by attempt',
      [deliveryId],
    )
    expect(attempts).toEqual([
      { attempt: 1, status_code: 200 },
      { attempt: 2, status_code: 200 },
    ])
    expect(receiver.requests).toHaveLength(2)
    expect(receiver.requests[1]!.headers['webhook-id']).toBe(
      receiver.requests[0]!.headers['webhook-id'],
    )
    expect(receiver.requests[1]!.body).toBe(receiver.requests[0]!.body)

    // The log lists the delivery with both attempts.
    const page = await (await get(`/admin/webhooks/${id}`)).text()
    const row = new RegExp(
      `<tr aria-label="${receiver.requests[0]!.headers['webhook-id']}">(.*?)</tr>`,
      's',
    ).exec(page)?.[1]
    expect(textOf(row ?? '')).toMatch(/webhook\.test .*Succeeded 2 200/)

    // Another organization's delivery is not found.
    const otherOrg = await db.createOrganization('Other')
    const theirAdmin = await cookieFor('admin', otherOrg)
    const theirEndpoint = await addEndpoint(theirAdmin)
    const theirs = await post(
      `/admin/webhooks/${theirEndpoint}`,
      [['intent', 'send-test']],
      theirAdmin,
    )
    const theirDelivery = /delivery=([0-9a-f-]{36})/.exec(await theirs.text())![1]!
    await db.query(`update webhook_delivery set status = 'succeeded' where id = $1`, [
      theirDelivery,
    ])
    const cross = await post(
      `/admin/webhooks/${id}`,
      [
        ['intent', 'redeliver'],
        ['deliveryId', theirDelivery],
      ],
      admin,
    )
    expect(cross.status).toBe(404)
    expect(await jobsOf(theirDelivery)).toHaveLength(1)
    expect((await get(`/admin/webhooks/${id}?delivery=${theirDelivery}`)).status).toBe(404)
  })
})

describe('failed deliveries', () => {
  it('lists a dead webhook delivery and a dead e-mail; Retry puts each back to pending with a job', async () => {
    const endpointId = await addEndpoint(admin, '/dead')
    const delivery = await db.inOrg((em) =>
      enqueueWebhookDelivery(em, db.boss, {
        organizationId: db.organizationId,
        endpointId,
        eventType: 'sla.breached',
        data: { incident: { reference: 'INC-9' } },
        idempotencyKey: `dead:${randomUUID()}`,
        occurredAt: new Date(),
      }),
    )
    await db.query(
      `update webhook_delivery set status = 'dead', attempts = 8, last_error = 'Gave up after 8 attempts. Last: HTTP 500: boom' where id = $1`,
      [delivery!.id],
    )
    const email = await db.inOrg((em) =>
      queueEmail(em, db.boss, {
        organizationId: db.organizationId,
        kind: 'sla-breached',
        to: 'oncall@example.test',
        subject: 'SLA breached: INC-9',
        text: 'Resolve target missed',
        idempotencyKey: `dead-email:${randomUUID()}`,
      }),
    )
    await db.query(
      `update email_outbox set status = 'dead', attempts = 9, last_error = 'Resend said no' where id = $1`,
      [email.id],
    )

    const page = await (await get('/admin/deliveries')).text()
    expect(page).toMatch(/<h1[^>]*>Failed deliveries<\/h1>/)
    const text = textOf(page)
    expect(text).toContain(`${receiver.baseUrl}/dead`)
    expect(text).toContain('Gave up after 8 attempts. Last: HTTP 500: boom')
    expect(text).toContain('SLA breached: INC-9')
    expect(text).toContain('Resend said no')
    expect(page.match(/>Retry</g)?.length).toBeGreaterThanOrEqual(2)

    const retry = (kind: string, id: string, cookie = admin) =>
      post(
        '/admin/deliveries',
        [
          ['intent', 'retry'],
          ['kind', kind],
          ['id', id],
        ],
        cookie,
      )
    expect((await retry('webhook', delivery!.id)).status).toBe(302)
    const [row] = await db.query<{ status: string; attempts: number }>(
      'select status, attempts from webhook_delivery where id = $1',
      [delivery!.id],
    )
    expect(row).toEqual({ status: 'pending', attempts: 0 })
    const jobs = await jobsOf(delivery!.id)
    expect(jobs).toHaveLength(2)
    expect(jobs[1]!.singleton_key).toBe(`${delivery!.id}:1`)

    expect((await retry('email', email.id)).status).toBe(302)
    const [emailRow] = await db.query<{ status: string }>(
      'select status from email_outbox where id = $1',
      [email.id],
    )
    expect(emailRow).toEqual({ status: 'pending' })
    const emailJobs = await db.query(
      `select 1 from pgboss.job where name = 'email-deliver' and data->>'outboxId' = $1`,
      [email.id],
    )
    expect(emailJobs).toHaveLength(2)

    // Gone from the list; a second Retry changes nothing.
    expect(textOf(await (await get('/admin/deliveries')).text())).not.toContain(
      'SLA breached: INC-9',
    )
    expect((await retry('webhook', delivery!.id)).status).toBe(302)
    expect(await jobsOf(delivery!.id)).toHaveLength(2)

    // The retried delivery now succeeds.
    await expect(runWorker(delivery!.id)).resolves.toBe('succeeded')

    // Another organization's ids, and other roles, are refused.
    const otherOrg = await db.createOrganization('Another')
    expect((await retry('webhook', delivery!.id, await cookieFor('admin', otherOrg))).status).toBe(
      404,
    )
    expect((await retry('email', email.id, await cookieFor('manager'))).status).toBe(403)
  })
})
