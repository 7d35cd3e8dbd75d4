import { createServer, type RequestListener } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A loopback webhook receiver for benchmarks: answers every POST with 200 (at once, or after
 * `answerDelayMs` as a remote receiver would) and counts what arrived, with the times of the
 * first and last request, and the distinct `webhook-id`s among them (a repeated id is a message
 * received twice). Bodies are read and dropped.
 */
export interface WebhookReceiver {
  /** One URL per port listened on (`ports`): each is a destination of its own to a sender. */
  urls: string[]
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

export async function startWebhookReceiver(
  options: { answerDelayMs?: number; ports?: number } = {},
): Promise<WebhookReceiver> {
  let received = 0
  let repeated = 0
  let ids = new Set<string>()
  let firstAt: number | null = null
  let lastAt: number | null = null
  const handle: RequestListener = (req, res) => {
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
      const answer = () => {
        res.writeHead(200, { 'content-type': 'text/plain' })
        res.end('ok')
      }
      if (options.answerDelayMs) setTimeout(answer, options.answerDelayMs)
      else answer()
    })
  }
  // One server per port, so each is a separate destination (host and port) to the sender.
  const servers = Array.from({ length: Math.max(1, options.ports ?? 1) }, () =>
    createServer(handle),
  )
  const urls: string[] = []
  for (const one of servers) {
    await new Promise<void>((resolve) => one.listen(0, '127.0.0.1', resolve))
    urls.push(`http://127.0.0.1:${(one.address() as AddressInfo).port}/hooks/incidentflow`)
  }
  return {
    urls,
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
    close: async () => {
      await Promise.all(
        servers.map(
          (one) =>
            new Promise<void>((resolve, reject) => {
              one.closeAllConnections()
              one.close((error) => (error ? reject(error) : resolve()))
            }),
        ),
      )
    },
  }
}
