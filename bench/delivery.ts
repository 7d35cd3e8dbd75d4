/**
 * `npm run bench:delivery`: how fast worker processes deliver e-mails and webhooks, and whether
 * anything arrives twice.
 *
 * Starts a throwaway embedded PostgreSQL, one organization (bench/generate-incidents.ts with a
 * single incident), a loopback stand-in for Resend's API (tests/support/resend-sink.ts, reached
 * by the real SDK through RESEND_BASE_URL) and a loopback webhook receiver listening on one port
 * per endpoint (each endpoint a destination of its own, as separate customers are). Then, for
 * each entry of WORKERS (default "1,2": one round with one worker process, one with two), it
 * queues DELIVERIES (default 5,000) e-mails and as many webhook deliveries, spread over
 * WEBHOOK_ENDPOINTS (10) endpoints, through the application's own services (`queueEmail`,
 * `enqueueWebhookDelivery`: rows and jobs in one transaction), starts that many production
 * workers (`node build/worker.js`, so run `npm run build` first) and measures the deliveries per
 * second until every one has arrived, or until BENCH_SECONDS (600) have passed. The sinks count
 * duplicates: an e-mail accepted twice for one recipient (every bench e-mail has its own), and a
 * webhook-id received more than once. CPU is counted per round for the workers, PostgreSQL and
 * this process (the sinks). SINK_LATENCY_MS (default 0) makes both sinks answer that long after
 * a request, as remote services do, so a worker is bound by how much it keeps in flight rather
 * than by CPU. WORKER_NODE_ARGS is passed to the workers' node (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/delivery-profile`). Figures are printed, never asserted.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import os from 'node:os'
import pg from 'pg'
import { queueEmail } from '~/domain/email/outbox.server'
import { createEndpoint, enqueueWebhookDelivery } from '~/domain/notify/webhooks.server'
import { initORM } from '../db/orm'
import { inScope } from '../db/tenant'
import { startSenderBoss } from '~/queue/send.server'
import { startResendSink } from '../tests/support/resend-sink'
import { generateIncidents } from './generate-incidents'
import { startDatabase } from './support/stack'
import { startWebhookReceiver } from './support/webhook-receiver'

const count = Number(process.env.DELIVERIES ?? 5000)
const endpointCount = Number(process.env.WEBHOOK_ENDPOINTS ?? 10)
const limitSeconds = Number(process.env.BENCH_SECONDS ?? 600)
const rounds = (process.env.WORKERS ?? '1,2').split(',').map((n) => Number(n.trim()))
const nodeArgs = (process.env.WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean)
const sinkLatencyMs = Number(process.env.SINK_LATENCY_MS ?? 0)
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
  endpointCount < 1 ||
  rounds.some((n) => !Number.isInteger(n) || n < 1) ||
  !Number.isInteger(sinkLatencyMs) ||
  sinkLatencyMs < 0
) {
  console.error(
    'DELIVERIES, WEBHOOK_ENDPOINTS and each of WORKERS must be positive integers, SINK_LATENCY_MS a whole number',
  )
  process.exit(2)
}

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

/** Parent pid and CPU seconds (user + system) of a process so far, from /proc. */
function processStat(pid: number | string): { ppid: number; cpu: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / clockTicks }
  } catch {
    return null
  }
}

function cpuSeconds(pid: number | undefined): number {
  return pid ? (processStat(pid)?.cpu ?? 0) : 0
}

/**
 * CPU seconds of the PostgreSQL server so far: the postmaster and its processes (backends,
 * background workers). A backend that has exited no longer counts; the workers' pooled ones live
 * as long as the workers.
 */
function postgresCpuSeconds(dataDir: string): number {
  let postmaster: number
  try {
    postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
  } catch {
    return 0
  }
  let total = cpuSeconds(postmaster)
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = processStat(entry)
    if (stat?.ppid === postmaster) total += stat.cpu
  }
  return total
}

function rate(done: number, ms: number) {
  return ms > 0 ? (done * 1000) / ms : 0
}

const fixed = (n: number) => n.toFixed(1)

