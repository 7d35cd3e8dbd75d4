import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { queueEmail } from '~/domain/email/outbox.server'
import type { Member } from '~/domain/access/guard.server'
import {
  createEndpoint,
  enqueueWebhookDelivery,
  subscribedEndpoints,
  type WebhookDeliveryInput,
} from '~/domain/notify/webhooks.server'
import { recordDeadLetter } from '~/domain/notify/dead-letters.server'
import {
  deliverWebhook,
  deliverWebhooks,
  USER_AGENT,
  type WebhookDeliverDeps,
  type WebhookSettings,
} from '~/domain/notify/webhook-delivery.server'
import { createWebhookTransport } from '~/domain/notify/webhook-transport.server'
import { createMember, silentLogger } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver'

const db = setUpTestDatabase('webhook_delivery')

const ALLOWED = '127.0.0.1,localhost'
const SHORT_SCHEDULE = [1, 2, 3]

let receiver: WebhookReceiver
let admin: Pick<Member, 'user' | 'role' | 'organization'>

beforeAll(async () => {
  receiver = await startWebhookReceiver()
  admin = await adminOf(db.organizationId)
})
afterEach(() => receiver.reset())
afterAll(async () => {
  await receiver?.close()
})

async function adminOf(organizationId: string) {
  const member = await createMember(db, { organizationId, role: 'admin' })
  return {
    user: { id: member.userId, email: member.email, displayName: member.displayName },
    role: 'admin' as const,
    organization: { id: organizationId, name: 'Org', slug: 'org', timezone: 'UTC' },
  }
}

function settings(overrides: Partial<WebhookSettings> = {}): WebhookSettings {
  return {
    allowedHosts: ALLOWED,
    timeoutMs: 5_000,
    retrySchedule: SHORT_SCHEDULE,
    expireInSeconds: 30,
    ...overrides,
  }
}

function deps(overrides: Partial<WebhookDeliverDeps> = {}): WebhookDeliverDeps {
  return { orm: db.orm, boss: db.boss, logger: silentLogger, settings: settings(), ...overrides }
}

async function newEndpoint(
  options: { path?: string; eventTypes?: string[]; actor?: typeof admin; url?: string } = {},
) {
  const { id } = await createEndpoint(
    db.orm,
    options.actor ?? admin,
    {
      url: options.url ?? `${receiver.baseUrl}${options.path ?? '/hook'}`,
      description: 'receiver',
      eventTypes: options.eventTypes ?? ['incident.declared'],
    },
    { allowedHosts: ALLOWED },
  )
  return id
}

function input(endpointId: string, overrides: Partial<WebhookDeliveryInput> = {}) {
  return {
    organizationId: db.organizationId,
    endpointId,
    eventType: 'incident.declared',
    data: { incident: { reference: 'INC-7', title: 'Checkout is down — ünïcode ✓' } },
    idempotencyKey: `test:${randomUUID()}`,
    occurredAt: new Date('2025-03-04T10:00:00.000Z'),
    ...overrides,
  } satisfies WebhookDeliveryInput
}

async function enqueue(endpointId: string, overrides: Partial<WebhookDeliveryInput> = {}) {
  const delivery = await db.inOrg((em) =>
    enqueueWebhookDelivery(em, db.boss, input(endpointId, overrides)),
  )
  if (!delivery) throw new Error('nothing was queued')
  return delivery
}

interface JobRow {
  id: string
  data: { deliveryId: string; organizationId: string }
  start_after: Date
  created_on: Date
  singleton_key: string | null
  state: string
}

async function deliveryJobs(deliveryId: string) {
  return db.query<JobRow>(
    `select id, data, start_after, created_on, singleton_key, state from pgboss.job
      where name = 'webhook-deliver' and data->>'deliveryId' = $1 order by created_on, start_after`,
    [deliveryId],
  )
}

async function deadLetterJobs(deliveryId: string) {
  return db.query<{ data: { deliveryId: string; organizationId: string; reason?: string } }>(
    `select data from pgboss.job where name = 'dead-letter' and data->>'deliveryId' = $1`,
    [deliveryId],
  )
}

interface DeliveryRow {
  status: string
  attempts: number
  message_id: string
  last_status_code: number | null
  last_error: string | null
  next_attempt_at: Date | null
  delivered_at: Date | null
}

async function deliveryRow(id: string) {
  const [row] = await db.query<DeliveryRow>(
    `select status, attempts, message_id, last_status_code, last_error, next_attempt_at, delivered_at
       from webhook_delivery where id = $1`,
    [id],
  )
  if (!row) throw new Error(`no delivery ${id}`)
  return row
}

