import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { verifyOrganization } from '~/domain/incident/audit.server'
import { declareIncident } from '~/domain/incident/incident-service.server'
import { queueEmail } from '~/domain/email/outbox.server'
import { createEndpoint, enqueueWebhookDelivery } from '~/domain/notify/webhooks.server'
import type { SlaTargets } from '~/domain/sla/policy'
import { policyHistory, savePolicy } from '~/domain/sla/sla.server'
import { resendMailer } from '~/utils/mailer.server'
import { startEmbeddedPostgres, type RunningPostgres } from '../../db/embedded-postgres'
import { migrate } from '../../db/migrate'
import { initORM } from '../../db/orm'
import { inScope } from '../../db/tenant'
import { sendJob, startSenderBoss } from '~/queue/send.server'
import { setUpTestDatabase, type TestDatabase } from '../support/database'
import { addMember, type TestMember } from '../support/incidents'
import { freePort, makeServerTempDir } from '../support/postgres-server'
import { startResendSink, type HeldAnswer, type ResendSink } from '../support/resend-sink'
import {
  startWebhookReceiver,
  type ReceivedRequest,
  type WebhookReceiver,
} from '../support/webhook-receiver'
import { killAllWorkers, startWorker, waitFor } from '../support/worker-process'

// Real worker processes (jobs/worker.ts under tsx) against real PostgreSQL, Resend's HTTP API
// faked on loopback (tests/support/resend-sink.ts) and a webhook receiver on loopback.

const API_KEY = 're_test_key'
const FROM = 'IncidentFlow <incidents@example.test>'
const WEBHOOK_TIMEOUT_SECONDS = 5

/** Short targets: SEV-1 warns at half of each target (30 s, 60 s, 120 s). */
const TARGETS: SlaTargets = {
  'SEV-1': { acknowledge: 60, mitigate: 120, resolve: 240, warningPercent: 50 },
  'SEV-2': { acknowledge: 120, mitigate: 240, resolve: null, warningPercent: 50 },
  'SEV-3': { acknowledge: 600, mitigate: null, resolve: 3600, warningPercent: 75 },
  'SEV-4': { acknowledge: 3600, mitigate: null, resolve: 7200, warningPercent: 75 },
}

let sink: ResendSink
let dataDir: string

