import type { Server } from 'node:http'
import type express from 'express'
import type { Logger } from '~/utils/logger.server'

/**
 * How a web process stops without losing a request behind a load balancer (decision 031):
 *
 * 1. On SIGTERM `/readyz` answers 503 at once, for balancers that poll it.
 * 2. The process keeps listening while the balancer learns it is going: a page read (GET, HEAD,
 *    OPTIONS) is answered 503 without being run, so a proxy retries it on another process and
 *    counts this one as failing (nginx: `proxy_next_upstream … http_503` with `max_fails`); a
 *    write that reached the process is served as usual. Every answer closes its connection.
 * 3. Once no connection or request has arrived for `quietMs` (the balancer has stopped sending),
 *    or after `maxDrainMs` at most, the listener closes: a connection attempt is then refused,
 *    which a proxy retries elsewhere even for a POST, since the request never left it.
 * 4. Requests in flight finish (cut off after `forceAfterMs`); then the caller closes its pool.
 *
 * Closing the listener at once instead would reset the connections waiting in its accept queue,
 * each one a request the proxy has already sent and may not repeat if it is a POST.
 */

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Seconds a client told "shutting down" should wait before trying again. */
const DRAIN_RETRY_AFTER_SECONDS = 1

/** Express middleware for step 2; mount it after the health routes, before everything else. */
export function drainWhileShuttingDown(isShuttingDown: () => boolean): express.RequestHandler {
  return (req, res, next) => {
    if (!isShuttingDown()) return next()
    res.setHeader('Connection', 'close')
    if (!IDEMPOTENT.has(req.method)) return next()
    res
      .status(503)
      .set({
        'Retry-After': String(DRAIN_RETRY_AFTER_SECONDS),
        'Cache-Control': 'no-store',
        'Content-Type': 'text/plain; charset=utf-8',
      })
      .send('This server is shutting down; try again.')
  }
}

export interface DrainOptions {
  /** Close the listener once nothing new has arrived for this long. */
  quietMs: number
  /** Close it after this long in any case. */
  maxDrainMs: number
  /** Cut off requests still open this long after the listener closed. */
  forceAfterMs: number
  logger: Logger
}

/**
 * Steps 3 and 4: resolves once the listener is closed and every connection has ended. Call it
 * after setting the flag `drainWhileShuttingDown` reads.
 */
export async function drainServer(server: Server, options: DrainOptions): Promise<void> {
  const started = Date.now()
  let lastArrival = started
  let arrivals = 0
  const arrived = () => {
    lastArrival = Date.now()
    arrivals += 1
  }
  server.on('connection', arrived)
  server.on('request', arrived)
  await new Promise<void>((resolve) => {
    const check = () => {
      const now = Date.now()
      if (now - lastArrival >= options.quietMs || now - started >= options.maxDrainMs) {
        resolve()
        return
      }
      const wait = Math.min(
        options.quietMs - (now - lastArrival),
        options.maxDrainMs - (now - started),
      )
      // Checked in the check phase, right after the poll phase: a connection the kernel queued
      // while a timer was late (a busy event loop) has been accepted and counted by then.
      setTimeout(() => setImmediate(check), Math.max(10, wait))
    }
    setImmediate(check)
  })
  server.off('connection', arrived)
  server.off('request', arrived)
  options.logger.info(
    { drainMs: Date.now() - started, arrivals },
    'no longer accepting connections; finishing requests in flight',
  )

  await new Promise<void>((resolve) => {
    const forced = setTimeout(() => {
      options.logger.error(`requests still open after ${options.forceAfterMs} ms; closing them`)
      server.closeAllConnections()
    }, options.forceAfterMs)
    forced.unref()
    // A kept-alive connection that finishes its request goes idle rather than closing itself.
    const idle = setInterval(() => server.closeIdleConnections(), 100)
    idle.unref()
    server.close(() => {
      clearTimeout(forced)
      clearInterval(idle)
      resolve()
    })
    server.closeIdleConnections()
  })
}
