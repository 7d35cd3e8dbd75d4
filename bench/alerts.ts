/**
 * `npm run bench:alerts`: inbound alert webhooks, accepted by the web server and then processed by
 * one worker.
 *
 * Starts a throwaway embedded PostgreSQL, one organization (bench/generate-incidents.ts with a
 * single incident) and a generic integration for one of its services, made through the
 * application's own service (`createIntegration`) with the highest rate limit the schema allows
 * (10,000 a minute), so the limit is not what is measured. Then, in two phases:
 *
 *   1. the production web server (`node build/server.js`, so run `npm run build` first) WITHOUT a
 *      worker: ALERTS (default 10,000) `POST /hooks/generic/<token>` over CONCURRENCY (20)
 *      connections, one firing alert each, one in NEW_EVERY (4) with a new de-duplication key
 *      (declares an incident) and the others repeating an earlier key (appends to its incident).
 *      Prints the 202 latency (p50/p95/p99), requests per second and every other status;
 *   2. the web server stopped, ONE production worker (`node build/worker.js`, its default
 *      WORKER_CONCURRENCY unless set): the time until every receipt is processed, or
 *      BENCH_SECONDS (600) at most, receipts per second, incidents declared; then, with the
 *      worker still running, until every repeat window has closed (ALERT_REPEAT_WINDOW_SECONDS):
 *      the `alert.received` entries appended and how many firings they stand for (every accepted
 *      alert exactly once), read from the database as the owner.
 *
 * Figures are printed, never asserted.
 */
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import os from 'node:os'
import pg from 'pg'
import {
  createIntegration,
  hookUrl,
  integrationServices,
} from '~/domain/alerts/integrations.server'
import { initORM } from '../db/orm'
import { generateIncidents } from './generate-incidents'
import { startDatabase, startServer } from './support/stack'

const alertCount = Number(process.env.ALERTS ?? 10_000)
const concurrency = Number(process.env.CONCURRENCY ?? 20)
const newEvery = Number(process.env.NEW_EVERY ?? 4)
const limitSeconds = Number(process.env.BENCH_SECONDS ?? 600)
const RATE_LIMIT = 10_000
const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const

