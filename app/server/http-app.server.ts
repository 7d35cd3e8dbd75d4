import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import { createRemixRequest, sendRemixResponse } from '@remix-run/express/dist/server.js'
import type { ServerBuild } from '@remix-run/node'
import type { AppLoadContext } from '@remix-run/node'
import { RequestUnit } from '../../db/tenant'
import type { MikroORM } from '@mikro-orm/postgresql'
import compression from 'compression'
import express from 'express'
import { pinoHttp } from 'pino-http'
import type { PgBoss } from '~/queue/send.server'
import { hooksRouter } from '~/domain/alerts/hooks-router.server'
import { slackHooksRouter } from '~/domain/chat/slack-inbound/router.server'
import { now as clockNow } from '~/utils/clock'
import type { WebEnv } from '~/utils/env.server'
import { checkReadiness } from './health.server'
import { drainWhileShuttingDown } from './graceful-shutdown.server'
import type { Logger } from '~/utils/logger.server'
import type { ObjectStore } from '~/utils/storage/storage.server'
import { originCheck } from './origin-check.server'
import { createRemixHandler } from './remix-handler.server'
import { requestIdFrom, withRequestId } from '~/utils/request-id.server'
import { requestGuard } from './request-guard.server'
import { errorSerializer } from '~/utils/loggable-error.server'
import { securityHeaders } from './security-headers.server'
import { answerScrape } from '~/utils/metrics.server'
import type { LiveHub } from './live-hub.server'
import { liveRouter } from './live-routes.server'
import type { StatusCache } from './status-cache.server'
import { statusRouter } from './status-routes.server'
import type { WebMetrics } from './web-metrics.server'

export interface HttpAppOptions {
  env: WebEnv
  orm: MikroORM
  boss: PgBoss
  store: ObjectStore
  logger: Logger
  /** Returns the current Remix build; in development it changes on every rebuild. */
  getBuild: () => Promise<ServerBuild>
  /** Set while the process drains connections before exit; /readyz then answers 503. */
  isShuttingDown?: () => boolean
  publicDir?: string
  /** Request durations are recorded and GET /metrics answers (see metrics.server.ts). */
  metrics?: WebMetrics
  /** Live streams (`/live/…`) are served when the process runs a hub (see live-hub.server.ts). */
  live?: LiveHub
  /** Rendered status pages kept in memory (see status-cache.server.ts); none: read every time. */
  statusCache?: StatusCache
}