async function attemptRows(deliveryId: string) {
  return db.query<{
    attempt: number
    attempted_at: Date
    duration_ms: number
    status_code: number | null
    error: string | null
    retry_at: Date | null
  }>(
    `select attempt, attempted_at, duration_ms, status_code, error, retry_at from webhook_attempt
      where delivery_id = $1 order by attempt`,
    [deliveryId],
  )
}

async function secretOf(endpointId: string) {
  const [row] = await db.query<{ secret: string }>(
    'select secret from webhook_endpoint where id = $1',
    [endpointId],
  )
  return row!.secret
}

/** The one job waiting for the delivery's next attempt (the newest). */
async function pendingJob(deliveryId: string) {
  const jobs = await deliveryJobs(deliveryId)
  const job = jobs.at(-1)
  if (!job) throw new Error('no job')
  return job
}

describe('a delivery', () => {
  it('arrives as a signed POST that the standardwebhooks library verifies', async () => {
    const endpointId = await newEndpoint()
    const delivery = await enqueue(endpointId)
    const [job] = await deliveryJobs(delivery.id)
    expect(job).toMatchObject({
      state: 'created',
      data: { deliveryId: delivery.id, organizationId: db.organizationId },
    })

    const sentFrom = Date.now()
    await expect(deliverWebhook(deps(), job!.data)).resolves.toBe('succeeded')
    const sentTo = Date.now()

    expect(receiver.requests).toHaveLength(1)
    const [request] = receiver.requests
    expect(request).toMatchObject({ method: 'POST', path: '/hook' })
    expect(request!.headers['content-type']).toBe('application/json')
    expect(request!.headers['user-agent']).toBe(USER_AGENT)
    expect(request!.headers['webhook-id']).toBe(delivery.messageId)
    expect(request!.headers['webhook-id']).toMatch(/^msg_[0-9a-f]{32}$/)
    // Whole seconds of the worker's clock (this one) when it sent the request.
    const timestamp = Number(request!.headers['webhook-timestamp'])
    expect(timestamp).toBeGreaterThanOrEqual(Math.floor(sentFrom / 1000))
    expect(timestamp).toBeLessThanOrEqual(Math.floor(sentTo / 1000))
    expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)

    const verified = new Webhook(await secretOf(endpointId)).verify(
      request!.body,
      request!.headers as Record<string, string>,
    )
    expect(verified).toEqual({
      type: 'incident.declared',
      timestamp: '2025-03-04T10:00:00.000Z',
      data: { incident: { reference: 'INC-7', title: 'Checkout is down — ünïcode ✓' } },
    })
    // Another endpoint's secret does not verify it.
    const other = await newEndpoint()
    await expect(
      secretOf(other).then((secret) =>
        new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>),
      ),
    ).rejects.toThrow('No matching signature found')

    const stored = await deliveryRow(delivery.id)
    expect(stored).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      last_status_code: 200,
      last_error: null,
      next_attempt_at: null,
    })
    expect(stored.delivered_at).toBeInstanceOf(Date)
    const attempts = await attemptRows(delivery.id)
    expect(attempts).toHaveLength(1)
    expect(attempts[0]).toMatchObject({ attempt: 1, status_code: 200, error: null, retry_at: null })
    expect(attempts[0]!.duration_ms).toBeGreaterThanOrEqual(0)

    // The same job run again (pg-boss delivers at least once) sends nothing.
    await expect(deliverWebhook(deps(), job!.data)).resolves.toBe('skipped')
    expect(receiver.requests).toHaveLength(1)
    expect(await deliveryJobs(delivery.id)).toHaveLength(1)
  })

  it('keeps its message id and body across a retry, each attempt signed afresh', async () => {
    const endpointId = await newEndpoint()
    const delivery = await enqueue(endpointId)
    receiver.replies.push({ status: 500, body: 'database on fire' })

    const [first] = await deliveryJobs(delivery.id)
    await expect(deliverWebhook(deps({ random: () => 0.5 }), first!.data)).resolves.toBe(
      'retry-scheduled',
    )
    const afterFailure = await deliveryRow(delivery.id)
    expect(afterFailure).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_status_code: 500,
      last_error: 'HTTP 500: database on fire',
    })

    const jobs = await deliveryJobs(delivery.id)
    expect(jobs).toHaveLength(2)
    const retry = jobs[1]!
    expect(retry.singleton_key).toBe(`${delivery.id}:2`)
    expect(retry.start_after.getTime()).toBe(afterFailure.next_attempt_at!.getTime())
    const [failed] = await attemptRows(delivery.id)
    expect(failed).toMatchObject({ attempt: 1, status_code: 500 })
    expect(failed!.retry_at!.getTime()).toBe(retry.start_after.getTime())
    // Schedule entry 1 s, random() = ½ → no jitter.
    const wait = retry.start_after.getTime() - failed!.attempted_at.getTime()
    expect(wait).toBeGreaterThanOrEqual(1000)
    expect(wait).toBeLessThan(1000 + 1000)

    await expect(deliverWebhook(deps(), retry.data)).resolves.toBe('succeeded')

    expect(receiver.requests).toHaveLength(2)
    const [a, b] = receiver.requests
    expect(a!.headers['webhook-id']).toBe(delivery.messageId)
    expect(b!.headers['webhook-id']).toBe(delivery.messageId)
    expect(b!.body).toBe(a!.body)
    const receiverCheck = new Webhook(await secretOf(endpointId))
    for (const request of [a!, b!])
      expect(() =>
        receiverCheck.verify(request.body, request.headers as Record<string, string>),
      ).not.toThrow()
    expect((await attemptRows(delivery.id)).map((r) => [r.attempt, r.status_code])).toEqual([
      [1, 500],
      [2, 200],
    ])
    expect(await deliveryRow(delivery.id)).toMatchObject({ status: 'succeeded', attempts: 2 })
  })

  it('does not follow a redirect: it is a failed attempt', async () => {
    const endpointId = await newEndpoint()
    const delivery = await enqueue(endpointId)
    receiver.replies.push({ status: 302, headers: { location: '/elsewhere' } })
    const [job] = await deliveryJobs(delivery.id)
    await expect(deliverWebhook(deps(), job!.data)).resolves.toBe('retry-scheduled')
    expect(receiver.requests.map((r) => r.path)).toEqual(['/hook'])
    expect((await deliveryRow(delivery.id)).last_error).toBe(
      'HTTP 302 (redirects are not followed)',
    )
  })

  it('gives up on an attempt after the timeout and schedules the next', async () => {
    const endpointId = await newEndpoint()
    const delivery = await enqueue(endpointId)
    receiver.replies.push({ status: 200, delayMs: 3_000 })
    const [job] = await deliveryJobs(delivery.id)
    const started = Date.now()
    await expect(
      deliverWebhook(deps({ settings: settings({ timeoutMs: 300 }) }), job!.data),
    ).resolves.toBe('retry-scheduled')
    expect(Date.now() - started).toBeLessThan(2_000)
    const [attempt] = await attemptRows(delivery.id)
    expect(attempt).toMatchObject({ status_code: null, error: 'No answer within 0.3 s' })
    expect(await deliveryRow(delivery.id)).toMatchObject({ status: 'pending', attempts: 1 })
  })

  it('gives up on an answer whose body never ends, even after a 200 status line', async () => {
    const endpointId = await newEndpoint()
    const delivery = await enqueue(endpointId)
    receiver.replies.push({ status: 200, stallBody: true })
    const [job] = await deliveryJobs(delivery.id)
    await expect(
      deliverWebhook(deps({ settings: settings({ timeoutMs: 300 }) }), job!.data),
    ).resolves.toBe('retry-scheduled')
    const [attempt] = await attemptRows(delivery.id)
    expect(attempt).toMatchObject({ status_code: null, error: 'No answer within 0.3 s' })
  })
})

