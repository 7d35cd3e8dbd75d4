import { spawn, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { queueEmail, type OutgoingEmail } from '~/domain/email/outbox.server'
import { createLogger } from '~/utils/logger.server'
import { localMailer, readLocalOutbox, resendMailer, type Mailer } from '~/utils/mailer.server'
import { deliverEmail, deliverEmails, RetryableDeliveryError } from '~/domain/email/delivery.server'
import { handleEmailJobs } from '../../jobs/handlers/email-deliver'
import { setUpTestDatabase, type TestDatabase } from '../support/database'
import { startResendSink, type ResendSink } from '../support/resend-sink'

// Resend's hosted API cannot be reached from here, so the real `resend` SDK is pointed at a
// loopback HTTP server that answers like it (tests/support/resend-sink.ts). Nothing of ours is
// mocked: the fake sits at the HTTP boundary.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const logger = createLogger({ name: 'test', level: 'silent', pretty: false })
const FROM = 'IncidentFlow <incidents@example.test>'
const API_KEY = 're_test_key'

interface OutboxRow {
  status: string
  attempts: number
  last_error: string | null
  provider_message_id: string | null
  delivered_at: Date | null
}

function email(organizationId: string, overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    kind: 'incident-declared',
    to: `oncall+${randomUUID().slice(0, 8)}@example.test`,
    subject: 'SEV-2 declared: search is slow',
    text: 'p95 latency of search is 4 s.',
    idempotencyKey: `incident-declared:${randomUUID()}`,
    organizationId,
    ...overrides,
  }
}

async function queued(db: TestDatabase, message: OutgoingEmail) {
  return db.inOrg((em) => queueEmail(em, db.boss, message))
}

/** Locks a row as another worker's batch does while it sends; resolves to the release. */
async function holdRow(db: TestDatabase, table: 'email_outbox', id: string) {
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  await client.query('begin')
  await client.query(`select set_config('app.organization_id', $1, true)`, [db.organizationId])
  await client.query(`select id from ${table} where id = $1 for update`, [id])
  return async () => {
    await client.query('rollback')
    await client.end()
  }
}

async function outboxRow(db: TestDatabase, id: string) {
  const [row] = await db.query<OutboxRow>(
    'select status, attempts, last_error, provider_message_id, delivered_at from email_outbox where id = $1',
    [id],
  )
  if (!row) throw new Error(`no outbox row ${id}`)
  return row
}