const SENSITIVE_QUERY_KEY = /token|code|secret|key|password|signature|sig/i
/** Paths whose last segment is a secret (invitation links, inbound webhook tokens). */
const SECRET_PATH = /^(\/(?:invitations|hooks\/[\w-]+)\/)[^/?#]+/

/**
 * Path plus query, with anything that looks like a credential removed: secret path segments,
 * the values of credential-like parameters, and credentials nested in a parameter that is itself
 * a URL (`redirectTo=/x?token=…`).
 */
export function loggableUrl(url: string): string {
  const at = url.indexOf('?')
  const path = (at < 0 ? url : url.slice(0, at)).replace(SECRET_PATH, '$1[redacted]')
  if (at < 0) return path
  const params = new URLSearchParams(url.slice(at + 1))
  const safe = new URLSearchParams()
  for (const [key, value] of params) {
    safe.append(
      key,
      SENSITIVE_QUERY_KEY.test(key)
        ? '[redacted]'
        : value.includes('?') || value.startsWith('/')
          ? loggableUrl(value)
          : value,
    )
  }
  return `${path}?${safe.toString()}`
}

export function createHttpApp(options: HttpAppOptions) {
  const { env, orm, boss, logger } = options
  const development = env.NODE_ENV === 'development'
  const publicDir = options.publicDir ?? 'public'
  const app = express()

  app.disable('x-powered-by')
  // The client address (sign-in throttling, sessions, logs) is read through the proxies named by
  // TRUST_PROXY only; without it X-Forwarded-For is ignored.
  app.set('trust proxy', env.TRUST_PROXY)

  const { metrics } = options
  if (metrics) {
    // Timed from arrival to the end of the answer (or the client going away), whoever answers.
    app.use((req, res, next) => {
      const started = performance.now()
      res.once('close', () =>
        metrics.observeRequest(
          { method: req.method, pathname: req.path },
          res.statusCode,
          (performance.now() - started) / 1000,
        ),
      )
      next()
    })
  }

  app.use(
    pinoHttp({
      logger,
      genReqId: (req: IncomingMessage, res: ServerResponse) => {
        const id = requestIdFrom(req.headers['x-request-id'])
        res.setHeader('X-Request-Id', id)
        return id
      },
      // Health probes every few seconds would drown the log.
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      customLogLevel: (_req, res, error) =>
        error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      serializers: {
        req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: loggableUrl(req.url),
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
        // Database errors are logged without the values their statements carried.
        err: errorSerializer,
      },
      // The line that ends a request names it like every other line of it (see below).
      customSuccessObject: (req, _res, value: object) => ({ ...value, reqId: req.id }),
      customErrorObject: (req, _res, _error, value: object) => ({ ...value, reqId: req.id }),
    }),
  )
  // Everything the request does from here on runs as its work: log lines name it, and jobs and
  // events it causes carry it to the worker (see request-id.server.ts).
  app.use((req, _res, next) => withRequestId(String(req.id), next))

  // Every response carries the security headers, health probes included.
  app.use(securityHeaders({ development, https: env.APP_URL.startsWith('https://') }))

  app.get('/healthz', (_req, res) => {
    res
      .set('Cache-Control', 'no-store')
      .json({ status: 'ok', uptimeSeconds: Math.round(process.uptime()) })
  })
  app.get('/readyz', async (_req, res) => {
    res.set('Cache-Control', 'no-store')
    if (options.isShuttingDown?.()) {
      res.status(503).json({ status: 'unavailable', reason: 'shutting down' })
      return
    }
    const readiness = await checkReadiness(orm)
    res.status(readiness.status === 'ok' ? 200 : 503).json(readiness)
  })
  // Only with METRICS_TOKEN, and only to its bearer; otherwise 404 here, as if there were nothing
  // (METRICS_PORT serves a listener of its own on loopback; see server.ts and docs/operations.md).
  app.get('/metrics', (req, res) =>
    answerScrape(req, res, {
      token: env.METRICS_TOKEN,
      open: false,
      render: metrics ? metrics.render : () => Promise.reject(new Error('metrics are off')),
      logger,
    }),
  )
  // While the process stops, reads go elsewhere and every connection closes after its answer.
  app.use(drainWhileShuttingDown(() => options.isShuttingDown?.() ?? false))

  // Before compression, which would hold events back until a buffer fills.
  if (options.live) {
    app.use(
      liveRouter({
        hub: options.live,
        context: { env, orm, boss, store: options.store },
        logger,
      }),
    )
  }

  if (env.COMPRESSION !== 'off') {
    app.use(compression({ level: env.COMPRESSION }))
    app.use(coalesceFlushes)
  }
  app.use(originCheck({ appUrl: env.APP_URL, exemptPrefixes: ['/hooks/', '/api/'] }))
  app.use(requestGuard({ jsonPrefixes: ['/hooks/', '/api/'] }))
  // The public status pages (and their custom host names): no session, cacheable, before Remix.
  app.use(
    statusRouter({
      orm,
      boss,
      appUrl: env.APP_URL,
      secret: env.SESSION_SECRET,
      logger,
      cache: options.statusCache,
      now: clockNow,
    }),
  )
  // Slack's requests first: the alert hooks' /hooks/<kind>/<token> would take them too.
  app.use(slackHooksRouter({ orm, boss, env, logger, now: clockNow }))
  // Inbound alerts are machines' requests: answered here, before Remix (see hooks-router).
  app.use(hooksRouter({ orm, boss, logger, maxBytes: env.ALERT_MAX_BYTES }))

  // Fingerprinted build assets never change under the same name.
  app.use(
    '/build',
    express.static(`${publicDir}/build`, { immutable: true, maxAge: '1y', index: false }),
  )
  app.use('/build', (_req, res) => {
    res.status(404).type('text/plain').send('Not found')
  })
  // Every file in public/ has an extension; a page path need not wait for a disk lookup.
  const publicFiles = express.static(publicDir, { maxAge: '1h', index: false })
  app.use((req, res, next) => (path.extname(req.path) ? publicFiles(req, res, next) : next()))

  // Given a function, Remix derives its route tree and matchers again on every request; one
  // handler per build object derives them once (and again only after a rebuild in development),
  // and matches each request against the routes its path can involve (remix-handler.server.ts).
  let handlerBuild: ServerBuild | null = null
  let remixHandler: ReturnType<typeof createRemixHandler> | null = null
  const handleRequest: ReturnType<typeof createRemixHandler> = async (request, context) => {
    const build = await options.getBuild()
    if (build !== handlerBuild || !remixHandler) {
      remixHandler = createRemixHandler(build, env.NODE_ENV)
      handlerBuild = build
      metrics?.useBuild(build)
    }
    return remixHandler(request, context)
  }
  app.all('*', async (req, res, next) => {
    // One database unit per request: every loader and action of it shares one connection and
    // one transaction, committed before the response is sent (see db/tenant.ts).
    const unit = new RequestUnit(orm)
    try {
      const request = createRemixRequest(req, res)
      const context: AppLoadContext = {
        env,
        orm,
        boss,
        store: options.store,
        logger: (req as unknown as { log: Logger }).log ?? logger,
        nonce: String(res.locals.cspNonce),
        requestId: String((req as unknown as { id: string }).id),
        clientIp: req.ip ?? req.socket.remoteAddress ?? 'unknown',
        documentMarkup: asksForData(req) ? undefined : new Map(),
      }
      let response = await RequestUnit.enter(unit, () => handleRequest(request, context))
      try {
        await unit.finish()
      } catch (error) {
        context.logger.error({ err: error }, 'could not commit the request’s database work')
        response = unit.unavailable ? unavailableResponse() : failedResponse()
      }
      if (unit.unavailable && response.status >= 500) {
        context.logger.warn('database busy or unreachable: answered 503')
        response = unavailableResponse()
      }
      await sendRemixResponse(res, response)
      discardUnreadBody(req)
    } catch (error) {
      await unit.discard()
      next(error)
    }
  })

  // Express's own last handler would print the whole error, values of a failed statement
  // included, to stderr; this one logs it through the serializer and answers a plain 500.
  app.use(
    (error: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
      const log = (req as unknown as { log?: Logger }).log ?? logger
      log.error({ err: error }, 'request failed')
      if (res.headersSent) {
        res.destroy()
        return
      }
      res
        .status(500)
        .set('Cache-Control', 'no-store')
        .type('text/plain')
        .send('Something went wrong on our side. Nothing more is known here; please try again.')
    },
  )

  return app
}

/**
 * Remix flushes the response after every chunk it streams (two dozen per page), and each flush of
 * the compression stream is a full zlib flush that restarts the dictionary: more CPU and bigger
 * pages. Flushes asked for in one turn of the event loop become one, still before the next turn,
 * so nothing waits longer than it did.
 */
function coalesceFlushes(
  _req: express.Request,
  res: express.Response & { flush?: () => void },
  next: express.NextFunction,
) {
  const flush = res.flush
  if (typeof flush === 'function') {
    let pending = false
    res.flush = () => {
      if (pending) return
      pending = true
      setImmediate(() => {
        pending = false
        if (!res.writableEnded) flush.call(res)
      })
    }
  }
  next()
}

/** A single-fetch `.data` request or a legacy `?_data=` one: Remix answers data, not a document. */
function asksForData(req: express.Request) {
  return req.path.endsWith('.data') || /[?&]_data(?:[=&]|$)/.test(req.originalUrl)
}

/**
 * An action that answered without reading the whole body (a refusal: 403, 415…) leaves the rest
 * of it on a keep-alive connection, where it is not drained for the next request (Remix's body
 * stream holds it): that request then fails with a reset connection. The rest is read and dropped.
 */
function discardUnreadBody(req: IncomingMessage) {
  if (req.complete || req.destroyed) return
  req.removeAllListeners('data')
  req.on('data', () => {})
  req.on('error', () => {})
  req.resume()
}

const RETRY_AFTER_SECONDS = 5

/** The page for a request that found the database busy or unreachable: try again shortly. */
function unavailableResponse() {
  return new Response(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Busy · IncidentFlow</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>IncidentFlow is busy</h1>
<p>The database did not answer in time, so nothing was changed. Try again in ${RETRY_AFTER_SECONDS} seconds.</p>
<p><a href="">Try again</a></p></body></html>`,
    {
      status: 503,
      headers: {
        'Content-Type': 'text/html; charset=utf-8',
        'Retry-After': String(RETRY_AFTER_SECONDS),
        'Cache-Control': 'no-store',
      },
    },
  )
}

function failedResponse() {
  return new Response('The change could not be saved. Nothing was changed; please try again.', {
    status: 500,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' },
  })
}