describe('410 Gone', () => {
  it('disables the endpoint with a reason and fails the delivery; nothing more is sent', async () => {
    const endpointId = await newEndpoint({ eventTypes: ['sla.breached'] })
    const gone = await enqueue(endpointId)
    const waiting = await enqueue(endpointId)
    receiver.replies.push({ status: 410, body: 'gone' })

    const [job] = await deliveryJobs(gone.id)
    await expect(deliverWebhook(deps(), job!.data)).resolves.toBe('failed')

    const [endpoint] = await db.query<{ enabled: boolean; disabled_reason: string }>(
      'select enabled, disabled_reason from webhook_endpoint where id = $1',
      [endpointId],
    )
    expect(endpoint!.enabled).toBe(false)
    expect(endpoint!.disabled_reason).toMatch(/answered 410 Gone/)
    expect(await deliveryRow(gone.id)).toMatchObject({
      status: 'failed',
      last_status_code: 410,
      next_attempt_at: null,
    })
    expect(await deliveryJobs(gone.id)).toHaveLength(1)
    expect(await deadLetterJobs(gone.id)).toEqual([])

    // A delivery queued before is not sent, and no new ones are queued.
    const [waitingJob] = await deliveryJobs(waiting.id)
    await expect(deliverWebhook(deps(), waitingJob!.data)).resolves.toBe('failed')
    expect(await deliveryRow(waiting.id)).toMatchObject({
      status: 'failed',
      last_error: 'Not sent: the endpoint is disabled.',
    })
    expect(receiver.requests).toHaveLength(1)
    const again = await db.inOrg((em) =>
      enqueueWebhookDelivery(em, db.boss, input(endpointId, { eventType: 'sla.breached' })),
    )
    expect(again).toBeNull()
    expect(
      await db.inOrg((em) => subscribedEndpoints(em, db.organizationId, 'sla.breached')),
    ).toEqual([])
  })
})

