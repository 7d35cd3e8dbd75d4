import cluster from 'node:cluster'
import { watch } from 'node:fs'
import { createServer } from 'node:http'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { broadcastDevReady, installGlobals, type ServerBuild } from '@remix-run/node'
import { loadEnvOrExit, webEnvSchema } from '~/utils/env.server'
import { drainServer } from '~/server/graceful-shutdown.server'
import { createHttpApp } from '~/server/http-app.server'
import {
  askSupervisorForMetrics,
  joinClusterMetrics,
  serveClusterMetrics,
} from '~/server/cluster-metrics.server'
import { startMetricsServer } from '~/utils/metrics.server'
import { createWebMetrics } from '~/server/web-metrics.server'
import { createLogger } from '~/utils/logger.server'
import { startReferenceCache } from '~/utils/reference-cache.server'
import { startWebCluster } from '~/server/web-cluster.server'
import { startLiveHub } from '~/server/live-hub.server'
import { startStatusCache } from '~/server/status-cache.server'
import { describeDatabaseUrl, resolveDatabase } from './db/database'
import { EmbeddedPostgresError } from './db/embedded-postgres'
import { initORM } from './db/orm'
import { startSenderBoss } from '~/queue/send.server'
import { createObjectStore } from '~/utils/storage/create-store.server'

installGlobals({ nativeFetch: true })

const startedAt = performance.now()
const env = loadEnvOrExit(webEnvSchema)
const development = env.NODE_ENV === 'development'
const logger = createLogger({ name: 'web', level: env.LOG_LEVEL, pretty: development })
if (env.NODE_ENV === 'production' && !env.SECRETS_ENCRYPTION_KEY)
  logger.warn(
    'SECRETS_ENCRYPTION_KEY is unset: stored Slack and Teams secrets are sealed with a key derived from SESSION_SECRET, and changing SESSION_SECRET makes them unreadable',
  )
const BUILD_PATH = path.resolve('build/index.js')
/** Reference data kept in memory is reloaded at least this often (see reference-cache.server). */
const REFERENCE_MAX_AGE_MS = 60_000
/**
 * On SIGTERM the listener stays open until the load balancer has stopped sending (a second with
 * nothing new) or ten seconds have passed; see graceful-shutdown.server. In development it closes
 * at once.
 */
const DRAIN = development
  ? { quietMs: 0, maxDrainMs: 0, forceAfterMs: 25_000 }
  : { quietMs: 1_000, maxDrainMs: 10_000, forceAfterMs: 25_000 }

async function importBuild(): Promise<ServerBuild> {
  // A query string defeats the ESM module cache so a rebuilt bundle is really re-read.
  const url = pathToFileURL(BUILD_PATH).href + (development ? `?t=${Date.now()}` : '')
  return (await import(url)) as ServerBuild
}

