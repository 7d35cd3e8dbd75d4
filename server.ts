import { watch } from 'node:fs'
import { createServer } from 'node:http'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { broadcastDevReady, installGlobals, type ServerBuild } from '@remix-run/node'
import { loadEnvOrExit, webEnvSchema } from './app/utils/env.server'
import { createHttpApp } from './app/utils/http-app.server'
import { createLogger } from './app/utils/logger.server'
import { describeDatabaseUrl, resolveDatabase } from './db/database'
import { EmbeddedPostgresError } from './db/embedded-postgres'
import { initORM } from './db/orm'
import { startSenderBoss } from './jobs/boss'
import { createObjectStore } from './app/utils/storage/create-store.server'

installGlobals({ nativeFetch: true })

const startedAt = performance.now()
const env = loadEnvOrExit(webEnvSchema)
const development = env.NODE_ENV === 'development'
const logger = createLogger({ name: 'web', level: env.LOG_LEVEL, pretty: development })
const BUILD_PATH = path.resolve('build/index.js')

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

  let build = await importBuild()
  let shuttingDown = false
  const app = createHttpApp({
    env,
    orm,
    boss,
    store: createObjectStore(env),
    logger,
    getBuild: async () => build,
    isShuttingDown: () => shuttingDown,
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
    logger.info({ signal }, 'shutting down: no new connections, finishing requests in flight')
    const forced = setTimeout(() => {
      logger.error('requests still open after 25 s; closing them')
      server.closeAllConnections()
    }, 25_000)
    forced.unref()
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeIdleConnections()
    })
    clearTimeout(forced)
    await boss.stop({ graceful: false, wait: true }).catch(() => {})
    await orm.close(true)
    await database.stop()
    logger.info('stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

main().catch((error: unknown) => {
  if (error instanceof EmbeddedPostgresError) {
    process.stderr.write(`\n${error.message}\n\n`)
  } else {
    logger.fatal({ err: error }, 'failed to start')
  }
  process.exit(1)
})