describe('Retry-After', () => {
  async function failOnceWith(reply: { status: number; headers?: Record<string, string> }) {
    const endpointId = await newEndpoint()
    const delivery = await enqueue(endpointId)
    receiver.replies.push(reply)
    const [job] = await deliveryJobs(delivery.id)
    const from = Date.now()
    const outcome = await deliverWebhook(deps({ random: () => 0.5 }), job!.data)
    // The attempt's time and the retry's are read from the worker's clock (this one) in between:
    // a wait exceeds the one asked for by at most this long, however slow the machine.
    const elapsed = Date.now() - from
    expect(outcome).toBe('retry-scheduled')
    const jobs = await deliveryJobs(delivery.id)
    expect(jobs).toHaveLength(2)
    const [attempt] = await attemptRows(delivery.id)
    return { delivery, next: jobs[1]!, attempt: attempt!, elapsed }
  }

  it('on a 503 schedules the next job that many seconds later', async () => {
    const { delivery, next, attempt, elapsed } = await failOnceWith({
      status: 503,
      headers: { 'retry-after': '7' },
    })
    const wait = next.start_after.getTime() - attempt.attempted_at.getTime()
    expect(wait).toBeGreaterThanOrEqual(7_000)
    expect(wait).toBeLessThanOrEqual(7_000 + elapsed)
    expect(attempt.retry_at!.getTime()).toBe(next.start_after.getTime())
    expect((await deliveryRow(delivery.id)).next_attempt_at!.getTime()).toBe(
      next.start_after.getTime(),
    )
    expect(next.singleton_key).toBe(`${delivery.id}:2`)
  })

  it('on a 429 accepts an HTTP-date', async () => {
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 60_000)
    const { next, elapsed } = await failOnceWith({
      status: 429,
      headers: { 'retry-after': at.toUTCString() },
    })
    // The delay is whole seconds up to that date, counted from a moment during the attempt.
    expect(next.start_after.getTime()).toBeGreaterThanOrEqual(at.getTime())
    expect(next.start_after.getTime()).toBeLessThan(at.getTime() + 1_000 + elapsed)
  })

  it('is capped at a day', async () => {
    const { next, attempt, elapsed } = await failOnceWith({
      status: 503,
      headers: { 'retry-after': String(7 * 86_400) },
    })
    const wait = next.start_after.getTime() - attempt.attempted_at.getTime()
    expect(wait).toBeGreaterThanOrEqual(86_400_000)
    expect(wait).toBeLessThanOrEqual(86_400_000 + elapsed)
  })

  it('is ignored on other statuses: the schedule decides', async () => {
    const { next, attempt, elapsed } = await failOnceWith({
      status: 500,
      headers: { 'retry-after': '7' },
    })
    const wait = next.start_after.getTime() - attempt.attempted_at.getTime()
    expect(wait).toBeGreaterThanOrEqual(1_000)
    expect(wait).toBeLessThanOrEqual(1_000 + elapsed)
  })
})

