import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { MikroORM } from '@mikro-orm/postgresql'
import client from 'prom-client'
import { loadQueueStats, type QueueStats } from '~/domain/queues/queue-stats.server'
import type { Logger } from './logger.server'

/**
 * Prometheus metrics (`GET /metrics`, text format) of the web and worker processes: what each
 * registers, how the database pool and the job queues are read at scrape time, and who may
 * scrape. docs/operations.md lists every metric and the alerts built on them.
 */

export const PREFIX = 'incidentflow_'

/** A registry with the process's own figures (CPU, memory, event loop lag, GC, handles). */
export function createRegistry(): client.Registry {
  const registry = new client.Registry()
  client.collectDefaultMetrics({ register: registry, prefix: PREFIX })
  return registry
}

interface TarnPool {
  max: number
  numUsed(): number
  numFree(): number
  numPendingAcquires(): number
  numPendingCreates(): number
}

/** The knex (tarn) pool MikroORM's connection draws from; null once closed. */
function knexPool(orm: MikroORM): TarnPool | null {
  const knex = orm.em.getConnection().getKnex() as unknown as { client?: { pool?: TarnPool } }
  return knex.client?.pool ?? null
}

/**
 * The process's database pool, read at scrape time: connections in use and idle, requests
 * waiting for one (a request waits at most DATABASE_ACQUIRE_TIMEOUT_MS, then gets 503), and the
 * pool's size. Web processes of one cluster add up.
 */
export function registerPoolMetrics(registry: client.Registry, orm: MikroORM) {
  new client.Gauge({
    name: `${PREFIX}db_pool_connections`,
    help: 'Pooled database connections of this process, by state (in_use, idle, opening).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const pool = knexPool(orm)
      this.set({ state: 'in_use' }, pool?.numUsed() ?? 0)
      this.set({ state: 'idle' }, pool?.numFree() ?? 0)
      this.set({ state: 'opening' }, pool?.numPendingCreates() ?? 0)
    },
  })
  new client.Gauge({
    name: `${PREFIX}db_pool_waiting`,
    help: 'Callers waiting for a pooled database connection.',
    registers: [registry],
    collect() {
      this.set(knexPool(orm)?.numPendingAcquires() ?? 0)
    },
  })
  new client.Gauge({
    name: `${PREFIX}db_pool_max`,
    help: 'Most connections the pool of this process may open.',
    registers: [registry],
    collect() {
      this.set(knexPool(orm)?.max ?? 0)
    },
  })
}

/** Reads within this long of each other share one query (the gauges of one scrape). */
const QUEUE_STATS_REUSE_MS = 1000

/**
 * The job queues (app/domain/queues/queue-stats.server.ts, the numbers the admins' Jobs section
 * shows), read at scrape time. They describe the shared database, so every process reports the
 * same values: aggregate them with `max`, never `sum` (web processes of one cluster already do).
 * When the database cannot be read, `job_queue_stats_up` is 0 and the queue series are absent,
 * and the rest of the scrape still answers.
 */