beforeAll(async () => {
  sink = await startResendSink()
  dataDir = await mkdtemp(path.join(tmpdir(), 'incidentflow-worker-test-'))
})
// Nothing outlives a test, whether it passed or not.
afterEach(killAllWorkers)
afterAll(async () => {
  await killAllWorkers()
  await sink?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

function workerEnv(databaseUrl: string, extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    RESEND_API_KEY: API_KEY,
    RESEND_BASE_URL: sink.baseUrl,
    EMAIL_FROM: FROM,
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    WEBHOOK_TIMEOUT_SECONDS: String(WEBHOOK_TIMEOUT_SECONDS),
    WORKER_MAINTENANCE_SECONDS: '1',
    EVENT_RELAY_INTERVAL_MS: '100',
    WORKER_CONCURRENCY: '2',
    LOG_LEVEL: 'warn',
    ...extra,
  }
}

const after = (start: Date, seconds: number) => new Date(start.getTime() + seconds * 1000)

/** An organization with an admin, a manager and an engineer, on `targets` (saved by the admin). */
async function team(db: TestDatabase, name: string, targets: SlaTargets = TARGETS) {
  const organizationId = await db.createOrganization(name)
  const admin = await addMember(db, organizationId, 'admin')
  const manager = await addMember(db, organizationId, 'manager')
  const engineer = await addMember(db, organizationId, 'engineer')
  const { current } = await policyHistory(db.orm, organizationId)
  await savePolicy(db.orm, admin, targets, current.version)
  return { organizationId, admin, manager, engineer }
}

interface JobRow {
  id: string
  name: string
  state: string
  started_on: Date | null
  completed_on: Date | null
  expire_seconds: number
}

async function jobs(db: TestDatabase, where: string, values: unknown[] = []) {
  return db.query<JobRow>(
    `select id, name, state::text as state, started_on, completed_on,
            extract(epoch from expire_in)::int as expire_seconds
       from pgboss.job where ${where} order by created_on`,
    values,
  )
}

/**
 * What a Standard Webhooks consumer does with what arrived: verify each request with the
 * endpoint's secret (the reference library), then process each message id once.
 */
function consume(requests: ReceivedRequest[], secret: string) {
  const verifier = new Webhook(secret)
  const processed = new Map<string, unknown>()
  for (const request of requests) {
    const headers = {
      'webhook-id': String(request.headers['webhook-id']),
      'webhook-timestamp': String(request.headers['webhook-timestamp']),
      'webhook-signature': String(request.headers['webhook-signature']),
    }
    const payload = verifier.verify(request.body, headers)
    if (!processed.has(headers['webhook-id'])) processed.set(headers['webhook-id'], payload)
  }
  return processed
}

/**
 * An endpoint on `receiver` and `count` e-mails and webhook deliveries of the organization, queued
 * in one transaction as a fan-out does, so a worker's first fetch of each queue takes them as one
 * batch. Returns the endpoint's secret and the e-mails' idempotency keys.
 */
async function queueBatch(
  db: TestDatabase,
  crew: { organizationId: string; admin: TestMember },
  receiver: WebhookReceiver,
  count: number,
  label: string,
) {
  const { id: endpointId } = await createEndpoint(
    db.orm,
    crew.admin,
    { url: `${receiver.baseUrl}/${label}`, description: label, eventTypes: ['incident.declared'] },
    { allowedHosts: '127.0.0.1' },
  )
  const [{ secret } = { secret: '' }] = await db.query<{ secret: string }>(
    `select secret from webhook_endpoint where id = $1`,
    [endpointId],
  )
  const keys = Array.from({ length: count }, (_, i) => `${label}:${i}`)
  await db.inOrg(async (em) => {
    for (const [i, key] of keys.entries()) {
      await queueEmail(em, db.boss, {
        organizationId: crew.organizationId,
        kind: 'incident-declared',
        to: `oncall+${i}@example.test`,
        subject: `SEV-1 declared (${label} ${i})`,
        text: 'Payments are down.',
        idempotencyKey: key,
      })
      await enqueueWebhookDelivery(em, db.boss, {
        organizationId: crew.organizationId,
        endpointId,
        eventType: 'incident.declared',
        data: { incident: { number: i + 1 } },
        idempotencyKey: `${key}:webhook`,
        occurredAt: new Date(),
      })
    }
  }, crew.organizationId)
  return { endpointId, secret, keys }
}

/** Holds back the sink's answers to the next `count` e-mails; `arrived()` counts those taken. */
function holdEmails(count: number) {
  const holds: HeldAnswer[] = Array.from({ length: count }, () => sink.holdNext())
  let arrived = 0
  for (const hold of holds) void hold.received.then(() => (arrived += 1))
  return { arrived: () => arrived, release: () => holds.forEach((hold) => hold.release()) }
}

/** Holds back the receiver's answers to the next `count` requests until `release()`. */
function holdWebhooks(receiver: WebhookReceiver, count: number) {
  let release!: () => void
  const until = new Promise<void>((resolve) => (release = resolve))
  for (let i = 0; i < count; i++) receiver.replies.push({ status: 200, until })
  return { release }
}

/** The organization's e-mails or webhook deliveries counted by status and attempts. */
function outboxStates(
  db: { query: (text: string, values: unknown[]) => Promise<unknown[]> },
  table: 'email_outbox' | 'webhook_delivery',
  organizationId: string,
) {
  return db.query(
    `select status, attempts, count(*)::int as n from ${table}
      where organization_id = $1 group by 1, 2`,
    [organizationId],
  )
}

describe('two workers sweeping the same database', () => {
  const db = setUpTestDatabase('worker_sweeps')

  /**
   * Holds one incident's row lock, as a slow user transaction would, so that sweeps started
   * meanwhile are all inside their transactions at once when it lets go.
   */
  async function holdIncident(organizationId: string, incidentId: string) {
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    await client.query('begin')
    await client.query(`select set_config('app.organization_id', $1, true)`, [organizationId])
    const locked = await client.query(`select id from incident where id = $1 for update`, [
      incidentId,
    ])
    expect(locked.rowCount).toBe(1)
    return async () => {
      await client.query('commit')
      await client.end()
    }
  }

  it(
    'record one warning and one breach per incident and target while their sweeps run at once',
    {
      // About 10 s; the margin lets a failure report which wait it was stuck in.
      timeout: 60_000,
    },
    async () => {
      const crew = await team(db, 'Two Workers')
      const start = new Date()
      const ids: string[] = []
      // No commander, managers or admins: the relays run (and lock the incidents, and append
      // escalation events to them) but send no e-mail.
      for (let i = 0; i < 100; i += 1) {
        const { id } = await declareIncident(
          db.orm,
          crew.engineer,
          { title: `Incident ${i}`, summary: 'Swept twice.', severity: 'SEV-1', commanderId: null },
          start,
        )
        ids.push(id)
      }
      ids.sort()
      await db.query(`delete from membership where organization_id = $1 and role <> 'engineer'`, [
        crew.organizationId,
      ])

      const workers = [
        startWorker('worker-1', workerEnv(db.url)),
        startWorker('worker-2', workerEnv(db.url)),
      ]
      const sweepJobs = (round: string[]) => jobs(db, `id = any($1::uuid[])`, [round])
      for (const seconds of [30, 60, 120, 240]) {
        const at = after(start, seconds).toISOString()
        const release = await holdIncident(crew.organizationId, ids[0]!)
        let round: string[]
        try {
          // Two jobs under keys of their own, which the two workers run at once, then two with
          // neither key nor difference, as two schedulers would send them (the queue's singleton
          // policy runs those one at a time, after the first two: pg-boss takes jobs in order).
          round = [
            await sendJob(db.boss, 'sla-sweep', { at }, { singletonKey: `race-a-${seconds}` }),
            await sendJob(db.boss, 'sla-sweep', { at }, { singletonKey: `race-b-${seconds}` }),
            await sendJob(db.boss, 'sla-sweep', { at }),
            await sendJob(db.boss, 'sla-sweep', { at }),
          ]
          expect(round.every(Boolean)).toBe(true)
          // One job active in each worker (each runs one sweep at a time), both waiting for the
          // held row inside their transactions.
          await waitFor(
            `two sweeps at +${seconds}s to be running at once`,
            async () => (await sweepJobs(round)).filter((j) => j.state === 'active').length === 2,
            { timeoutMs: 20_000, workers },
          )
        } finally {
          await release()
        }
        await waitFor(
          `the sweeps at +${seconds}s to complete`,
          async () => (await sweepJobs(round)).every((j) => j.state === 'completed'),
          { timeoutMs: 20_000, workers },
        )
      }
      // Stopped gracefully, so no relay is halfway through an incident when the chains are read.
      await Promise.all(workers.map((w) => w.stop()))
      expect(workers.map((w) => w.output())).toEqual(['', ''])

      const duplicates = await db.query(
        `select incident_id, type, payload->>'target' as target, count(*)::int as n
         from incident_event
        where organization_id = $1 and type in ('sla.warning', 'sla.breached')
        group by 1, 2, 3 having count(*) <> 1`,
        [crew.organizationId],
      )
      expect(duplicates).toEqual([])
      const counts = await db.query<{ type: string; target: string; n: number }>(
        `select type, payload->>'target' as target, count(distinct incident_id)::int as n
         from incident_event where organization_id = $1 and type in ('sla.warning', 'sla.breached')
        group by 1, 2 order by 1, 2`,
        [crew.organizationId],
      )
      expect(counts).toEqual([
        { type: 'sla.breached', target: 'acknowledge', n: 100 },
        { type: 'sla.breached', target: 'mitigate', n: 100 },
        { type: 'sla.breached', target: 'resolve', n: 100 },
        { type: 'sla.warning', target: 'acknowledge', n: 100 },
        { type: 'sla.warning', target: 'mitigate', n: 100 },
        { type: 'sla.warning', target: 'resolve', n: 100 },
      ])
      const signals = await db.query<{ n: number }>(
        `select count(*)::int as n from sla_signal where organization_id = $1`,
        [crew.organizationId],
      )
      expect(signals[0]!.n).toBe(100 * 6)
      expect(
        await db.query(`select 1 from sla_deadline where incident_id = any($1::uuid[])`, [ids]),
      ).toEqual([])

      // The per-minute cron job is scheduled (beside the 10-minute action item sweep), and no
      // run of it in the meantime failed.
      expect(await db.query(`select name, cron from pgboss.schedule order by name`)).toEqual([
        { name: 'action-item-sweep', cron: '*/10 * * * *' },
        { name: 'sla-sweep', cron: '* * * * *' },
      ])
      expect(
        (await jobs(db, `name = 'sla-sweep' and not (data ? 'at')`)).filter(
          (j) => j.state === 'failed',
        ),
      ).toEqual([])

      // The relays appended escalation events to the same incidents meanwhile: every timeline is
      // still one unbroken hash chain.
      expect(
        (
          await db.query<{ n: number }>(
            `select count(*)::int as n from incident_event
            where organization_id = $1 and type = 'escalation.fired'`,
            [crew.organizationId],
          )
        )[0]!.n,
      ).toBeGreaterThan(0)
      expect((await verifyOrganization(db.orm, crew.organizationId)).ok).toBe(true)
    },
  )
})

describe('a worker killed in the middle of a delivery', () => {
  const db = setUpTestDatabase('worker_kill')

  it('sends the e-mail and the webhook once after the job comes back to a new worker', async () => {
    const receiver = await startWebhookReceiver()
    try {
      const crew = await team(db, 'Killed Worker')
      const { id: endpointId } = await createEndpoint(
        db.orm,
        crew.admin,
        {
          url: `${receiver.baseUrl}/hook`,
          description: 'On-call bridge',
          eventTypes: ['incident.declared'],
        },
        { allowedHosts: '127.0.0.1' },
      )
      const [{ secret } = { secret: '' }] = await db.query<{ secret: string }>(
        `select secret from webhook_endpoint where id = $1`,
        [endpointId],
      )

      // Both the e-mail provider and the receiver take the request and keep the answer back.
      const heldEmail = sink.holdNext()
      let emailArrived = false
      void heldEmail.received.then(() => (emailArrived = true))
      receiver.replies.push({ status: 200, delayMs: 120_000 })

      const first = startWorker('worker-1', workerEnv(db.url))
      // SEV-1 declared: the default rule e-mails the manager; the endpoint gets the event.
      const incident = await declareIncident(db.orm, crew.engineer, {
        title: 'Payments are down',
        summary: 'Every card payment fails.',
        severity: 'SEV-1',
      })
      await waitFor(
        'the e-mail and the webhook to be in flight',
        () => emailArrived && receiver.requests.length === 1,
        { timeoutMs: 20_000, intervalMs: 50, workers: [first] },
      )
      const deliveryJobs = () =>
        jobs(db, `name in ('email-deliver', 'webhook-deliver') and data->>'organizationId' = $1`, [
          crew.organizationId,
        ])
      expect((await deliveryJobs()).map((j) => [j.name, j.state]).sort()).toEqual([
        ['email-deliver', 'active'],
        ['webhook-deliver', 'active'],
      ])

      await first.kill()
      expect(first.alive()).toBe(false)

      // Nothing of the cut-off attempts was committed.
      const [email] = await db.query<{ status: string; attempts: number }>(
        `select status, attempts from email_outbox where organization_id = $1`,
        [crew.organizationId],
      )
      expect(email).toEqual({ status: 'pending', attempts: 0 })
      const [delivery] = await db.query<{ status: string; attempts: number }>(
        `select status, attempts from webhook_delivery where endpoint_id = $1`,
        [endpointId],
      )
      expect(delivery).toEqual({ status: 'pending', attempts: 0 })

      // The webhook job expires after the worker's attempt timeout plus a margin; the e-mail job
      // after its queue's minute. pg-boss measures both, and the retry delay after them, on the
      // database clock: instead of waiting a minute and more, the test moves the jobs' times back
      // by those amounts, and pg-boss's own maintenance in the new worker does the rest.
      const active = await deliveryJobs()
      expect(active.find((j) => j.name === 'webhook-deliver')?.expire_seconds).toBe(
        2 * WEBHOOK_TIMEOUT_SECONDS + 30,
      )
      await db.query(
        `update pgboss.job set started_on = started_on - expire_in - interval '1 second'
          where id = any($1::uuid[]) and state = 'active'`,
        [active.map((j) => j.id)],
      )
      const second = startWorker('worker-2', workerEnv(db.url))
      await waitFor(
        'pg-boss to expire the dead worker’s jobs',
        async () => {
          const states = await deliveryJobs()
          return states.every((j) => j.state === 'retry') ? states : undefined
        },
        { timeoutMs: 20_000, workers: [second] },
      )
      await db.query(
        `update pgboss.job set start_after = now() where id = any($1::uuid[]) and state = 'retry'`,
        [active.map((j) => j.id)],
      )
      await waitFor(
        'the retried jobs to complete',
        async () => (await deliveryJobs()).every((j) => j.state === 'completed'),
        { timeoutMs: 20_000, workers: [second] },
      )

      // E-mail: sent twice with one idempotency key; the provider made one e-mail of it.
      const ofIncident = (key: unknown) => String(key).startsWith(`event:${incident.id}:`)
      const posts = sink.requests.filter((r) => ofIncident(r.headers['idempotency-key']))
      const key = `event:${incident.id}:1:${crew.manager.user.id}`
      expect(posts.map((r) => r.headers['idempotency-key'])).toEqual([key, key])
      const accepted = sink.emails.filter((e) => ofIncident(e.idempotencyKey))
      expect(accepted.map((e) => ({ key: e.idempotencyKey, to: e.request.body.to }))).toEqual([
        { key, to: [crew.manager.user.email] },
      ])
      expect(
        await db.query(
          `select status, attempts, provider_message_id from email_outbox where organization_id = $1`,
          [crew.organizationId],
        ),
      ).toEqual([{ status: 'sent', attempts: 1, provider_message_id: accepted[0]!.id }])

      // Webhook: two copies of one message, both signed correctly; the consumer processes one.
      expect(receiver.requests).toHaveLength(2)
      const ids = new Set(receiver.requests.map((r) => r.headers['webhook-id']))
      expect(ids.size).toBe(1)
      const processed = consume(receiver.requests, secret)
      expect([...processed.keys()]).toEqual([...ids])
      expect(processed.values().next().value).toMatchObject({
        type: 'incident.declared',
        data: { incident: { id: incident.id, number: incident.number } },
      })
      expect(
        await db.query(`select status, attempts from webhook_delivery where endpoint_id = $1`, [
          endpointId,
        ]),
      ).toEqual([{ status: 'succeeded', attempts: 1 }])
      expect(
        await db.query(
          `select a.attempt, a.status_code from webhook_attempt a
             join webhook_delivery d on d.id = a.delivery_id where d.endpoint_id = $1`,
          [endpointId],
        ),
      ).toEqual([{ attempt: 1, status_code: 200 }])
      // The new worker logged no warning or error on the way.
      expect(second.output()).toBe('')
      expect(second.alive()).toBe(true)
    } finally {
      await receiver.close()
    }
  })

  it(
    'sends every e-mail and webhook of a batch exactly once after the worker is killed mid-batch',
    { timeout: 90_000 },
    async () => {
      const receiver = await startWebhookReceiver()
      try {
        const crew = await team(db, 'Killed Mid-Batch')
        // At most one destination's connection limit (16), so every webhook of the batch is in
        // flight at once.
        const count = 12
        const emails = holdEmails(count)
        const webhooks = holdWebhooks(receiver, count)
        const { secret, keys } = await queueBatch(db, crew, receiver, count, 'mid-batch')
        const ofBatch = (key: unknown) => keys.includes(String(key))
        const deliveryJobs = () =>
          jobs(
            db,
            `name in ('email-deliver', 'webhook-deliver') and data->>'organizationId' = $1`,
            [crew.organizationId],
          )

        // A long webhook timeout: the attempts are still waiting for their answers when the kill
        // comes, however slow the machine.
        const env = workerEnv(db.url, { WEBHOOK_TIMEOUT_SECONDS: '60' })
        const first = startWorker('worker-1', env)
        await waitFor(
          'every e-mail and webhook of the batch to be in flight',
          () => emails.arrived() === count && receiver.requests.length === count,
          { timeoutMs: 30_000, intervalMs: 50, workers: [first] },
        )
        const active = await deliveryJobs()
        expect(active.map((j) => j.state)).toEqual(Array(2 * count).fill('active'))
        await first.kill()

        // Nothing of the cut-off batch was committed.
        expect(await outboxStates(db, 'email_outbox', crew.organizationId)).toEqual([
          { status: 'pending', attempts: 0, n: count },
        ])
        expect(await outboxStates(db, 'webhook_delivery', crew.organizationId)).toEqual([
          { status: 'pending', attempts: 0, n: count },
        ])

        // The jobs come back after their expiry (moved into the past, as in the test above) and
        // a new worker delivers the same batch again.
        await db.query(
          `update pgboss.job set started_on = started_on - expire_in - interval '1 second'
            where id = any($1::uuid[]) and state = 'active'`,
          [active.map((j) => j.id)],
        )
        const second = startWorker('worker-2', env)
        await waitFor(
          'pg-boss to expire the dead worker’s jobs',
          async () => (await deliveryJobs()).every((j) => j.state === 'retry'),
          { timeoutMs: 20_000, workers: [second] },
        )
        await db.query(
          `update pgboss.job set start_after = now() where id = any($1::uuid[]) and state = 'retry'`,
          [active.map((j) => j.id)],
        )
        await waitFor(
          'the retried jobs to complete',
          async () => (await deliveryJobs()).every((j) => j.state === 'completed'),
          { timeoutMs: 30_000, workers: [second] },
        )
        emails.release()
        webhooks.release()

        // E-mails: each sent twice with its key, and made into one e-mail by the provider.
        const posts = sink.requests.filter((r) => ofBatch(r.headers['idempotency-key']))
        expect(posts).toHaveLength(2 * count)
        const accepted = sink.emails.filter((e) => ofBatch(e.idempotencyKey))
        expect(accepted.map((e) => e.idempotencyKey).sort()).toEqual([...keys].sort())
        expect(await outboxStates(db, 'email_outbox', crew.organizationId)).toEqual([
          { status: 'sent', attempts: 1, n: count },
        ])

        // Webhooks: each message arrived twice under one id; the consumer processes each once.
        expect(receiver.requests).toHaveLength(2 * count)
        const processed = consume(receiver.requests, secret)
        expect(processed.size).toBe(count)
        expect(
          [...processed.values()].map(
            (p) => (p as { data: { incident: { number: number } } }).data,
          ),
        ).toHaveLength(count)
        expect(await outboxStates(db, 'webhook_delivery', crew.organizationId)).toEqual([
          { status: 'succeeded', attempts: 1, n: count },
        ])
        expect(
          await db.query(
            `select a.attempt, count(*)::int as n from webhook_attempt a
               join webhook_delivery d on d.id = a.delivery_id
              where d.organization_id = $1 group by 1`,
            [crew.organizationId],
          ),
        ).toEqual([{ attempt: 1, n: count }])
        expect(second.output()).toBe('')
      } finally {
        await receiver.close()
      }
    },
  )

  it('the sink answers a repeated idempotency key as Resend does', async () => {
    // The test above relies on the fake keeping Resend's promise; this shows it does.
    const mailer = resendMailer(API_KEY, sink.baseUrl, 5_000)
    const before = sink.emails.length
    const message = {
      id: 'outbox-1',
      from: FROM,
      to: 'oncall@example.test',
      subject: 'SEV-1 declared',
      text: 'Payments are down.',
      idempotencyKey: `sink-check:${Date.now()}`,
    }
    const first = await mailer.send(message)
    const again = await mailer.send(message)
    expect(first).toEqual({ ok: true, providerId: expect.stringMatching(/^sink-message-/) })
    expect(again).toEqual(first)
    expect(sink.emails.length - before).toBe(1)
    const changed = await mailer.send({ ...message, subject: 'Something else' })
    expect(changed).toMatchObject({ ok: false, retryable: true })
    expect(sink.emails.length - before).toBe(1)
  })
})

describe('two workers delivering the same queues', () => {
  const db = setUpTestDatabase('worker_pair')

  /** The jobs of each `name` batch a worker logged it handled (LOG_LEVEL=debug). */
  function jobsHandled(output: string, name: string) {
    let total = 0
    for (const line of output.split('\n')) {
      if (!line.startsWith('{')) continue
      const entry = JSON.parse(line) as { msg?: string; jobs?: number; level?: number }
      if (entry.msg === `${name} batch done`) total += entry.jobs ?? 0
    }
    return total
  }

  function warnings(output: string) {
    return output
      .split('\n')
      .filter((line) => line.startsWith('{') && (JSON.parse(line) as { level: number }).level >= 40)
  }

  it(
    'share the batches and deliver every e-mail and webhook once',
    { timeout: 120_000 },
    async () => {
      const receiver = await startWebhookReceiver()
      try {
        const crew = await team(db, 'Two Deliverers')
        const count = 300
        // A long timeout: no delivery waits so long for a connection that it is deferred.
        const env = workerEnv(db.url, { LOG_LEVEL: 'debug', WEBHOOK_TIMEOUT_SECONDS: '30' })
        const workers = [startWorker('worker-1', env), startWorker('worker-2', env)]
        await waitFor(
          'both workers to be ready',
          () => workers.every((w) => w.output().includes('worker ready')),
          { timeoutMs: 30_000, workers },
        )
        // Slow answers: a batch lasts about a second (50 webhooks over 16 connections), longer
        // than the polling interval, so no worker drains the queue before the other's loops poll.
        for (let i = 0; i < count; i++) receiver.replies.push({ status: 200, delayMs: 250 })
        const { secret, keys } = await queueBatch(db, crew, receiver, count, 'pair')
        const ofBatch = (key: unknown) => keys.includes(String(key))
        await waitFor(
          'every e-mail and webhook to arrive',
          () =>
            sink.emails.filter((e) => ofBatch(e.idempotencyKey)).length === count &&
            receiver.requests.length >= count,
          { timeoutMs: 90_000, workers },
        )
        await waitFor(
          'every delivery job to complete',
          async () =>
            (
              await jobs(
                db,
                `name in ('email-deliver', 'webhook-deliver') and data->>'organizationId' = $1`,
                [crew.organizationId],
              )
            ).every((j) => j.state === 'completed'),
          { timeoutMs: 20_000, workers },
        )
        await Promise.all(workers.map((w) => w.stop()))
        expect(workers.flatMap((w) => warnings(w.output()))).toEqual([])
        const handled = workers.map((w) => jobsHandled(w.output(), 'webhook-deliver'))
        expect(handled[0]! + handled[1]!).toBe(count)
        expect(Math.min(...handled)).toBeGreaterThan(0)

        // One request per e-mail and per webhook: nothing was handled by both workers.
        expect(sink.requests.filter((r) => ofBatch(r.headers['idempotency-key']))).toHaveLength(
          count,
        )
        expect(receiver.requests).toHaveLength(count)
        expect(consume(receiver.requests, secret).size).toBe(count)
        expect(await outboxStates(db, 'email_outbox', crew.organizationId)).toEqual([
          { status: 'sent', attempts: 1, n: count },
        ])
        expect(await outboxStates(db, 'webhook_delivery', crew.organizationId)).toEqual([
          { status: 'succeeded', attempts: 1, n: count },
        ])
      } finally {
        await receiver.close()
      }
    },
  )
})

describe('a change that rolls back', () => {
  const db = setUpTestDatabase('worker_rollback')

  it('notifies nobody, while the same change committed does', async () => {
    const crew = await team(db, 'Rolled Back')
    const worker = startWorker('worker-1', workerEnv(db.url))
    const sentTo = (subjectPart: string) =>
      sink.emails
        .filter((e) => e.request.body.subject?.includes(subjectPart))
        .map((e) => e.request.body.to)

    // The transaction declares, then fails at commit: a deferred check refuses the declared
    // event of one title, after everything else was written.
    await db.query(`
      create function worker_test_refuse_declared() returns trigger language plpgsql as $$
      begin
        if new.type = 'incident.declared' and new.payload->>'title' = 'Rolled back at commit' then
          raise exception 'declaration refused by the test';
        end if;
        return null;
      end $$`)
    await db.query(`
      create constraint trigger worker_test_refuse_declared after insert on incident_event
        deferrable initially deferred for each row execute function worker_test_refuse_declared()`)
    const declare = (title: string, member: TestMember = crew.engineer) =>
      declareIncident(db.orm, member, { title, summary: 'Payments fail.', severity: 'SEV-1' })
    await expect(declare('Rolled back at commit')).rejects.toThrow(
      'declaration refused by the test',
    )
    await declare('Committed after it')

    await waitFor(
      'the committed declaration’s e-mail',
      () => sentTo('Committed after it').length === 1,
      { timeoutMs: 20_000, workers: [worker] },
    )
    await waitFor(
      'the outbox to be empty',
      async () =>
        (await db.query(`select 1 from event_outbox where tenant_id = $1`, [crew.organizationId]))
          .length === 0,
      { timeoutMs: 10_000, workers: [worker] },
    )
    expect(sentTo('Committed after it')).toEqual([[crew.manager.user.email]])
    expect(sentTo('Rolled back')).toEqual([])
    expect(
      await db.query(`select subject from email_outbox where organization_id = $1`, [
        crew.organizationId,
      ]),
    ).toEqual([{ subject: expect.stringContaining('Committed after it') }])
    expect(worker.output()).toBe('')
    expect(worker.alive()).toBe(true)
  })
})

describe('PostgreSQL restarting in the middle of a sweep', () => {
  // A server of this test's own, which it can stop and start; the run's shared one stays up.
  let tempDir: string
  let dataDir: string
  let port: number
  let server: RunningPostgres | undefined
  let url: string
  let db: TestDatabase | undefined
  let closeDb: (() => Promise<void>) | undefined

  /** The parts of TestDatabase the helpers need, on this server (as setUpTestDatabase builds). */
  async function openDatabase(): Promise<{ db: TestDatabase; close: () => Promise<void> }> {
    const orm = await initORM(url, { pool: { min: 0, max: 4 } })
    const boss = await startSenderBoss(url)
    const pool = new pg.Pool({ connectionString: url, max: 2 })
    pool.on('error', () => {})
    const query = async <R extends pg.QueryResultRow>(sql: string, values: unknown[] = []) =>
      (await pool.query<R>(sql, values)).rows
    const createOrganization = async (name = 'Restart Org') =>
      (
        await query<{ id: string }>(
          `insert into organization (name, slug) values ($1, $2) returning id`,
          [name, `restart-${Date.now()}`],
        )
      )[0]!.id
    const organizationId = await createOrganization()
    return {
      db: {
        name: 'incidentflow',
        url,
        orm,
        boss,
        em: () => orm.em.fork({ clear: true }),
        organizationId,
        inOrg: (work, id) => inScope(orm, { organizationId: id ?? organizationId }, work),
        createOrganization,
        query,
      },
      close: async () => {
        await boss.stop({ graceful: false, wait: true }).catch(() => {})
        await orm.close(true).catch(() => {})
        await pool.end().catch(() => {})
      },
    }
  }

  beforeAll(async () => {
    tempDir = await makeServerTempDir('incidentflow-restart-test-')
    dataDir = path.join(tempDir, 'data')
    port = await freePort()
    server = await startEmbeddedPostgres({
      dataDir,
      port,
      ephemeral: true,
      ownerLabel: 'worker restart test',
    })
    url = server.url()
    await migrate(url)
    ;({ db, close: closeDb } = await openDatabase())
  })
  afterAll(async () => {
    await killAllWorkers()
    await closeDb?.()
    await server?.stop()
    if (tempDir) await rm(tempDir, { recursive: true, force: true })
  })

  it('keeps the worker running, and a later sweep records every signal once', async () => {
    const database = db!
    const crew = await team(database, 'Restart')
    await database.query(
      `delete from membership where organization_id = $1 and role <> 'engineer'`,
      [crew.organizationId],
    )
    const start = new Date()
    const ids: string[] = []
    for (let i = 0; i < 100; i += 1) {
      const { id } = await declareIncident(
        database.orm,
        crew.engineer,
        { title: `Incident ${i}`, summary: 'Due.', severity: 'SEV-1', commanderId: null },
        start,
      )
      ids.push(id)
    }
    ids.sort()
    const worker = startWorker('worker-1', workerEnv(url))

    // A user transaction holds one incident, so the sweep is inside its transaction, waiting,
    // when the server goes down.
    const holder = new pg.Client({ connectionString: url })
    holder.on('error', () => {})
    await holder.connect()
    await holder.query('begin')
    await holder.query(`select set_config('app.organization_id', $1, true)`, [crew.organizationId])
    await holder.query(`select id from incident where id = $1 for update`, [ids[0]])

    const at = after(start, 60).toISOString()
    const firstJob = await sendJob(database.boss, 'sla-sweep', { at })
    await waitFor(
      'the sweep to wait for the held incident',
      async () =>
        (
          await database.query(
            `select 1 from pg_stat_activity
              where wait_event_type = 'Lock' and query like '%from%incident%for update%'`,
          )
        ).length > 0 && (await jobs(database, `id = $1`, [firstJob]))[0]?.state === 'active',
      { timeoutMs: 20_000, workers: [worker] },
    )

    // Fast shutdown: every session is cut off, the sweep's transaction rolls back.
    await closeDb!()
    await server!.stop()
    server = await startEmbeddedPostgres({
      dataDir,
      port,
      ephemeral: true,
      ownerLabel: 'worker restart test',
    })
    ;({ db, close: closeDb } = await openDatabase())
    const reopened = db!

    // Nothing of the cut-off sweep was committed.
    expect(
      await reopened.query(`select 1 from sla_signal where organization_id = $1`, [
        crew.organizationId,
      ]),
    ).toEqual([])

    expect(worker.alive(), worker.output()).toBe(true)
    const laterJob = await sendJob(reopened.boss, 'sla-sweep', { at })

    // The cut-off sweep's job could not be marked failed while the server was down, so pg-boss
    // holds it active, and the queue (one sweep at a time) holds every later sweep back until
    // it expires (expireInSeconds, 300 s) and is retried. pg-boss measures both on the database
    // clock; the test moves that job's times back instead of waiting five minutes.
    if ((await jobs(reopened, `id = $1`, [firstJob]))[0]?.state === 'active') {
      await reopened.query(
        `update pgboss.job set started_on = started_on - expire_in - interval '1 second'
          where id = $1 and state = 'active'`,
        [firstJob],
      )
      await waitFor(
        'pg-boss to expire the cut-off sweep’s job',
        async () => (await jobs(reopened, `id = $1`, [firstJob]))[0]?.state !== 'active',
        { timeoutMs: 15_000, workers: [worker] },
      )
    }
    await reopened.query(
      `update pgboss.job set start_after = now() where id = $1 and state = 'retry'`,
      [firstJob],
    )
    await waitFor(
      'the retried sweep and the later one to complete',
      async () =>
        (await jobs(reopened, `id = any($1::uuid[])`, [[firstJob, laterJob]])).every(
          (j) => j.state === 'completed',
        ),
      { timeoutMs: 20_000, workers: [worker] },
    )

    const counts = await reopened.query<{ type: string; target: string; n: number }>(
      `select type, payload->>'target' as target, count(*)::int as n
         from incident_event where organization_id = $1 and type in ('sla.warning', 'sla.breached')
        group by 1, 2 order by 1, 2`,
      [crew.organizationId],
    )
    // At +60 s: acknowledge breached (its warning would come after the fact), mitigate at risk.
    expect(counts).toEqual([
      { type: 'sla.breached', target: 'acknowledge', n: 100 },
      { type: 'sla.warning', target: 'mitigate', n: 100 },
    ])
    const signals = await reopened.query<{ n: number }>(
      `select count(*)::int as n from sla_signal where organization_id = $1`,
      [crew.organizationId],
    )
    expect(signals[0]!.n).toBe(200)
    expect(worker.alive()).toBe(true)
    await holder.end().catch(() => {})
  })
  it(
    'keeps the worker running when it restarts mid-batch, and each e-mail and webhook arrives once',
    { timeout: 120_000 },
    async () => {
      const receiver = await startWebhookReceiver()
      try {
        const crew = await team(db!, 'Restart Mid-Batch')
        const count = 10
        const emails = holdEmails(count)
        const webhooks = holdWebhooks(receiver, count)
        const { secret, keys } = await queueBatch(db!, crew, receiver, count, 'restart')
        const ofBatch = (key: unknown) => keys.includes(String(key))
        const worker = startWorker('worker-1', workerEnv(url, { WEBHOOK_TIMEOUT_SECONDS: '60' }))
        await waitFor(
          'every e-mail and webhook of the batch to be in flight',
          () => emails.arrived() === count && receiver.requests.length === count,
          { timeoutMs: 30_000, intervalMs: 50, workers: [worker] },
        )

        // Fast shutdown: the batch's transaction is cut off with every other session. Then the
        // answers come, and the worker cannot record them on the connection it lost.
        await closeDb!()
        await server!.stop()
        server = await startEmbeddedPostgres({
          dataDir,
          port,
          ephemeral: true,
          ownerLabel: 'worker restart test',
        })
        ;({ db, close: closeDb } = await openDatabase())
        const reopened = db!
        emails.release()
        webhooks.release()
        const batchJobs = () =>
          jobs(
            reopened,
            `name in ('email-deliver', 'webhook-deliver') and data->>'organizationId' = $1`,
            [crew.organizationId],
          )
        const ids = (await batchJobs()).map((j) => j.id)
        expect(ids).toHaveLength(2 * count)

        // The batch's jobs come back: failed by the worker once it could reach the database again,
        // or expired (their times moved into the past, as in the tests above); their retries are
        // made due at once.
        await reopened.query(
          `update pgboss.job set started_on = started_on - expire_in - interval '1 second'
            where id = any($1::uuid[]) and state = 'active'`,
          [ids],
        )
        await waitFor(
          'every job of the batch to be retried',
          async () => {
            await reopened.query(
              `update pgboss.job set start_after = now() where id = any($1::uuid[]) and state = 'retry'`,
              [ids],
            )
            return (await batchJobs()).every((j) => j.state === 'completed')
          },
          { timeoutMs: 40_000, intervalMs: 500, workers: [worker] },
        )
        expect(worker.alive()).toBe(true)

        // Each e-mail was accepted once (its repeat carried the same key); each webhook message
        // arrived twice under one id and is processed once.
        const accepted = sink.emails.filter((e) => ofBatch(e.idempotencyKey))
        expect(accepted.map((e) => e.idempotencyKey).sort()).toEqual([...keys].sort())
        expect(receiver.requests).toHaveLength(2 * count)
        expect(consume(receiver.requests, secret).size).toBe(count)
        // The cut-off batch recorded nothing; the retry recorded one attempt each.
        expect(await outboxStates(reopened, 'email_outbox', crew.organizationId)).toEqual([
          { status: 'sent', attempts: 1, n: count },
        ])
        expect(await outboxStates(reopened, 'webhook_delivery', crew.organizationId)).toEqual([
          { status: 'succeeded', attempts: 1, n: count },
        ])
      } finally {
        await receiver.close()
      }
    },
  )
})
