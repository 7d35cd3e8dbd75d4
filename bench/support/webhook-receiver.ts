import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A loopback webhook receiver for benchmarks: answers every POST with 200 at once and counts
 * what arrived, with the times of the first and last request, and the distinct `webhook-id`s
 * among them (a repeated id is a message received twice). Bodies are read and dropped.
 */
export interface WebhookReceiver {
  url: string
  /** POST requests received. */
  received: () => number
  /** Distinct messages (webhook-id values) received. */
  distinct: () => number
  /** Requests whose webhook-id had arrived before. */
  repeated: () => number
  firstAt: () => number | null
  lastAt: () => number | null
  /** Forgets what arrived (between rounds). */
  reset: () => void
  close: () => Promise<void>
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  let received = 0
  let repeated = 0
  let ids = new Set<string>()
  let firstAt: number | null = null
  let lastAt: number | null = null
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      if (req.method === 'POST') {
        received += 1
        const id = req.headers['webhook-id']
        if (typeof id === 'string') {
          if (ids.has(id)) repeated += 1
          else ids.add(id)
        }
        lastAt = performance.now()
        firstAt ??= lastAt
      }
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/incidentflow`,
    received: () => received,
    distinct: () => ids.size,
    repeated: () => repeated,
    firstAt: () => firstAt,
    lastAt: () => lastAt,
    reset: () => {
      received = 0
      repeated = 0
      ids = new Set()
      firstAt = null
      lastAt = null
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