const database = await startDatabase('delivery')
const sink = await startResendSink({ answerDelayMs: sinkLatencyMs })
// One port per endpoint: each endpoint is a destination of its own, as separate customers are.
const receiver = await startWebhookReceiver({ answerDelayMs: sinkLatencyMs, ports: endpointCount })
const pgDataDir = path.join(database.dir, 'pg')
if (sinkLatencyMs > 0) console.log(`the sinks answer ${sinkLatencyMs} ms after each request`)
const summary: string[] = []
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
  const endpoints: string[] = []
  try {
    for (let i = 0; i < endpointCount; i++) {
      const { id } = await createEndpoint(
        orm,
        member,
        {
          url: receiver.urls[i]!,
          description: `Bench ${i + 1}`,
          eventTypes: ['incident.declared'],
        },
        { allowedHosts: '127.0.0.1' },
      )
      endpoints.push(id)
    }
  } catch (error) {
    await boss.stop({ graceful: false, wait: true })
    await orm.close(true)
    throw error
  }

  for (const [round, workerCount] of rounds.entries()) {
    const queueStarted = performance.now()
    const chunks = Array.from({ length: Math.ceil(count / ENQUEUE_CHUNK) }, (_, k) => k)
    // Four transactions at once (the pool's size): queueing is set-up, not what is measured.
    const enqueueChunk = async (chunk: number) => {
      const from = chunk * ENQUEUE_CHUNK
      const to = Math.min(count, from + ENQUEUE_CHUNK)
      await inScope(orm, { organizationId }, async (em) => {
        for (let i = from; i < to; i++) {
          await queueEmail(em, boss, {
            organizationId,
            kind: 'bench',
            to: `person${round}-${i}@example.test`,
            subject: `[INC-1] SEV-2 bench e-mail ${i + 1}`,
            text: `Bench e-mail ${i + 1} of ${count}.`,
            idempotencyKey: `bench-email-${round}-${i}`,
          })
          await enqueueWebhookDelivery(em, boss, {
            organizationId,
            endpointId: endpoints[i % endpoints.length]!,
            eventType: 'incident.declared',
            data: { incident: { number: 1 }, round, sequence: i + 1 },
            idempotencyKey: `bench-webhook-${round}-${i}`,
            occurredAt: new Date(),
          })
        }
      })
    }
    await Promise.all(
      [0, 1, 2, 3].map(async (lane) => {
        for (let k = lane; k < chunks.length; k += 4) await enqueueChunk(k)
      }),
    )
    console.log(
      `\nround ${round + 1}: queued ${count.toLocaleString('en')} e-mails and ${count.toLocaleString('en')} ` +
        `webhook deliveries (${endpointCount} endpoints) in ${((performance.now() - queueStarted) / 1000).toFixed(1)} s`,
    )
    sink.requests.length = 0
    sink.emails.length = 0
    receiver.reset()

    const started = performance.now()
    const benchCpuBefore = process.cpuUsage()
    const postgresCpuBefore = postgresCpuSeconds(pgDataDir)
    const workers: ChildProcess[] = Array.from({ length: workerCount }, () =>
      spawn(process.execPath, [...nodeArgs, 'build/worker.js'], {
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
      }),
    )
    const exited = workers.map(
      (worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())),
    )
    let cpu = 0
    try {
      const emailsArrived = () => sink.emails.length
      const deadline = started + limitSeconds * 1000
      let lastReport = started
      // CPU when the first delivery arrives: what follows is delivering, not starting up.
      let atFirst: { workers: number; postgres: number; bench: NodeJS.CpuUsage } | null = null
      for (;;) {
        const t = performance.now()
        if (!atFirst && (emailsArrived() > 0 || receiver.received() > 0))
          atFirst = {
            workers: workers.reduce((sum, w) => sum + cpuSeconds(w.pid), 0),
            postgres: postgresCpuSeconds(pgDataDir),
            bench: process.cpuUsage(),
          }
        const done = emailsArrived() >= count && receiver.distinct() >= count
        if (done || t > deadline || workers.some((w) => w.exitCode !== null)) break
        if (t - lastReport > 5000) {
          lastReport = t
          process.stderr.write(
            `delivery: ${emailsArrived()} e-mails, ${receiver.received()} webhooks after ${((t - started) / 1000).toFixed(0)} s\n`,
          )
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      cpu = workers.reduce((sum, w) => sum + cpuSeconds(w.pid), 0)
      const benchCpu = process.cpuUsage(atFirst?.bench ?? benchCpuBefore)
      const sinksCpu = (benchCpu.user + benchCpu.system) / 1e6
      const postgresCpu = postgresCpuSeconds(pgDataDir) - (atFirst?.postgres ?? postgresCpuBefore)
      const startUpCpu = atFirst?.workers ?? cpu
      const deliveringCpu = cpu - startUpCpu
      const early = workers.find((w) => w.exitCode !== null)
      if (early) console.log(`a worker exited early (code ${early.exitCode})`)

      // Arrival times as the sinks recorded them.
      const emailTimes = sink.emails.map((e) => e.acceptedAt)
      const kinds = [
        {
          kind: 'e-mails (Resend SDK → sink)',
          done: Math.min(sink.emails.length, count),
          firstAt: emailTimes.length ? Math.min(...emailTimes) : null,
          lastAt: sink.emails.length >= count ? Math.max(...emailTimes) : null,
        },
        {
          kind: 'webhooks (signed POST → receiver)',
          done: Math.min(receiver.distinct(), count),
          firstAt: receiver.firstAt(),
          lastAt: receiver.distinct() >= count ? receiver.lastAt() : null,
        },
      ]
      const now = performance.now()
      console.log(
        `${workerCount} worker process${workerCount > 1 ? 'es' : ''} (node build/worker.js), ` +
          `${count.toLocaleString('en')} of each queued before they started:`,
      )
      console.table(
        kinds.map((k) => ({
          kind: k.kind,
          delivered: `${k.done}/${count}`,
          'first after s': k.firstAt === null ? '–' : fixed((k.firstAt - started) / 1000),
          'all after s': k.lastAt === null ? 'not all' : fixed((k.lastAt - started) / 1000),
          'per s (first → last)':
            k.firstAt === null ? '–' : fixed(rate(k.done - 1, (k.lastAt ?? now) - k.firstAt)),
        })),
      )

      // Together: from the first arrival of either kind to the last arrival of both.
      const total = kinds.reduce((sum, k) => sum + k.done, 0)
      const firsts = kinds.flatMap((k) => (k.firstAt === null ? [] : [k.firstAt]))
      const complete = kinds.every((k) => k.lastAt !== null)
      const end = complete ? Math.max(...kinds.map((k) => k.lastAt!)) : now
      const together = firsts.length ? rate(total - 1, end - Math.min(...firsts)) : 0
      const fromStart = rate(total, end - started)

      // Duplicates at the sinks.
      const recipients = new Set(sink.emails.map((e) => e.request.body.to?.join(',')))
      const emailDuplicates = sink.emails.length - recipients.size
      const keys = sink.requests.map((r) => r.headers['idempotency-key'])
      const emailReplays = keys.length - new Set(keys).size
      const webhookDuplicates = receiver.repeated()

      console.log(
        `together: ${fixed(together)} deliveries/s first → last (${fixed(fromStart)}/s from the workers' start), ` +
          `${complete ? 'all' : 'NOT all'} ${total.toLocaleString('en')} delivered`,
      )
      console.log(
        `duplicates at the sinks: ${emailDuplicates} e-mails accepted twice, ${webhookDuplicates} webhook-ids received twice ` +
          `(${emailReplays} e-mail requests repeated an idempotency key, absorbed by it)`,
      )
      const perDelivery = (seconds: number) => ((seconds * 1000) / Math.max(1, total)).toFixed(2)
      console.log(
        `CPU per delivery from the first arrival on: workers ${perDelivery(deliveringCpu)} ms, ` +
          `PostgreSQL ${perDelivery(postgresCpu)} ms, this process (sinks) ${perDelivery(sinksCpu)} ms; ` +
          `workers' start-up before it ${fixed(startUpCpu)} s`,
      )
      console.log(`load average ${os.loadavg().map(fixed).join(' ')} on ${os.cpus().length} CPUs`)
      summary.push(
        `${workerCount} worker${workerCount > 1 ? 's' : ''}: ${fixed(together)} deliveries/s ` +
          `(${fixed(kinds[0]!.firstAt === null ? 0 : rate(kinds[0]!.done - 1, (kinds[0]!.lastAt ?? now) - kinds[0]!.firstAt))} e-mails/s, ` +
          `${fixed(kinds[1]!.firstAt === null ? 0 : rate(kinds[1]!.done - 1, (kinds[1]!.lastAt ?? now) - kinds[1]!.firstAt))} webhooks/s), ` +
          `CPU per delivery ${perDelivery(deliveringCpu)} ms workers, ${perDelivery(postgresCpu)} ms PostgreSQL, ` +
          `${perDelivery(sinksCpu)} ms sinks, load ${fixed(os.loadavg()[0]!)}, ` +
          `duplicates: ${emailDuplicates} e-mails, ${webhookDuplicates} webhooks`,
      )
    } finally {
      for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGTERM')
      await Promise.all(exited)
    }

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
      console.log(`email_outbox (all rounds): ${describe(emails.rows)}`)
      console.log(`webhook_delivery (all rounds): ${describe(deliveries.rows)}`)
    } finally {
      await client.end()
    }
  }
  await boss.stop({ graceful: false, wait: true })
  await orm.close(true)
  console.log(`\n${summary.join('\n')}`)
} finally {
  await receiver.close()
  await sink.close()
  await database.stop()
}
