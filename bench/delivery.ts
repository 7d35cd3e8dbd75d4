/**
 * `npm run bench:delivery`: how fast one worker process delivers e-mails and webhooks.
 *
 * Starts a throwaway embedded PostgreSQL, one organization (bench/generate-incidents.ts with a
 * single incident), a loopback stand-in for Resend's API (tests/support/resend-sink.ts, reached
 * by the real SDK through RESEND_BASE_URL) and a loopback webhook receiver. It then queues
 * DELIVERIES (default 2,000) e-mails and as many webhook deliveries, spread over WEBHOOK_ENDPOINTS
 * (10) endpoints, through the application's own services (`queueEmail`,
 * `enqueueWebhookDelivery`: rows and jobs in one transaction), starts ONE production worker
 * (`node build/worker.js`, so run `npm run build` first) and measures, for each kind, the
 * deliveries per second until every one has arrived, or until BENCH_SECONDS (600) have passed.
 * Figures are printed, never asserted.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import os from 'node:os'
import pg from 'pg'
import { queueEmail } from '../app/domain/email/outbox.server'
import { createEndpoint, enqueueWebhookDelivery } from '../app/domain/notify/webhooks.server'
import { initORM } from '../db/orm'
import { inScope } from '../db/tenant'
import { startSenderBoss } from '../jobs/boss'
import { startResendSink } from '../tests/support/resend-sink'
import { generateIncidents } from './generate-incidents'
import { startDatabase } from './support/stack'
import { startWebhookReceiver } from './support/webhook-receiver'

const count = Number(process.env.DELIVERIES ?? 2000)
const endpointCount = Number(process.env.WEBHOOK_ENDPOINTS ?? 10)
const limitSeconds = Number(process.env.BENCH_SECONDS ?? 600)
/** Rows and jobs per enqueueing transaction. */
const ENQUEUE_CHUNK = 250

if (!existsSync('build/worker.js')) {
  console.error('Run `npm run build` first (the benchmark measures the production worker).')
  process.exit(1)
}
if (
  !Number.isInteger(count) ||
  count < 1 ||
  !Number.isInteger(endpointCount) ||
  endpointCount < 1
) {
  console.error('DELIVERIES and WEBHOOK_ENDPOINTS must be positive integers')
  process.exit(2)
}

interface Progress {
  label: string
  arrived: () => number
  firstAt: number | null
  lastAt: number | null
}

function rate(done: number, ms: number) {
  return ms > 0 ? ((done * 1000) / ms).toFixed(1) : '–'
}

