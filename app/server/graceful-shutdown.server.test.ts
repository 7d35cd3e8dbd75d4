import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { drainServer, drainWhileShuttingDown } from './graceful-shutdown.server'
import { createLogger } from '~/utils/logger.server'

const logger = createLogger({ name: 'test', level: 'silent', pretty: false })

interface Answer {
  status: number
  body: string
  headers: Record<string, string | string[] | undefined>
}

/** One request on a connection of its own. */
function send(port: number, method: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }))
    })
    req.on('error', reject)
    req.end(method === 'POST' ? 'x=1' : undefined)
  })
}

let server: Server | undefined
afterEach(() => {
  server?.closeAllConnections()
  server?.close()
  server = undefined
})

/** An app whose routes count their runs; `/slow` waits until `release` is called. */
async function start() {
  let shuttingDown = false
  const runs = { get: 0, post: 0 }
  let release = () => {}
  const released = new Promise<void>((resolve) => (release = resolve))
  let slowStarted = () => {}
  const slowRunning = new Promise<void>((resolve) => (slowStarted = resolve))
  const app = express()
  app.get('/readyz', (_req, res) => {
    res.status(shuttingDown ? 503 : 200).send(shuttingDown ? 'unavailable' : 'ok')
  })
  app.use(drainWhileShuttingDown(() => shuttingDown))
  app.get('/page', (_req, res) => {
    runs.get += 1
    res.send('page')
  })
  app.post('/comment', (_req, res) => {
    runs.post += 1
    res.redirect(303, '/page')
  })
  app.get('/slow', async (_req, res) => {
    slowStarted()
    await released
    res.send('finished')
  })
  server = createServer(app)
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    server,
    port,
    runs,
    release,
    slowRunning,
    shutDown: () => {
      shuttingDown = true
    },
  }
}

describe('a web process shutting down', () => {
  it('answers reads 503 without running them, serves writes, and closes every connection', async () => {
    const app = await start()
    expect((await send(app.port, 'GET', '/page')).status).toBe(200)
    app.shutDown()

    const ready = await send(app.port, 'GET', '/readyz')
    expect(ready.status).toBe(503)
    const read = await send(app.port, 'GET', '/page')
    expect(read.status).toBe(503)
    expect(read.headers['retry-after']).toBe('1')
    expect(read.headers.connection).toBe('close')
    expect(read.body).toContain('shutting down')
    expect(app.runs.get).toBe(1)

    const write = await send(app.port, 'POST', '/comment')
    expect(write.status).toBe(303)
    expect(write.headers.connection).toBe('close')
    expect(app.runs.post).toBe(1)
  })

  it('keeps listening while requests keep arriving, then refuses connections and finishes the one in flight', async () => {
    const app = await start()
    const inFlight = send(app.port, 'GET', '/slow')
    await app.slowRunning
    app.shutDown()
    const drained = drainServer(app.server, {
      quietMs: 2_000,
      maxDrainMs: 120_000,
      forceAfterMs: 120_000,
      logger,
    })

    // Back to back, each arrival restarts the quiet period: every one is answered, none refused.
    const answers: number[] = []
    for (let i = 0; i < 20; i += 1) answers.push((await send(app.port, 'GET', '/page')).status)
    expect(answers).toEqual(Array(20).fill(503))
    expect(app.server.listening).toBe(true)

    // Quiet: the listener closes, and a new connection is refused (a proxy may retry it anywhere).
    for (let i = 0; i < 2_000 && app.server.listening; i += 1) await sleep(10)
    expect(app.server.listening).toBe(false)
    const refused = await send(app.port, 'POST', '/comment').then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code,
    )
    expect(refused).toBe('ECONNREFUSED')
    expect(app.runs.post).toBe(0)

    // The request that was in flight still gets its answer, and then the drain is over.
    app.release()
    expect(await inFlight).toMatchObject({ status: 200, body: 'finished' })
    await drained
  })
})