describe('a failing endpoint', () => {
  it('walks the whole schedule, then the delivery is dead with a dead-letter job', async () => {
    const endpointId = await newEndpoint()
    const delivery = await enqueue(endpointId)
    for (let i = 0; i < 10; i++) receiver.replies.push({ status: 500, body: `failure ${i + 1}` })

    const outcomes: string[] = []
    for (let step = 0; step < SHORT_SCHEDULE.length + 1; step++) {
      const job = await pendingJob(delivery.id)
      // The worker's clock stands at the moment pg-boss would start the job: no waiting.
      const at = new Date(Math.max(job.start_after.getTime(), Date.now()))
      outcomes.push(await deliverWebhook(deps({ now: () => at, random: () => 0.5 }), job.data))
    }
    expect(outcomes).toEqual(['retry-scheduled', 'retry-scheduled', 'retry-scheduled', 'dead'])
    expect(receiver.requests).toHaveLength(4)
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(
      new Set([delivery.messageId]),
    )

    const attempts = await attemptRows(delivery.id)
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3, 4])
    expect(attempts.map((a) => a.status_code)).toEqual([500, 500, 500, 500])
    // Each retry waits its schedule entry (random() = ½: no jitter), so retry times increase.
    const waits = attempts
      .slice(0, 3)
      .map((a) => (a.retry_at!.getTime() - a.attempted_at.getTime()) / 1000)
    expect(waits).toEqual(SHORT_SCHEDULE)
    for (let i = 1; i < 3; i++)
      expect(attempts[i]!.retry_at!.getTime()).toBeGreaterThan(attempts[i - 1]!.retry_at!.getTime())
    expect(attempts[3]!.retry_at).toBeNull()

    const jobs = await deliveryJobs(delivery.id)
    expect(jobs.map((j) => j.singleton_key)).toEqual([
      null,
      `${delivery.id}:2`,
      `${delivery.id}:3`,
      `${delivery.id}:4`,
    ])

    const dead = await deliveryRow(delivery.id)
    expect(dead).toMatchObject({
      status: 'dead',
      attempts: 4,
      next_attempt_at: null,
      last_error: 'HTTP 500: failure 4',
    })
    const letters = await deadLetterJobs(delivery.id)
    expect(letters).toHaveLength(1)
    expect(letters[0]!.data).toMatchObject({
      deliveryId: delivery.id,
      organizationId: db.organizationId,
    })
    expect(letters[0]!.data.reason).toBe('Gave up after 4 attempts. Last: HTTP 500: failure 4')

    // The dead-letter handler keeps the reason as the delivery's last word.
    await expect(
      recordDeadLetter({ orm: db.orm, logger: silentLogger }, letters[0]!.data),
    ).resolves.toBe('marked')
    expect(await deliveryRow(delivery.id)).toMatchObject({
      status: 'dead',
      last_error: 'Gave up after 4 attempts. Last: HTTP 500: failure 4',
    })
    // A leftover job of the delivery does nothing now.
    await expect(deliverWebhook(deps(), jobs[0]!.data)).resolves.toBe('skipped')
    expect(receiver.requests).toHaveLength(4)
  })

  it('does nothing for a job that starts well before the delivery’s next attempt', async () => {
    const endpointId = await newEndpoint()
    const delivery = await enqueue(endpointId)
    receiver.replies.push({ status: 503, headers: { 'retry-after': '3600' } })
    const [first] = await deliveryJobs(delivery.id)
    await deliverWebhook(deps(), first!.data)
    // The first job run again (as after a worker crash) is a leftover an hour early.
    await expect(deliverWebhook(deps(), first!.data)).resolves.toBe('not-due')
    expect(receiver.requests).toHaveLength(1)
    expect(await attemptRows(delivery.id)).toHaveLength(1)
  })
})

describe('recordDeadLetter', () => {
  const record = (payload: Parameters<typeof recordDeadLetter>[1]) =>
    recordDeadLetter({ orm: db.orm, logger: silentLogger }, payload)

  it('marks a pending e-mail dead with the reason, and leaves a sent one alone', async () => {
    const email = {
      organizationId: db.organizationId,
      kind: 'incident-declared',
      to: 'oncall@example.test',
      subject: 'SEV-1',
      text: 'Checkout is down',
    }
    const pending = await db.inOrg((em) =>
      queueEmail(em, db.boss, { ...email, idempotencyKey: `dl:${randomUUID()}` }),
    )
    const sent = await db.inOrg((em) =>
      queueEmail(em, db.boss, { ...email, idempotencyKey: `dl:${randomUUID()}` }),
    )
    await db.query(`update email_outbox set status = 'sent' where id = $1`, [sent.id])

    await expect(record({ outboxId: pending.id, organizationId: db.organizationId })).resolves.toBe(
      'marked',
    )
    await expect(record({ outboxId: sent.id, organizationId: db.organizationId })).resolves.toBe(
      'unchanged',
    )
    await expect(
      record({ outboxId: randomUUID(), organizationId: db.organizationId }),
    ).resolves.toBe('missing')

    const rows = await db.query<{ id: string; status: string; last_error: string | null }>(
      'select id, status, last_error from email_outbox where id = any($1)',
      [[pending.id, sent.id]],
    )
    const byId = new Map(rows.map((r) => [r.id, r]))
    expect(byId.get(pending.id)).toMatchObject({ status: 'dead' })
    expect(byId.get(pending.id)!.last_error).toMatch(/kept failing/)
    expect(byId.get(sent.id)).toMatchObject({ status: 'sent', last_error: null })
  })

  it('marks a pending webhook delivery dead, and leaves a succeeded or retried one alone', async () => {
    const endpointId = await newEndpoint()
    const pending = await enqueue(endpointId)
    const succeeded = await enqueue(endpointId)
    const [job] = await deliveryJobs(succeeded.id)
    await deliverWebhook(deps(), job!.data)
    const retried = await enqueue(endpointId)

    await expect(
      record({ deliveryId: pending.id, organizationId: db.organizationId }),
    ).resolves.toBe('marked')
    await expect(
      record({ deliveryId: succeeded.id, organizationId: db.organizationId }),
    ).resolves.toBe('unchanged')
    // A reason means the handler gave up; a delivery pending again was retried since.
    await expect(
      record({ deliveryId: retried.id, organizationId: db.organizationId, reason: 'gave up' }),
    ).resolves.toBe('unchanged')

    expect(await deliveryRow(pending.id)).toMatchObject({ status: 'dead', next_attempt_at: null })
    expect((await deliveryRow(pending.id)).last_error).toMatch(/kept failing/)
    expect(await deliveryRow(succeeded.id)).toMatchObject({ status: 'succeeded' })
    expect(await deliveryRow(retried.id)).toMatchObject({ status: 'pending' })
  })

  it('touches nothing of another organization', async () => {
    const endpointId = await newEndpoint()
    const delivery = await enqueue(endpointId)
    const otherOrg = await db.createOrganization('Elsewhere')
    await expect(record({ deliveryId: delivery.id, organizationId: otherOrg })).resolves.toBe(
      'missing',
    )
    expect(await deliveryRow(delivery.id)).toMatchObject({ status: 'pending' })
  })
})