describe('deliverEmail (the email-deliver job handler)', () => {
  const db = setUpTestDatabase('email_delivery')
  let sink: ResendSink
  let mailer: Mailer

  beforeAll(async () => {
    sink = await startResendSink()
    mailer = resendMailer(API_KEY, sink.baseUrl, 5_000)
  })
  afterEach(() => {
    sink.requests.length = 0
    sink.replies.length = 0
  })
  afterAll(async () => {
    await sink?.close()
  })

  const deliver = (id: string, using: Mailer = mailer) =>
    deliverEmail(
      { orm: db.orm, mailer: using, from: FROM, logger },
      { outboxId: id, organizationId: db.organizationId },
    )

  it('keeps the e-mail in the local outbox folder when no provider is configured', async () => {
    const message = email(db.organizationId)
    const row = await queued(db, message)
    const dir = await mkdtemp(path.join(tmpdir(), 'incidentflow-outbox-'))
    try {
      await expect(deliver(row.id, localMailer(dir))).resolves.toBe('held')
      await expect(deliver(row.id, localMailer(dir))).resolves.toBe('skipped')

      expect(await outboxRow(db, row.id)).toMatchObject({
        status: 'held',
        attempts: 1,
        provider_message_id: `local:${row.id}`,
      })
      const stored = await readLocalOutbox(dir)
      expect(stored).toHaveLength(1)
      expect(stored[0]).toMatchObject({
        id: row.id,
        to: message.to,
        subject: message.subject,
        text: message.text,
      })
      expect(sink.requests).toHaveLength(0)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('sends through the Resend SDK and records the provider id', async () => {
    const message = email(db.organizationId, { html: '<p>p95 latency of search is 4 s.</p>' })
    const row = await queued(db, message)

    await expect(deliver(row.id)).resolves.toBe('sent')

    const stored = await outboxRow(db, row.id)
    expect(stored).toMatchObject({
      status: 'sent',
      attempts: 1,
      last_error: null,
      provider_message_id: 'sink-message-1',
    })
    expect(stored.delivered_at).toBeInstanceOf(Date)
    expect(sink.requests).toHaveLength(1)
    const [request] = sink.requests
    expect(request).toMatchObject({ method: 'POST', path: '/emails' })
    expect(request?.headers['idempotency-key']).toBe(message.idempotencyKey)
    expect(request?.headers.authorization).toBe(`Bearer ${API_KEY}`)
    expect(request?.body).toMatchObject({
      from: FROM,
      to: [message.to],
      subject: message.subject,
      text: message.text,
      html: message.html,
    })
  })

  it('sends once when the job runs twice', async () => {
    const row = await queued(db, email(db.organizationId))

    await expect(deliver(row.id)).resolves.toBe('sent')
    await expect(deliver(row.id)).resolves.toBe('skipped')

    expect(sink.requests).toHaveLength(1)
    expect(await outboxRow(db, row.id)).toMatchObject({ status: 'sent', attempts: 1 })
  })

  it('sends once when two workers run the same job at the same time', async () => {
    const row = await queued(db, email(db.organizationId))

    const outcomes = await Promise.allSettled([deliver(row.id), deliver(row.id)])

    // One sends. The other finds it sent (skipped), or held by the first (it throws, so pg-boss
    // runs that job again later, when it is skipped).
    const sent = outcomes.filter((o) => o.status === 'fulfilled' && o.value === 'sent')
    expect(sent).toHaveLength(1)
    const other = outcomes.find((o) => o !== sent[0])!
    if (other.status === 'fulfilled') expect(other.value).toBe('skipped')
    else expect(other.reason).toBeInstanceOf(RetryableDeliveryError)
    await expect(deliver(row.id)).resolves.toBe('skipped')
    expect(sink.requests).toHaveLength(1)
  })

  it('leaves an e-mail another worker holds to it, and asks for the job to run again', async () => {
    const row = await queued(db, email(db.organizationId))
    const release = await holdRow(db, 'email_outbox', row.id)
    try {
      const failure = deliver(row.id)
      await expect(failure).rejects.toBeInstanceOf(RetryableDeliveryError)
      await expect(failure).rejects.toThrow('being sent by another worker')
    } finally {
      await release()
    }
    expect(sink.requests).toHaveLength(0)
    expect(await outboxRow(db, row.id)).toMatchObject({ status: 'pending', attempts: 0 })
    await expect(deliver(row.id)).resolves.toBe('sent')
  })

  it('keeps the e-mail pending with the error recorded and throws, so pg-boss retries, when Resend answers 500', async () => {
    const row = await queued(db, email(db.organizationId))
    sink.replies.push({
      status: 500,
      body: {
        statusCode: 500,
        name: 'internal_server_error',
        message: 'Resend is having a bad day',
      },
    })

    const failure = deliver(row.id)
    await expect(failure).rejects.toBeInstanceOf(RetryableDeliveryError)
    await expect(failure).rejects.toThrow('Resend is having a bad day')

    const afterFailure = await outboxRow(db, row.id)
    expect(afterFailure).toMatchObject({
      status: 'pending',
      attempts: 1,
      provider_message_id: null,
    })
    expect(afterFailure.last_error).toContain('Resend is having a bad day')

    // The retry pg-boss would make then succeeds and clears the error.
    await expect(deliver(row.id)).resolves.toBe('sent')
    expect(await outboxRow(db, row.id)).toMatchObject({
      status: 'sent',
      attempts: 2,
      last_error: null,
    })
    expect(sink.requests).toHaveLength(2)
    expect(sink.requests[0]?.headers['idempotency-key']).toBe(
      sink.requests[1]?.headers['idempotency-key'],
    )
  })

  it('treats a rate limit (429) as retryable', async () => {
    const row = await queued(db, email(db.organizationId))
    sink.replies.push({
      status: 429,
      body: { statusCode: 429, name: 'rate_limit_exceeded', message: 'Too many requests' },
    })

    await expect(deliver(row.id)).rejects.toBeInstanceOf(RetryableDeliveryError)
    expect(await outboxRow(db, row.id)).toMatchObject({ status: 'pending', attempts: 1 })
  })

  it('marks the e-mail failed without throwing when Resend refuses it (422)', async () => {
    const row = await queued(db, email(db.organizationId))
    sink.replies.push({
      status: 422,
      body: { statusCode: 422, name: 'validation_error', message: 'Invalid `to` field.' },
    })

    await expect(deliver(row.id)).resolves.toBe('failed')

    const stored = await outboxRow(db, row.id)
    expect(stored).toMatchObject({ status: 'failed', attempts: 1, provider_message_id: null })
    expect(stored.last_error).toContain('Invalid `to` field.')
    // A failed e-mail is final: a redelivered job does not send it again.
    await expect(deliver(row.id)).resolves.toBe('skipped')
    expect(sink.requests).toHaveLength(1)
  })

  it('skips a job whose outbox row does not exist', async () => {
    await expect(deliver(randomUUID())).resolves.toBe('skipped')
    expect(sink.requests).toHaveLength(0)
  })
})

describe('deliverEmails (a batch of jobs)', () => {
  const db = setUpTestDatabase('email_batches')
  let sink: ResendSink
  let mailer: Mailer

  beforeAll(async () => {
    sink = await startResendSink()
    mailer = resendMailer(API_KEY, sink.baseUrl, 5_000)
  })
  afterEach(() => {
    sink.requests.length = 0
    sink.replies.length = 0
  })
  afterAll(async () => {
    await sink?.close()
  })

  const deps = (overrides: { concurrency?: number } = {}) => ({
    orm: db.orm,
    mailer,
    from: FROM,
    logger,
    ...overrides,
  })

  it('sends the e-mails of several organizations in one batch, each under its own, with an outcome per job', async () => {
    const other = await db.createOrganization('Batch Other')
    const [a1, a2, a3] = await Promise.all(
      [1, 2, 3].map(() => queued(db, email(db.organizationId))),
    )
    const b1 = await db.inOrg((em) => queueEmail(em, db.boss, email(other)), other)
    const b2 = await db.inOrg((em) => queueEmail(em, db.boss, email(other)), other)
    // Sent one at a time, so the scripted answers go to the first and second sends.
    sink.replies.push(
      { status: 500, body: { statusCode: 500, name: 'internal_server_error', message: 'Down' } },
      { status: 422, body: { statusCode: 422, name: 'validation_error', message: 'Bad to' } },
    )
    const job = (id: string, outboxId: string, organizationId: string) => ({
      id,
      payload: { outboxId, organizationId },
    })
    const missing = randomUUID()
    const results = await deliverEmails(deps({ concurrency: 1 }), [
      job('j1', a1!.id, db.organizationId),
      job('j2', b1.id, other),
      job('j3', a2!.id, db.organizationId),
      job('j4', a3!.id, db.organizationId),
      job('j5', a1!.id, db.organizationId),
      job('j6', missing, db.organizationId),
      // Another organization's e-mail, named under this one: row-level security hides it.
      job('j7', b2.id, db.organizationId),
    ])

    // Four sends, each with its row's idempotency key; nothing for the missing, repeated and
    // mismatched jobs.
    const keys = sink.requests.map((r) => r.headers['idempotency-key'])
    expect([...keys].sort()).toEqual([a1!, a2!, a3!, b1].map((row) => row.idempotencyKey).sort())
    const byKey = new Map([a1!, a2!, a3!, b1].map((row) => [row.idempotencyKey, row.id]))
    const retried = byKey.get(String(keys[0]))!
    const refused = byKey.get(String(keys[1]))!
    const expected = (outboxId: string) =>
      outboxId === retried ? 'retry' : outboxId === refused ? 'failed' : 'sent'
    expect(results.map((r) => [r.jobId, r.outcome])).toEqual([
      ['j1', expected(a1!.id)],
      ['j2', expected(b1.id)],
      ['j3', expected(a2!.id)],
      ['j4', expected(a3!.id)],
      ['j5', 'skipped'],
      ['j6', 'skipped'],
      ['j7', 'skipped'],
    ])
    expect(results.find((r) => r.outboxId === retried)?.error).toContain('Down')

    expect(await outboxRow(db, retried)).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: expect.stringContaining('Down'),
    })
    expect(await outboxRow(db, refused)).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: expect.stringContaining('Bad to'),
    })
    for (const id of [a1!.id, a2!.id, a3!.id, b1.id].filter((i) => i !== retried && i !== refused))
      expect(await outboxRow(db, id)).toMatchObject({
        status: 'sent',
        attempts: 1,
        last_error: null,
        provider_message_id: expect.stringMatching(/^sink-message-/),
      })
    expect(await outboxRow(db, b2.id)).toMatchObject({ status: 'pending', attempts: 0 })
  })

  it('fails only the jobs to retry; pg-boss completes the rest of the batch', async () => {
    const rows = await Promise.all([1, 2, 3, 4].map(() => queued(db, email(db.organizationId))))
    // Whatever the other tests left queued is handled too: its e-mails are no longer pending.
    const jobs = await db.boss.fetch<unknown>('email-deliver', { batchSize: 50 })
    const mine = new Map(jobs.map((j) => [(j.data as { outboxId: string }).outboxId, j.id]))
    expect(rows.every((row) => mine.has(row.id))).toBe(true)
    sink.replies.push({
      status: 429,
      body: { statusCode: 429, name: 'rate_limit_exceeded', message: 'Slow down' },
    })

    const results = await handleEmailJobs({ ...deps(), boss: db.boss }, jobs)
    // What pg-boss does when the handler returns.
    await db.boss.complete(
      'email-deliver',
      jobs.map((j) => j.id),
    )

    const retried = results.filter((r) => r.outcome === 'retry')
    expect(retried).toHaveLength(1)
    // The e-mails go out concurrently, so the refused one may be any job of the batch, including
    // one another test left queued: look at every job fetched.
    const states = await db.query<{ id: string; state: string; output: unknown }>(
      `select id, state::text, output from pgboss.job where id = any($1::uuid[])`,
      [jobs.map((j) => j.id)],
    )
    const retryJob = mine.get(retried[0]!.outboxId)
    expect(states.find((j) => j.id === retryJob)).toMatchObject({
      state: 'retry',
      output: { message: expect.stringContaining('Slow down') },
    })
    const others = states.filter((j) => j.id !== retryJob)
    expect(others).toHaveLength(jobs.length - 1)
    expect(others.every((j) => j.state === 'completed')).toBe(true)
  })
})

