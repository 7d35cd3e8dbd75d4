import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createIntegration } from '~/domain/alerts/integrations.server'
import { createHttpApp } from '~/server/http-app.server'
import { createLogger, type Logger } from '~/utils/logger.server'
import { startMetricsServer } from '~/utils/metrics.server'
import { createObjectStore } from '~/utils/storage/create-store.server'
import { createWebMetrics } from '~/server/web-metrics.server'
import { sendJob } from '~/queue/send.server'
import { signIn, silentLogger, testEnv } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { addMember } from '../support/incidents'
import { freePort } from '../support/postgres-server'
import { startResendSink, type ResendSink } from '../support/resend-sink'
import { killAllWorkers, startWorker, waitFor } from '../support/worker-process'
import { loadRemixBuild } from '../support/remix-build'

/**
 * What operators see: GET /metrics of the web (token, 404 without one, a listener of its own) and
 * of a real worker process, and one request id followed from a form post through the worker's
 * fan-out to the e-mail job, in both processes' logs.
 */

const db = setUpTestDatabase('observability')
const TOKEN = `metrics-${randomBytes(12).toString('hex')}`
const FAMILIES = [
  'incidentflow_http_request_duration_seconds',
  'incidentflow_db_pool_connections',
  'incidentflow_db_pool_waiting',
  'incidentflow_job_queue_jobs',
  'incidentflow_job_queue_oldest_waiting_seconds',
  'incidentflow_job_queue_failed_last_hour',
  'incidentflow_process_cpu_seconds_total',
]

interface Web {
  baseUrl: string
  logLines: () => Array<Record<string, unknown>>
  close: () => Promise<void>
}

let build: ServerBuild
let sink: ResendSink
let dataDir: string
const webs: Web[] = []