async function main() {
  const database = await resolveDatabase(env, 'share', 'npm start')
  logger.info(
    { database: describeDatabaseUrl(database.url), embedded: database.embedded },
    'connecting to database',
  )
  const orm = await initORM(database.url, {
    pool: {
      min: 0,
      max: env.DATABASE_POOL_MAX,
      acquireTimeoutMillis: env.DATABASE_ACQUIRE_TIMEOUT_MS,
    },
  })
  const boss = await startSenderBoss(database.url).catch(async (error: unknown) => {
    logger.fatal({ err: error }, 'job queue schema missing; run `npm run db:migrate` first')
    await orm.close(true)
    await database.stop()
    process.exit(1)
  })
  // Each web process keeps its own copy and its own LISTEN connection, so every process drops
  // what an admin changed, whichever process the change went through.
  const reference =
    env.REFERENCE_CACHE_ORGANIZATIONS > 0
      ? startReferenceCache(orm, {
          url: database.url,
          logger,
          maxOrganizations: env.REFERENCE_CACHE_ORGANIZATIONS,
          maxAgeMs: REFERENCE_MAX_AGE_MS,
        })
      : null

  // One LISTEN connection for live pages; streams hold no pooled connection (decision 033).
  const live = startLiveHub({ orm, url: database.url, logger })
  // Rendered public status pages, dropped on NOTIFY from any process's writes (decision 040).
  const status = startStatusCache({ url: database.url, logger })

  let build = await importBuild()
  let shuttingDown = false
  const metrics = createWebMetrics({ orm, logger })
  if (cluster.isWorker) {
    joinClusterMetrics(metrics.registry)
    metrics.render = askSupervisorForMetrics
  }
  // In a cluster the supervisor serves METRICS_PORT (see supervise()).
  const metricsServer =
    env.METRICS_PORT && !cluster.isWorker
      ? await startMetricsServer({
          port: env.METRICS_PORT,
          host: env.METRICS_HOST,
          token: env.METRICS_TOKEN,
          render: metrics.render,
          logger,
        })
      : null
  const app = createHttpApp({
    env,
    orm,
    boss,
    store: createObjectStore(env),
    logger,
    getBuild: async () => build,
    isShuttingDown: () => shuttingDown,
    metrics,
    live,
    statusCache: status.cache,
  })

  const server = createServer(app)
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
  server.on('error', async (error: NodeJS.ErrnoException) => {
    if (error.code === 'EADDRINUSE') {
      logger.fatal(
        `Port ${env.PORT} is already in use. Stop the other server or set PORT to a free port.`,
      )
    } else {
      logger.fatal({ err: error }, 'HTTP server error')
    }
    await reference?.stop()
    await live.stop()
    await status.stop()
    await boss.stop({ graceful: false, wait: true }).catch(() => {})
    await orm.close(true)
    await database.stop()
    process.exit(1)
  })
  server.listen(env.PORT, env.HOST, () => {
    const ms = Math.round(performance.now() - startedAt)
    logger.info({ port: env.PORT, startupMs: ms }, `IncidentFlow listening on ${env.APP_URL}`)
    if (development) void broadcastDevReady(build)
  })

  if (development) {
    let timer: NodeJS.Timeout | undefined
    watch(path.dirname(BUILD_PATH), (_event, file) => {
      if (file !== 'index.js') return
      clearTimeout(timer)
      timer = setTimeout(async () => {
        try {
          build = await importBuild()
          await broadcastDevReady(build)
        } catch (error) {
          logger.error({ err: error }, 'could not load the rebuilt app')
        }
      }, 50)
    })
  }

  const shutdown = async (signal: string) => {
    if (shuttingDown) return
    shuttingDown = true
    logger.info({ signal }, 'shutting down: /readyz answers 503, draining')
    // Live streams end first (browsers reconnect elsewhere and resume): draining never waits for them.
    live.closeAll()
    await drainServer(server, { ...DRAIN, logger })
    metricsServer?.close()
    await live.stop()
    await status.stop()
    await reference?.stop()
    await boss.stop({ graceful: false, wait: true }).catch(() => {})
    await orm.close(true)
    await database.stop()
    logger.info('stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

/**
 * WEB_CONCURRENCY > 1: this process only supervises. It resolves the database once — starting
 * the embedded PostgreSQL if that is what is configured — and hands its URL to the web
 * processes, so they attach to it instead of each trying to own it; it stops it after the last
 * web process has drained.
 */
async function supervise() {
  const database = await resolveDatabase(env, 'share', 'npm start')
  logger.info(
    {
      database: describeDatabaseUrl(database.url),
      embedded: database.embedded,
      processes: env.WEB_CONCURRENCY,
    },
    'starting web processes',
  )
  const web = startWebCluster({
    count: env.WEB_CONCURRENCY,
    env: { DATABASE_URL: database.url },
    logger,
  })
  // One scrape, of any web process or of METRICS_PORT here, answers for the whole cluster.
  const clusterMetrics = serveClusterMetrics()
  const metricsServer = env.METRICS_PORT
    ? await startMetricsServer({
        port: env.METRICS_PORT,
        host: env.METRICS_HOST,
        token: env.METRICS_TOKEN,
        render: clusterMetrics,
        logger,
      })
    : null
  let stopping: Promise<void> | undefined
  const stop = (code: number, signal?: string) => {
    stopping ??= (async () => {
      if (signal) logger.info({ signal }, 'stopping web processes')
      metricsServer?.close()
      await web.stop()
      await database.stop()
      logger.info('stopped')
      process.exit(code)
    })()
    return stopping
  }
  process.on('SIGTERM', () => void stop(0, 'SIGTERM'))
  process.on('SIGINT', () => void stop(0, 'SIGINT'))
  void web.failed.then(() => stop(1))
}

function failedToStart(error: unknown) {
  if (error instanceof EmbeddedPostgresError) {
    process.stderr.write(`\n${error.message}\n\n`)
  } else {
    logger.fatal({ err: error }, 'failed to start')
  }
  process.exit(1)
}

if (env.WEB_CONCURRENCY > 1 && development) {
  logger.warn('WEB_CONCURRENCY applies to `npm start`; development runs one web process')
}
if (env.WEB_CONCURRENCY > 1 && !development && cluster.isPrimary) {
  supervise().catch(failedToStart)
} else {
  main().catch(failedToStart)
}