describe('the worker process (jobs/worker.ts) with pg-boss', () => {
  const db = setUpTestDatabase('email_worker')
  let sink: ResendSink
  let worker: ChildProcess | undefined
  let workerOutput = ''

  beforeAll(async () => {
    sink = await startResendSink()
  })
  afterAll(async () => {
    await stopWorker()
    await sink?.close()
  })

  async function stopWorker() {
    const child = worker
    worker = undefined
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
    await exited
    clearTimeout(timer)
  }

  it('delivers a committed e-mail to Resend within a few seconds', async () => {
    worker = spawn(process.execPath, ['--import', 'tsx', 'jobs/worker.ts'], {
      cwd: repoRoot,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DATABASE_URL: db.url,
        RESEND_API_KEY: API_KEY,
        RESEND_BASE_URL: sink.baseUrl,
        EMAIL_FROM: FROM,
        WORKER_CONCURRENCY: '2',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    worker.stdout?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()))
    worker.stderr?.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()))

    const message = email(db.organizationId, { subject: 'Delivered by the worker' })
    const row = await queued(db, message)

    const deadline = Date.now() + 25_000
    let stored = await outboxRow(db, row.id)
    while (stored.status === 'pending' && Date.now() < deadline) {
      if (worker?.exitCode != null) throw new Error(`worker exited early:\n${workerOutput}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
      stored = await outboxRow(db, row.id)
    }

    expect(stored.status, `worker output:\n${workerOutput}`).toBe('sent')
    expect(stored.provider_message_id).toBe('sink-message-1')
    expect(sink.requests).toHaveLength(1)
    expect(sink.requests[0]?.body).toMatchObject({ to: [message.to], subject: message.subject })
    expect(sink.requests[0]?.headers['idempotency-key']).toBe(message.idempotencyKey)

    // pg-boss records the job as completed once the handler returned.
    const jobDeadline = Date.now() + 5_000
    let jobs = await db.query<{ state: string }>(
      `select state from pgboss.job where name = 'email-deliver' and data->>'outboxId' = $1`,
      [row.id],
    )
    while (jobs[0]?.state !== 'completed' && Date.now() < jobDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      jobs = await db.query<{ state: string }>(
        `select state from pgboss.job where name = 'email-deliver' and data->>'outboxId' = $1`,
        [row.id],
      )
    }
    expect(jobs.map((j) => j.state)).toEqual(['completed'])

    await stopWorker()
    expect(workerOutput).toContain('worker stopped')
  })
})