describe('non-public targets at delivery time', () => {
  it('are refused when not allowed: an IP literal and a name resolving to loopback', async () => {
    for (const url of [`${receiver.baseUrl}/hook`, `http://localhost:${receiver.port}/hook`]) {
      const endpointId = await newEndpoint({ url })
      const delivery = await enqueue(endpointId)
      const [job] = await deliveryJobs(delivery.id)
      await expect(
        deliverWebhook(deps({ settings: settings({ allowedHosts: undefined }) }), job!.data),
      ).resolves.toBe('retry-scheduled')
      const [attempt] = await attemptRows(delivery.id)
      expect(attempt!.status_code).toBeNull()
      expect(attempt!.error).toMatch(/^Refused: .*a loopback address/)
      expect(attempt!.error).toContain('Webhooks are only sent to public addresses')
    }
    expect(receiver.requests).toEqual([])
  })

  it('are delivered when the host is allowed', async () => {
    const endpointId = await newEndpoint({ url: `http://localhost:${receiver.port}/named` })
    const delivery = await enqueue(endpointId)
    const [job] = await deliveryJobs(delivery.id)
    await expect(
      deliverWebhook(deps({ settings: settings({ allowedHosts: 'localhost' }) }), job!.data),
    ).resolves.toBe('succeeded')
    expect(receiver.requests.map((r) => r.path)).toEqual(['/named'])
  })
})

describe('enqueueWebhookDelivery', () => {
  it('leaves no delivery and no job when the transaction rolls back', async () => {
    const endpointId = await newEndpoint()
    const key = `rollback:${randomUUID()}`
    let queuedId: string | undefined
    await expect(
      // As the database owner (who may read pgboss.job), under the organization's setting.
      db.em().transactional(async (em) => {
        await em.execute(`select set_config('app.organization_id', ?, true)`, [db.organizationId])
        const delivery = await enqueueWebhookDelivery(
          em,
          db.boss,
          input(endpointId, { idempotencyKey: key }),
        )
        queuedId = delivery!.id
        // Inside the transaction the job is there: it went in on the same connection.
        const visible = await em.execute<{ n: number }[]>(
          `select count(*)::int as n from pgboss.job where name = 'webhook-deliver' and data->>'deliveryId' = ?`,
          [delivery!.id],
        )
        expect(visible[0]?.n).toBe(1)
        throw new Error('the incident change failed after the webhook was queued')
      }),
    ).rejects.toThrow('the incident change failed')
    expect(queuedId).toBeDefined()
    expect(
      await db.query('select 1 from webhook_delivery where idempotency_key = $1', [key]),
    ).toEqual([])
    expect(await deliveryJobs(queuedId!)).toEqual([])
  })

  it('queues one delivery and one job for an idempotency key used twice', async () => {
    const endpointId = await newEndpoint()
    const key = `twice:${randomUUID()}`
    const first = await enqueue(endpointId, { idempotencyKey: key })
    const second = await enqueue(endpointId, { idempotencyKey: key, data: { other: true } })
    expect(second.id).toBe(first.id)
    expect(second.messageId).toBe(first.messageId)
    const rows = await db.query<{ id: string; payload: { data: unknown } }>(
      'select id, payload from webhook_delivery where idempotency_key = $1',
      [key],
    )
    expect(rows).toHaveLength(1)
    expect(rows[0]!.payload.data).toEqual(input(endpointId).data)
    expect(await deliveryJobs(first.id)).toHaveLength(1)
  })

  it('refuses to run outside a transaction', async () => {
    const endpointId = await newEndpoint()
    await expect(enqueueWebhookDelivery(db.em(), db.boss, input(endpointId))).rejects.toThrow(
      'must run inside a transaction',
    )
  })

  it('queues nothing for another organization’s endpoint', async () => {
    const otherOrg = await db.createOrganization('Other')
    const theirs = await newEndpoint({ actor: await adminOf(otherOrg) })
    const key = `cross:${randomUUID()}`
    expect(
      await db.inOrg((em) =>
        enqueueWebhookDelivery(em, db.boss, input(theirs, { idempotencyKey: key })),
      ),
    ).toBeNull()
    expect(
      await db.query('select 1 from webhook_delivery where endpoint_id = $1', [theirs]),
    ).toEqual([])
  })

  it('sends nothing when the job names another organization than the delivery’s', async () => {
    const endpointId = await newEndpoint()
    const delivery = await enqueue(endpointId)
    const otherOrg = await db.createOrganization('Mismatch')
    await expect(
      deliverWebhook(deps(), { deliveryId: delivery.id, organizationId: otherOrg }),
    ).resolves.toBe('skipped')
    expect(receiver.requests).toEqual([])
  })
})