export function registerQueueMetrics(
  registry: client.Registry,
  orm: MikroORM,
  now: () => Date,
  logger: Logger,
) {
  let last: { at: number; stats: Promise<QueueStats | null> } | null = null
  const read = () => {
    const at = Date.now()
    if (!last || at - last.at > QUEUE_STATS_REUSE_MS) {
      last = {
        at,
        stats: loadQueueStats(orm, { now: now() }).catch((error: unknown) => {
          logger.warn({ err: error }, 'queue metrics: could not read the job queues')
          return null
        }),
      }
    }
    return last.stats
  }
  new client.Gauge({
    name: `${PREFIX}job_queue_stats_up`,
    help: '1 when the job queue figures could be read at this scrape, else 0.',
    registers: [registry],
    aggregator: 'min',
    async collect() {
      this.set((await read()) ? 1 : 0)
    },
  })
  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (gauge: client.Gauge<string>, stats: QueueStats) => void,
  ) =>
    new client.Gauge({
      name: `${PREFIX}${name}`,
      help,
      labelNames,
      registers: [registry],
      aggregator: 'max',
      async collect() {
        const stats = await read()
        this.reset()
        if (stats) fill(this, stats)
      },
    })
  gauge(
    'job_queue_jobs',
    'Jobs per queue by state: waiting (due, no worker has it), scheduled (due later), active.',
    ['queue', 'state'],
    (g, stats) => {
      for (const q of stats.queues) {
        g.set({ queue: q.queue, state: 'waiting' }, q.waiting)
        g.set({ queue: q.queue, state: 'scheduled' }, q.scheduled)
        g.set({ queue: q.queue, state: 'active' }, q.active)
      }
    },
  )
  gauge(
    'job_queue_oldest_waiting_seconds',
    'How long the oldest waiting job of the queue has been due; 0 when none waits.',
    ['queue'],
    (g, stats) => {
      for (const q of stats.queues) g.set({ queue: q.queue }, q.oldestWaitingSeconds ?? 0)
    },
  )
  gauge(
    'job_queue_failed_last_hour',
    'Jobs of the queue that ran out of retries within the last hour.',
    ['queue'],
    (g, stats) => {
      for (const q of stats.queues) g.set({ queue: q.queue }, q.failedLastHour)
    },
  )
  gauge(
    'job_queue_stuck',
    '1 when the oldest waiting job is older than the queue’s threshold (the admin page’s "Stuck").',
    ['queue'],
    (g, stats) => {
      for (const q of stats.queues) g.set({ queue: q.queue }, q.stuck ? 1 : 0)
    },
  )
}

/** What a scrape answers: the text and its content type. */
export interface Exposition {
  contentType: string
  body: string
}

export async function expose(registry: client.Registry): Promise<Exposition> {
  return { contentType: registry.contentType, body: await registry.metrics() }
}

function digest(value: string) {
  return createHash('sha256').update(value).digest()
}

/** Whether the request carries `Authorization: Bearer <token>` (compared in constant time). */
export function hasBearerToken(authorization: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')
  return Boolean(match && timingSafeEqual(digest(match[1]!), digest(token)))
}

/**
 * Answers one scrape request. `token` set: only a request bearing it gets the metrics (401
 * otherwise). `token` unset: `open` decides — a listener bound to loopback answers anyone who can
 * reach it, the public port answers 404 as if there were nothing.
 */
export async function answerScrape(
  req: IncomingMessage,
  res: ServerResponse,
  options: { token?: string; open: boolean; render: () => Promise<Exposition>; logger: Logger },
) {
  res.setHeader('Cache-Control', 'no-store')
  res.setHeader('X-Content-Type-Options', 'nosniff')
  if (!options.token && !options.open) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found')
    return
  }
  if (options.token && !hasBearerToken(req.headers.authorization, options.token)) {
    res
      .writeHead(401, {
        'Content-Type': 'text/plain; charset=utf-8',
        'WWW-Authenticate': 'Bearer realm="metrics"',
      })
      .end('A bearer token is needed for /metrics.')
    return
  }
  try {
    const { contentType, body } = await options.render()
    res.writeHead(200, { 'Content-Type': contentType }).end(body)
  } catch (error) {
    options.logger.error({ err: error }, 'metrics could not be collected')
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Metrics unavailable')
  }
}

/**
 * A listener of its own for `GET /metrics` (METRICS_PORT of the web, WORKER_METRICS_PORT of the
 * worker), on `host` (127.0.0.1 unless configured). Without METRICS_TOKEN it answers whoever can
 * reach it — keep it on loopback or a private network; with it, only bearers of the token.
 */
export function startMetricsServer(options: {
  port: number
  host: string
  token?: string
  render: () => Promise<Exposition>
  logger: Logger
}): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found')
      return
    }
    void answerScrape(req, res, { ...options, open: true })
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => {
      server.off('error', reject)
      options.logger.info(
        { host: options.host, port: options.port, token: Boolean(options.token) },
        'metrics listening',
      )
      resolve(server)
    })
  })
}