if (!existsSync('build/server.js') || !existsSync('build/worker.js')) {
  console.error('Run `npm run build` first (the benchmark measures the production build).')
  process.exit(1)
}
for (const [name, value] of Object.entries({
  ALERTS: alertCount,
  CONCURRENCY: concurrency,
  NEW_EVERY: newEvery,
  BENCH_SECONDS: limitSeconds,
})) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} must be a positive integer`)
    process.exit(2)
  }
}

function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

const loadAverage = () =>
  `${os
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')} on ${os.cpus().length} CPUs`

/** A small seeded generator, so the mix of keys is the same on every run. */
function mulberry32(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Request i's de-duplication key: every NEW_EVERY-th a new one, the others an earlier one. */
function planKeys() {
  const rand = mulberry32(8)
  const keys: string[] = []
  let made = 0
  for (let i = 0; i < alertCount; i++) {
    keys.push(
      i % newEvery === 0 ? `bench-alert-${made++}` : `bench-alert-${Math.floor(rand() * made)}`,
    )
  }
  return { keys, distinct: made }
}

const database = await startDatabase('alerts')
try {
  const generated = await generateIncidents(database.url, { count: 1, log: () => {} })
  const organizationId = generated.organizationId
  const admin = generated.members[0]!
  const member = {
    user: { id: admin.id, email: admin.email, displayName: 'Bench Admin' },
    role: 'admin' as const,
    organization: { id: organizationId, name: 'Bench', slug: generated.slug, timezone: 'UTC' },
  }

  const orm = await initORM(database.url, { pool: { min: 0, max: 2 } })
  let token: string
  let integrationId: string
  try {
    const [service] = await integrationServices(orm, member)
    if (!service) throw new Error('the generated organization has no active service')
    const created = await createIntegration(orm, member, {
      name: 'Bench generic',
      serviceId: service.id,
      kind: 'generic',
      defaultSeverity: 'SEV-3',
      mitigateOnResolve: false,
      signingSecret: null,
      rateLimitPerMinute: RATE_LIMIT,
    })
    token = created.token
    integrationId = created.id
  } finally {
    await orm.close(true)
  }

  const { keys, distinct } = planKeys()
  const bodies = keys.map((key, i) => {
    const k = Number(key.slice('bench-alert-'.length))
    return JSON.stringify({
      dedup_key: key,
      status: 'firing',
      title: `Bench alert ${k}: checkout p99 latency above 2 s`,
      severity: SEVERITIES[k % SEVERITIES.length],
      description: `Request ${i + 1} of ${alertCount}.`,
      labels: { region: 'eu-west-1', bench: 'alerts' },
    })
  })

  // Phase 1: the web server alone.
  const server = await startServer(database.url, database.dir)
  const url = hookUrl(server.baseUrl, 'generic', token)
  const latencies: number[] = []
  const statuses = new Map<string, number>()
  let next = 0
  let elapsedMs = 0
  try {
    console.log(
      `web server (node build/server.js, no worker): ${alertCount.toLocaleString('en')} POST /hooks/generic/<token> ` +
        `over ${concurrency} connections, ${distinct.toLocaleString('en')} new keys (1 in ${newEvery}), ` +
        `the rest repeating earlier keys; rate limit ${RATE_LIMIT.toLocaleString('en')}/min`,
    )
    const started = performance.now()
    const connection = async () => {
      while (next < alertCount) {
        const i = next++
        const t0 = performance.now()
        let status: string
        try {
          const response = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: bodies[i],
          })
          await response.arrayBuffer()
          status = String(response.status)
        } catch (error) {
          status = `error (${error instanceof Error ? error.name : typeof error})`
        }
        if (status === '202') latencies.push(performance.now() - t0)
        statuses.set(status, (statuses.get(status) ?? 0) + 1)
      }
    }
    await Promise.all(Array.from({ length: concurrency }, connection))
    elapsedMs = performance.now() - started
  } finally {
    await server.stop()
  }
  latencies.sort((a, b) => a - b)
  const accepted = statuses.get('202') ?? 0
  const others = [...statuses].filter(([status]) => status !== '202')
  console.log(
    `  202: ${accepted}/${alertCount}` +
      (others.length
        ? `; other answers: ${others.map(([s, n]) => `${s} ×${n}`).join(', ')}`
        : '; no other answers'),
  )
  console.log(
    `  ${((alertCount * 1000) / elapsedMs).toFixed(0)} requests/s (${(elapsedMs / 1000).toFixed(2)} s); ` +
      `202 latency p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms, ` +
      `p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${(latencies.at(-1) ?? 0).toFixed(1)} ms`,
  )
  console.log(`  load average after the requests ${loadAverage()}`)

  // Phase 2: one worker processes what was accepted. The owner is subject to row-level security
  // too, so every query runs under the organization's setting.
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  const asOrganization = async <T extends pg.QueryResultRow>(
    sql: string,
    values: unknown[] = [],
  ) => {
    await client.query('begin')
    try {
      await client.query(`select set_config('app.organization_id', $1, true)`, [organizationId])
      const result = await client.query<T>(sql, values)
      await client.query('commit')
      return result.rows
    } catch (error) {
      await client.query('rollback')
      throw error
    }
  }
  const receiptStatuses = async () => {
    const rows = await asOrganization<{ status: string; n: number }>(
      `select status, count(*)::int as n from alert_receipt where integration_id = $1 group by status`,
      [integrationId],
    )
    return Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number>
  }
  try {
    const before = await receiptStatuses()
    const stored = Object.values(before).reduce((a, b) => a + b, 0)
    const incidentsBefore = (
      await asOrganization<{ n: number }>(`select count(*)::int as n from incident`)
    )[0]!.n

    const started = performance.now()
    const startedAt = new Date()
    const worker = spawn(process.execPath, ['build/worker.js'], {
      env: {
        ...process.env,
        NODE_ENV: 'production',
        DATABASE_URL: database.url,
        DATA_DIR: database.dir,
        APP_URL: 'http://127.0.0.1:3000',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
    let finishedMs: number | null = null
    let windowsClosedMs: number | null = null
    let counts: Record<string, number> = before
    try {
      const deadline = started + limitSeconds * 1000
      let lastReport = started
      for (;;) {
        counts = await receiptStatuses()
        const done = (counts.processed ?? 0) + (counts.ignored ?? 0)
        const t = performance.now()
        if (done >= stored) {
          finishedMs = t - started
          break
        }
        if (t > deadline || worker.exitCode !== null) break
        if (t - lastReport > 5000) {
          lastReport = t
          process.stderr.write(
            `alerts: ${done}/${stored} receipts processed after ${((t - started) / 1000).toFixed(0)} s\n`,
          )
        }
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
      // Then the repeat windows close: every counted firing becomes part of a timeline entry.
      if (finishedMs !== null) {
        for (;;) {
          const [left] = await asOrganization<{ n: number }>(
            `select coalesce(sum(count), 0)::int as n from alert_repeat where integration_id = $1`,
            [integrationId],
          )
          const t = performance.now()
          if (left!.n === 0) {
            windowsClosedMs = t - started
            break
          }
          if (t > deadline || worker.exitCode !== null) break
          await new Promise((resolve) => setTimeout(resolve, 500))
        }
      }
    } finally {
      if (worker.exitCode === null) worker.kill('SIGTERM')
      await exited
    }
    if (finishedMs === null)
      console.log(
        worker.exitCode !== null && worker.signalCode === null
          ? `the worker exited early (code ${worker.exitCode})`
          : `not every receipt was processed within ${limitSeconds} s`,
      )

    const [span] = await asOrganization<{ first: Date | null; last: Date | null; n: number }>(
      `select min(processed_at) as first, max(processed_at) as last, count(processed_at)::int as n
         from alert_receipt where integration_id = $1 and status in ('processed', 'ignored')`,
      [integrationId],
    )
    const actions = await asOrganization<{ action: string; n: number }>(
      `select o->>'action' as action, count(*)::int as n
         from alert_receipt r, jsonb_array_elements(coalesce(r.outcome, '[]'::jsonb)) o
        where r.integration_id = $1 group by 1 order by 1`,
      [integrationId],
    )
    const [incidents] = await asOrganization<{ n: number }>(
      `select count(*)::int as n from incident`,
    )
    const [links] = await asOrganization<{ n: number }>(
      `select count(*)::int as n from alert_link where integration_id = $1`,
      [integrationId],
    )
    const [events] = await asOrganization<{ n: number }>(
      `select count(*)::int as n from incident_event where type = 'alert.received'`,
    )
    const [firings] = await asOrganization<{ n: number; counted: number; entries: number }>(
      `select coalesce(sum(coalesce((payload->'repeat'->>'count')::int, 1)), 0)::int as n,
              count(*) filter (where payload ? 'repeat')::int as counted
         from incident_event where type = 'alert.received'`,
    )

    const processed = span?.n ?? 0
    const firstMs = span?.first ? span.first.getTime() - startedAt.getTime() : null
    const spreadMs = span?.first && span.last ? span.last.getTime() - span.first.getTime() : null
    const concurrencyNote = process.env.WORKER_CONCURRENCY ?? '4 (default)'
    console.log(
      `\none worker (node build/worker.js, WORKER_CONCURRENCY ${concurrencyNote}), started after the ` +
        `${stored.toLocaleString('en')} receipts were stored:`,
    )
    console.log(
      `  processed ${processed}/${stored}` +
        (finishedMs === null
          ? ''
          : ` in ${(finishedMs / 1000).toFixed(1)} s from the worker's spawn`) +
        ` → ${finishedMs === null ? '–' : ((processed * 1000) / finishedMs).toFixed(0)} receipts/s` +
        (spreadMs !== null && spreadMs > 0
          ? `; ${(((processed - 1) * 1000) / spreadMs).toFixed(0)} receipts/s from the first to the last processed_at` +
            ` (first ${((firstMs ?? 0) / 1000).toFixed(1)} s after the spawn)`
          : ''),
    )
    console.log(
      `  receipts: ${
        Object.entries(counts)
          .map(([s, n]) => `${s} ${n}`)
          .join(', ') || 'none'
      }; outcomes: ${actions.map((a) => `${a.action} ${a.n}`).join(', ') || 'none'}`,
    )
    console.log(
      `  incidents declared ${incidents!.n - incidentsBefore} (alert links ${links!.n}; ${distinct} distinct keys sent), ` +
        `alert.received entries ${events!.n} (${firings!.counted} of them counted entries) standing for ` +
        `${firings!.n} firings (${accepted} alerts accepted)` +
        (windowsClosedMs === null
          ? '; the repeat windows had not all closed'
          : `; the last repeat window written ${(windowsClosedMs / 1000).toFixed(1)} s after the spawn ` +
            `(ALERT_REPEAT_WINDOW_SECONDS ${process.env.ALERT_REPEAT_WINDOW_SECONDS ?? '60 (default)'})`),
    )
    console.log(`  load average at the end ${loadAverage()}`)
  } finally {
    await client.end()
  }
} finally {
  await database.stop()
}
