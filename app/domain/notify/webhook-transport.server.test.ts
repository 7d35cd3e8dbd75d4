import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { WebhookTargetError } from './ssrf.server'
import {
  createWebhookTransport,
  DestinationBusyError,
  type WebhookTransport,
} from './webhook-transport.server'

let server: Server
let url: URL
let connections = 0
const bodies: string[] = []
/** Answers held back by the next requests (`hold`), released by the test. */
const held: ServerResponse[] = []
let holdNext = 0

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      bodies.push(body)
      if (holdNext > 0) {
        holdNext -= 1
        held.push(res)
        return
      }
      res.writeHead(202, { 'retry-after': '7' })
      res.end('accepted')
    })
  })
  server.on('connection', () => (connections += 1))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`)
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

let transport: WebhookTransport | undefined
afterEach(() => {
  for (const res of held.splice(0)) res.end()
  holdNext = 0
  bodies.length = 0
  transport?.close()
  transport = undefined
})

const post = (t: WebhookTransport, body: string, timeoutMs = 2_000) =>
  t.post(url, body, { 'content-type': 'application/json' }, timeoutMs)

describe('the webhook transport', () => {
  it('posts over one kept connection to a destination, answer by answer', async () => {
    transport = createWebhookTransport({ allowedHosts: '127.0.0.1' })
    const before = connections
    for (let i = 0; i < 5; i++) {
      await expect(post(transport, `{"n":${i}}`)).resolves.toEqual({
        statusCode: 202,
        retryAfter: '7',
        body: 'accepted',
      })
    }
    expect(bodies).toEqual([0, 1, 2, 3, 4].map((i) => `{"n":${i}}`))
    expect(connections - before).toBe(1)
  })

  it('opens at most the configured number of connections to one destination', async () => {
    transport = createWebhookTransport({ allowedHosts: '127.0.0.1', maxSocketsPerDestination: 3 })
    const before = connections
    await Promise.all(Array.from({ length: 12 }, (_, i) => post(transport!, `{"n":${i}}`)))
    expect(bodies).toHaveLength(12)
    expect(connections - before).toBe(3)
  })

  it('gives up on a request that found no free connection in time, without sending it', async () => {
    transport = createWebhookTransport({ allowedHosts: '127.0.0.1', maxSocketsPerDestination: 1 })
    holdNext = 1
    const first = post(transport, '{"n":1}', 5_000)
    const second = post(transport, '{"n":2}', 300)
    await expect(second).rejects.toBeInstanceOf(DestinationBusyError)
    // Only the first reached the receiver; it is still waiting for its answer.
    expect(bodies).toEqual(['{"n":1}'])
    held.shift()!.end('late')
    await expect(first).resolves.toMatchObject({ statusCode: 200, body: 'late' })
  })

  it('times an attempt from the moment it has a connection', async () => {
    transport = createWebhookTransport({ allowedHosts: '127.0.0.1' })
    holdNext = 1
    const started = Date.now()
    await expect(post(transport, '{}', 300)).rejects.toThrow('No answer within 0.3 s')
    expect(Date.now() - started).toBeLessThan(2_000)
  })

  it('refuses a non-public destination unless it is allowed', async () => {
    transport = createWebhookTransport({ allowedHosts: undefined })
    await expect(post(transport, '{}')).rejects.toBeInstanceOf(WebhookTargetError)
    expect(bodies).toEqual([])
  })
})