/** The real express app and Remix build with metrics on, logging JSON lines into memory. */
async function startWeb(env: Record<string, string> = {}): Promise<Web> {
  const lines: string[] = []
  const logger: Logger = createLogger({
    name: 'web',
    level: 'info',
    pretty: false,
    destination: { write: (line: string) => void lines.push(line) },
  })
  const parsedEnv = testEnv(db, { TRUST_PROXY: 'true', ...env })
  const app = createHttpApp({
    env: parsedEnv,
    orm: db.orm,
    boss: db.boss,
    store: createObjectStore(parsedEnv),
    logger,
    getBuild: async () => build,
    publicDir: 'tests/support/no-public-dir',
    metrics: createWebMetrics({ orm: db.orm, logger: silentLogger }),
  })
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  const web: Web = {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logLines: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  webs.push(web)
  return web
}

const scrape = (url: string, token?: string) =>
  fetch(url, token ? { headers: { Authorization: `Bearer ${token}` } } : {})

/** The value of one sample line (`name{labels} value`) of an exposition, or 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line ? Number(line.slice(series.length + 1)) : 0
}

beforeAll(async () => {
  build = await loadRemixBuild()
  sink = await startResendSink()
  dataDir = await mkdtemp(path.join(tmpdir(), 'incidentflow-observability-'))
})
afterEach(killAllWorkers)
afterAll(async () => {
  await killAllWorkers()
  await Promise.all(webs.map((web) => web.close()))
  await sink?.close()
  if (dataDir) await rm(dataDir, { recursive: true, force: true })
})

describe('GET /metrics of the web process', () => {
  it('answers 404 when METRICS_TOKEN is not set, 401 without the token or with a wrong one', async () => {
    const open = await startWeb()
    expect((await scrape(`${open.baseUrl}/metrics`)).status).toBe(404)
    expect((await scrape(`${open.baseUrl}/metrics`, TOKEN)).status).toBe(404)

    const guarded = await startWeb({ METRICS_TOKEN: TOKEN })
    const none = await scrape(`${guarded.baseUrl}/metrics`)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(await none.text()).not.toContain('incidentflow_')
    const wrong = await scrape(`${guarded.baseUrl}/metrics`, `${TOKEN}x`)
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).not.toContain('incidentflow_')
  })

  it('answers the bearer of the token in Prometheus text format, with every metric family', async () => {
    const web = await startWeb({ METRICS_TOKEN: TOKEN })
    await sendJob(db.boss, 'report-generate', {
      reportId: '00000000-0000-4000-8000-000000000001',
      organizationId: db.organizationId,
    })
    const answer = await scrape(`${web.baseUrl}/metrics`, TOKEN)
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await answer.text()
    for (const family of FAMILIES) expect(text, family).toContain(`# TYPE ${family} `)
    expect(
      sample(text, 'incidentflow_job_queue_jobs{queue="report-generate",state="waiting"}'),
    ).toBe(1)
    expect(sample(text, 'incidentflow_job_queue_stats_up')).toBe(1)
    expect(sample(text, 'incidentflow_db_pool_max')).toBeGreaterThan(0)
  })

  it('counts a request under its route pattern and status, with no id or token of the URL in any label', async () => {
    const web = await startWeb({ METRICS_TOKEN: TOKEN })
    const engineer = await addMember(db, db.organizationId, 'engineer')
    const { cookie } = await signIn(db, {
      userId: engineer.user.id,
      organizationId: db.organizationId,
    })
    const declared = await fetch(`${web.baseUrl}/incidents/new`, {
      method: 'POST',
      headers: { Cookie: cookie, Origin: web.baseUrl, 'X-Forwarded-For': '10.9.8.7' },
      body: new URLSearchParams({ title: 'Checkout slow', severity: 'SEV-3' }),
      redirect: 'manual',
    })
    expect(declared.status).toBe(302)
    const incidentPath = declared.headers.get('location')!
    expect(incidentPath).toMatch(/^\/incidents\/\d+$/)

    const series =
      'incidentflow_http_request_duration_seconds_count{method="GET",route="routes/incidents.$number",status="200"}'
    const before = sample(await (await scrape(`${web.baseUrl}/metrics`, TOKEN)).text(), series)
    const page = await fetch(`${web.baseUrl}${incidentPath}`, { headers: { Cookie: cookie } })
    expect(page.status).toBe(200)
    await page.text()
    const secret = `hooktoken${randomBytes(8).toString('hex')}`
    await fetch(`${web.baseUrl}/hooks/generic/${secret}`, { method: 'POST', body: '{}' })
    const text = await (await scrape(`${web.baseUrl}/metrics`, TOKEN)).text()
    expect(sample(text, series)).toBe(before + 1)
    expect(
      sample(
        text,
        'incidentflow_http_request_duration_seconds_count{method="POST",route="routes/incidents.new",status="302"}',
      ),
    ).toBeGreaterThanOrEqual(1)
    expect(text).toMatch(/route="hooks\/generic"/)
    expect(text).not.toContain(secret)
    // No label holds a path of the URL (an incident number, a token): only route ids and words.
    const routes = [...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]!)
    for (const route of routes) expect(route).not.toMatch(/^\/(?!healthz$|readyz$|metrics$)|\d/)
  })

  it('serves a listener of its own on loopback without a token (METRICS_PORT)', async () => {
    const metrics = createWebMetrics({ orm: db.orm, logger: silentLogger })
    const server = await startMetricsServer({
      port: await freePort(),
      host: '127.0.0.1',
      render: metrics.render,
      logger: silentLogger,
    })
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const answer = await scrape(`${base}/metrics`)
      expect(answer.status).toBe(200)
      expect(await answer.text()).toContain('# TYPE incidentflow_job_queue_jobs gauge')
      expect((await scrape(`${base}/`)).status).toBe(404)
    } finally {
      server.close()
    }
  })
})

describe('one request id from the form post to the e-mail, and the worker’s /metrics', () => {
  it('names the same request id in the web’s log line, the jobs, and the worker’s log line for the e-mail', async () => {
    const organizationId = await db.createOrganization('Traced Org')
    const engineer = await addMember(db, organizationId, 'engineer')
    const manager = await addMember(db, organizationId, 'manager')
    const web = await startWeb()
    const metricsPort = await freePort()
    const worker = startWorker('worker', {
      DATABASE_URL: db.url,
      DATA_DIR: dataDir,
      RESEND_API_KEY: 're_test_key',
      RESEND_BASE_URL: sink.baseUrl,
      EMAIL_FROM: 'IncidentFlow <incidents@example.test>',
      EVENT_RELAY_INTERVAL_MS: '100',
      WORKER_CONCURRENCY: '1',
      LOG_LEVEL: 'info',
      WORKER_METRICS_PORT: String(metricsPort),
      METRICS_TOKEN: TOKEN,
    })
    await waitFor('the worker to be ready', () => worker.output().includes('worker ready'), {
      workers: [worker],
    })

    const requestId = `trace-${randomBytes(8).toString('hex')}`
    const title = `Traced outage ${requestId}`
    const { cookie } = await signIn(db, { userId: engineer.user.id, organizationId })
    const declared = await fetch(`${web.baseUrl}/incidents/new`, {
      method: 'POST',
      headers: {
        Cookie: cookie,
        Origin: web.baseUrl,
        'X-Forwarded-For': '10.9.8.6',
        'X-Request-Id': requestId,
      },
      body: new URLSearchParams({ title, severity: 'SEV-1' }),
      redirect: 'manual',
    })
    expect(declared.status).toBe(302)
    expect(declared.headers.get('x-request-id')).toBe(requestId)

    await waitFor(
      'the declaration’s e-mail',
      () => sink.emails.some((e) => e.request.body.subject?.includes(title)),
      { timeoutMs: 30_000, workers: [worker] },
    )
    const workerLine = await waitFor(
      'the worker’s line for the e-mail job',
      () =>
        worker
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((line) => line.reqId === requestId && line.queue === 'email-deliver'),
      { timeoutMs: 10_000, workers: [worker] },
    )
    expect(workerLine).toMatchObject({ msg: 'email-deliver job done', outcome: 'sent' })
    const [email] = await db.query<{ id: string; to_address: string }>(
      `select id, to_address from email_outbox where organization_id = $1 and subject like $2`,
      [organizationId, `%${title}%`],
    )
    expect(email).toEqual({ id: workerLine.outboxId, to_address: manager.user.email })
    // The job itself carries it, beside its payload.
    expect(
      await db.query(`select data->>'requestId' as request_id from pgboss.job where id = $1`, [
        workerLine.jobId,
      ]),
    ).toEqual([{ request_id: requestId }])

    const webLine = web
      .logLines()
      .find((line) => line.reqId === requestId && line.msg === 'request completed')
    expect(webLine).toMatchObject({ res: { statusCode: 302 } })
    expect((webLine?.req as { method?: string; url?: string }).method).toBe('POST')
    // A request that names no id (or an unusable one) gets one of its own.
    const plain = await fetch(`${web.baseUrl}/healthz`, { headers: { 'X-Request-Id': 'no' } })
    expect(plain.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)

    // An inbound alert: its hook request's id reaches the worker's line for the receipt.
    const admin = await addMember(db, organizationId, 'admin')
    const [service] = await db.query<{ id: string }>(
      'insert into service (organization_id, name) values ($1, $2) returning id',
      [organizationId, 'Search'],
    )
    const integration = await createIntegration(db.orm, admin, {
      name: 'Traced alerts',
      serviceId: service!.id,
      kind: 'generic',
      defaultSeverity: 'SEV-3',
      mitigateOnResolve: false,
      signingSecret: null,
      rateLimitPerMinute: 120,
    })
    const hookRequestId = `hook-${randomBytes(8).toString('hex')}`
    const accepted = await fetch(`${web.baseUrl}/hooks/generic/${integration.token}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Request-Id': hookRequestId },
      body: JSON.stringify({ dedup_key: 'traced', status: 'firing', title: 'Traced alert' }),
    })
    expect(accepted.status).toBe(202)
    const receiptLine = await waitFor(
      'the worker’s line for the alert receipt',
      () =>
        worker
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .find((line) => line.reqId === hookRequestId && line.queue === 'alert-ingest'),
      { timeoutMs: 20_000, workers: [worker] },
    )
    expect(receiptLine).toMatchObject({ msg: 'alert-ingest job done', outcome: 'processed' })

    // The worker's own /metrics: the token is needed there too.
    const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`
    expect((await scrape(metricsUrl)).status).toBe(401)
    const answer = await scrape(metricsUrl, TOKEN)
    expect(answer.status).toBe(200)
    const text = await answer.text()
    for (const family of [
      'incidentflow_jobs_completed_total',
      'incidentflow_jobs_failed_total',
      'incidentflow_job_handler_duration_seconds',
      'incidentflow_sla_sweep_duration_seconds',
      'incidentflow_deliveries_total',
      'incidentflow_alert_receipts_total',
      'incidentflow_job_queue_jobs',
      'incidentflow_db_pool_connections',
    ])
      expect(text, family).toContain(`# TYPE ${family} `)
    expect(sample(text, 'incidentflow_deliveries_total{channel="email",outcome="sent"}')).toBe(1)
    expect(sample(text, 'incidentflow_jobs_completed_total{queue="email-deliver"}')).toBe(1)
    expect(sample(text, 'incidentflow_alert_receipts_total{result="processed"}')).toBe(1)
  })
})
