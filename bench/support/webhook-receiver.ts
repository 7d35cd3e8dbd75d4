import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A loopback webhook receiver for benchmarks: answers every POST with 200 at once and counts
 * what arrived, with the times of the first and last request. Bodies are read and dropped.
 */
export interface WebhookReceiver {
  url: string
  received: () => number
  firstAt: () => number | null
  lastAt: () => number | null
  close: () => Promise<void>
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  let received = 0
  let firstAt: number | null = null
  let lastAt: number | null = null
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      if (req.method === 'POST') {
        received += 1
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
    firstAt: () => firstAt,
    lastAt: () => lastAt,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