describe('subscribedEndpoints', () => {
  it('lists the organization’s enabled endpoints subscribed to the event type', async () => {
    const orgId = await db.createOrganization('Subscriptions')
    const actor = await adminOf(orgId)
    const both = await newEndpoint({ actor, eventTypes: ['incident.declared', 'sla.warning'] })
    const warningOnly = await newEndpoint({ actor, eventTypes: ['sla.warning'] })
    const disabled = await newEndpoint({ actor, eventTypes: ['sla.warning'] })
    await db.query('update webhook_endpoint set enabled = false where id = $1', [disabled])
    const otherOrg = await db.createOrganization('Not them')
    await newEndpoint({ actor: await adminOf(otherOrg), eventTypes: ['sla.warning'] })

    const ids = async (type: string) =>
      (await db.inOrg((em) => subscribedEndpoints(em, orgId, type), orgId)).map((e) => e.id)
    expect(await ids('sla.warning')).toEqual([both, warningOnly])
    expect(await ids('incident.declared')).toEqual([both])
    expect(await ids('comment.added')).toEqual([])
  })
})

describe('a batch of deliveries', () => {
  const job = (id: string, deliveryId: string, organizationId = db.organizationId) => ({
    id,
    payload: { deliveryId, organizationId },
  })

  it('attempts them all at once and records each outcome, retries and endpoint changes in bulk', async () => {
    const ok = await newEndpoint({ path: '/ok' })
    const failing = await newEndpoint({ path: '/failing' })
    const gone = await newEndpoint({ path: '/gone' })
    const disabled = await newEndpoint({ path: '/disabled' })
    const [d1, d2, d3, d4, d5, d6] = [
      await enqueue(ok),
      await enqueue(ok),
      await enqueue(failing),
      await enqueue(gone),
      await enqueue(disabled),
      await enqueue(ok),
    ]
    // Disabled after its delivery was queued.
    await db.query(`update webhook_endpoint set enabled = false where id = $1`, [disabled])
    // d6's next attempt is an hour away: its job is a leftover.
    await db.query(
      `update webhook_delivery set next_attempt_at = now() + interval '1 hour' where id = $1`,
      [d6!.id],
    )
    const otherOrg = await db.createOrganization('Batch Elsewhere')
    receiver.repliesFor('/failing', { status: 500, body: 'down' })
    receiver.repliesFor('/gone', { status: 410, body: 'gone' })

    const results = await deliverWebhooks(deps({ random: () => 0.5 }), [
      job('j1', d1!.id),
      job('j2', d2!.id),
      job('j3', d3!.id),
      job('j4', d4!.id),
      job('j5', d5!.id),
      job('j6', d6!.id),
      job('j7', d1!.id),
      job('j8', randomUUID()),
      job('j9', d2!.id, otherOrg),
    ])
    expect(results.map((r) => [r.jobId, r.outcome])).toEqual([
      ['j1', 'succeeded'],
      ['j2', 'succeeded'],
      ['j3', 'retry-scheduled'],
      ['j4', 'failed'],
      ['j5', 'failed'],
      ['j6', 'not-due'],
      ['j7', 'skipped'],
      ['j8', 'skipped'],
      ['j9', 'skipped'],
    ])

    // One request per attempted delivery, each signed with its endpoint's secret.
    expect(receiver.requests.map((r) => r.path).sort()).toEqual(['/failing', '/gone', '/ok', '/ok'])
    const secrets = new Map(
      await Promise.all([ok, failing, gone].map(async (id) => [id, await secretOf(id)] as const)),
    )
    for (const request of receiver.requests) {
      const endpointId = { '/ok': ok, '/failing': failing, '/gone': gone }[request.path]!
      expect(() =>
        new Webhook(secrets.get(endpointId)!).verify(
          request.body,
          request.headers as Record<string, string>,
        ),
      ).not.toThrow()
    }
    expect(new Set(receiver.requests.map((r) => r.headers['webhook-id']))).toEqual(
      new Set([d1!, d2!, d3!, d4!].map((d) => d.messageId)),
    )

    for (const d of [d1!, d2!])
      expect(await deliveryRow(d.id)).toMatchObject({
        status: 'succeeded',
        attempts: 1,
        last_status_code: 200,
      })
    const retried = await deliveryRow(d3!.id)
    expect(retried).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 500: down' })
    const [retryJob] = (await deliveryJobs(d3!.id)).slice(1)
    expect(retryJob).toMatchObject({ singleton_key: `${d3!.id}:2`, state: 'created' })
    expect(retryJob!.start_after.getTime()).toBe(retried.next_attempt_at!.getTime())
    expect(await deliveryRow(d4!.id)).toMatchObject({ status: 'failed', last_status_code: 410 })
    expect(await deliveryRow(d5!.id)).toMatchObject({
      status: 'failed',
      attempts: 0,
      last_error: 'Not sent: the endpoint is disabled.',
    })
    expect(await deliveryRow(d6!.id)).toMatchObject({ status: 'pending', attempts: 0 })
    const endpoints = await db.query<{ id: string; enabled: boolean; disabled_reason: string }>(
      `select id, enabled, disabled_reason from webhook_endpoint where id = any($1::uuid[])`,
      [[ok, gone]],
    )
    expect(endpoints.find((e) => e.id === ok)).toMatchObject({ enabled: true })
    expect(endpoints.find((e) => e.id === gone)?.disabled_reason).toMatch(/answered 410 Gone/)
    expect((await attemptRows(d3!.id)).map((a) => [a.attempt, a.status_code, a.error])).toEqual([
      [1, 500, 'HTTP 500: down'],
    ])
  })

  it('leaves a delivery another worker holds to it, and asks for its job to run again', async () => {
    const endpointId = await newEndpoint()
    const delivery = await enqueue(endpointId)
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      await client.query('begin')
      await client.query(`select set_config('app.organization_id', $1, true)`, [db.organizationId])
      await client.query(`select id from webhook_delivery where id = $1 for update`, [delivery.id])
      const [result] = await deliverWebhooks(deps(), [job('held', delivery.id)])
      expect(result).toMatchObject({ outcome: 'busy', error: expect.stringContaining('another') })
    } finally {
      await client.query('rollback')
      await client.end()
    }
    expect(receiver.requests).toEqual([])
    expect(await deliveryRow(delivery.id)).toMatchObject({ status: 'pending', attempts: 0 })
    await expect(deliverWebhook(deps(), job('again', delivery.id).payload)).resolves.toBe(
      'succeeded',
    )
  })

  it('defers a delivery that found no free connection to its destination: no attempt, a new job', async () => {
    const endpointId = await newEndpoint({ path: '/slow' })
    const [slow, waiting] = [await enqueue(endpointId), await enqueue(endpointId)]
    const transport = createWebhookTransport({
      allowedHosts: ALLOWED,
      maxSocketsPerDestination: 1,
    })
    try {
      receiver.repliesFor('/slow', { status: 200, delayMs: 1_500 })
      const first = deliverWebhooks(deps({ transport }), [job('slow', slow.id)])
      await vi.waitFor(() => expect(receiver.requests).toHaveLength(1))
      const [deferred] = await deliverWebhooks(
        deps({ transport, settings: settings({ timeoutMs: 300 }) }),
        [job('waiting', waiting.id)],
      )
      expect(deferred!.outcome).toBe('deferred')
      expect((await first)[0]!.outcome).toBe('succeeded')
    } finally {
      transport.close()
    }
    expect(receiver.requests).toHaveLength(1)
    expect(await deliveryRow(waiting.id)).toMatchObject({ status: 'pending', attempts: 0 })
    expect(await attemptRows(waiting.id)).toEqual([])
    const jobs = await deliveryJobs(waiting.id)
    expect(jobs).toHaveLength(2)
    const wait = jobs[1]!.start_after.getTime() - Date.now()
    expect(wait).toBeGreaterThan(0)
    expect(wait).toBeLessThan(11_000)
  })
})