const database = await startDatabase('delivery')
const sink = await startResendSink()
const receiver = await startWebhookReceiver()
try {
  const generated = await generateIncidents(database.url, { count: 1, log: () => {} })
  const organizationId = generated.organizationId
  const admin = generated.members[0]!
  const member = {
    user: { id: admin.id, email: admin.email, displayName: 'Bench Admin' },
    role: 'admin' as const,
    organization: { id: organizationId, name: 'Bench', slug: generated.slug, timezone: 'UTC' },
  }

  const orm = await initORM(database.url, { pool: { min: 0, max: 4 } })
  const boss = await startSenderBoss(database.url)
  const queueStarted = performance.now()
  try {
    const endpoints: string[] = []
    for (let i = 0; i < endpointCount; i++) {
      const { id } = await createEndpoint(
        orm,
        member,
        { url: receiver.url, description: `Bench ${i + 1}`, eventTypes: ['incident.declared'] },
        { allowedHosts: '127.0.0.1' },
      )
      endpoints.push(id)
    }
    for (let from = 0; from < count; from += ENQUEUE_CHUNK) {
      const to = Math.min(count, from + ENQUEUE_CHUNK)
      await inScope(orm, { organizationId }, async (em) => {
        for (let i = from; i < to; i++) {
          await queueEmail(em, boss, {
            organizationId,
            kind: 'bench',
            to: `person${i}@example.test`,
            subject: `[INC-1] SEV-2 bench e-mail ${i + 1}`,
            text: `Bench e-mail ${i + 1} of ${count}.`,
            idempotencyKey: `bench-email-${i}`,
          })
          await enqueueWebhookDelivery(em, boss, {
            organizationId,
            endpointId: endpoints[i % endpoints.length]!,
            eventType: 'incident.declared',
            data: { incident: { number: 1 }, sequence: i + 1 },
            idempotencyKey: `bench-webhook-${i}`,
            occurredAt: new Date(),
          })
        }
      })
    }
  } finally {
    await boss.stop({ graceful: false, wait: true })
    await orm.close(true)
  }
  console.log(
    `queued ${count.toLocaleString('en')} e-mails and ${count.toLocaleString('en')} webhook deliveries ` +
      `(${endpointCount} endpoints) in ${((performance.now() - queueStarted) / 1000).toFixed(1)} s`,
  )

  const started = performance.now()
  const worker = spawn(process.execPath, ['build/worker.js'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      DATA_DIR: database.dir,
      APP_URL: 'http://127.0.0.1:3000',
      LOG_LEVEL: 'warn',
      RESEND_API_KEY: 're_bench_not_a_real_key',
      RESEND_BASE_URL: sink.baseUrl,
      WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  try {
    const progress: Progress[] = [
      {
        label: 'e-mails (Resend SDK → sink)',
        arrived: () => sink.requests.length,
        firstAt: null,
        lastAt: null,
      },
      {
        label: 'webhooks (signed POST → receiver)',
        arrived: receiver.received,
        firstAt: null,
        lastAt: null,
      },
    ]
    const deadline = started + limitSeconds * 1000
    let lastReport = started
    for (;;) {
      const t = performance.now()
      for (const p of progress) {
        const n = p.arrived()
        if (n > 0) p.firstAt ??= t
        if (n >= count) p.lastAt ??= t
      }
      if (progress.every((p) => p.lastAt !== null) || t > deadline || worker.exitCode !== null)
        break
      if (t - lastReport > 5000) {
        lastReport = t
        process.stderr.write(
          `delivery: ${progress.map((p) => `${p.arrived()} ${p.label.split(' ')[0]}`).join(', ')} after ${((t - started) / 1000).toFixed(0)} s\n`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    if (worker.exitCode !== null) console.log(`the worker exited early (code ${worker.exitCode})`)
    // The webhook receiver knows its exact arrival times.
    const webhooks = progress[1]!
    webhooks.firstAt = receiver.firstAt()
    if (webhooks.lastAt !== null) webhooks.lastAt = receiver.lastAt()

    console.log(
      `\none worker (node build/worker.js), ${count.toLocaleString('en')} of each queued before it started:`,
    )
    const rows = progress.map((p) => {
      const done = Math.min(p.arrived(), count)
      const end = p.lastAt ?? performance.now()
      return {
        kind: p.label,
        delivered: `${done}/${count}`,
        'first after s': p.firstAt === null ? '–' : ((p.firstAt - started) / 1000).toFixed(1),
        'all after s': p.lastAt === null ? 'not all' : ((p.lastAt - started) / 1000).toFixed(1),
        'per s (first → last)':
          p.firstAt === null ? '–' : rate(Math.max(0, done - 1), end - p.firstAt),
        'per s (worker start → last)': rate(done, end - started),
      }
    })
    console.table(rows)
    const load = os.loadavg().map((n) => n.toFixed(1))
    console.log(`load average at the end ${load.join(' ')} on ${os.cpus().length} CPUs`)

    // What the database says, as the organization (row-level security applies to the owner too).
    const client = new pg.Client({ connectionString: database.url })
    await client.connect()
    try {
      await client.query('begin')
      await client.query(`select set_config('app.organization_id', $1, true)`, [organizationId])
      const emails = await client.query<{ status: string; n: string }>(
        `select status, count(*) as n from email_outbox group by status order by status`,
      )
      const deliveries = await client.query<{ status: string; n: string }>(
        `select status, count(*) as n from webhook_delivery group by status order by status`,
      )
      await client.query('commit')
      const describe = (rows: Array<{ status: string; n: string }>) =>
        rows.map((r) => `${r.status} ${r.n}`).join(', ') || 'none'
      console.log(`email_outbox: ${describe(emails.rows)}`)
      console.log(`webhook_delivery: ${describe(deliveries.rows)}`)
    } finally {
      await client.end()
    }
  } finally {
    if (worker.exitCode === null) worker.kill('SIGTERM')
    await exited
  }
} finally {
  await receiver.close()
  await sink.close()
  await database.stop()
}
