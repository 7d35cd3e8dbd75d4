import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A webhook receiver on 127.0.0.1, as a customer would run one: it records every request as it
 * arrived (raw body included, for signature checks) and answers with the next queued reply, or
 * 200 when none is queued.
 */
export interface ReceivedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
  receivedAt: Date
}

export interface ReceiverReply {
  status: number
  headers?: Record<string, string>
  body?: string
  /** Wait this long before answering (to provoke the sender's timeout). */
  delayMs?: number
  /** Send the status line and headers, then never finish the body. */
  stallBody?: boolean
  /** Answer only once this settles (a test holds the answer back, then lets it go). */
  until?: Promise<unknown>
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string
  port: number
  requests: ReceivedRequest[]
  replies: ReceiverReply[]
  /**
   * Replies for requests to one path, in order, used before `replies`: concurrent requests to
   * several paths each get theirs whatever order they arrive in.
   */
  repliesFor: (path: string, ...replies: ReceiverReply[]) => void
  /** Forgets recorded requests and queued replies. */
  reset: () => void
  close: () => Promise<void>
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = []
  const replies: ReceiverReply[] = []
  const byPath = new Map<string, ReceiverReply[]>()
  const timers = new Set<NodeJS.Timeout>()
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        receivedAt: new Date(),
      })
      const reply = byPath.get(req.url ?? '')?.shift() ??
        replies.shift() ?? { status: 200, body: 'ok' }
      const answer = () => {
        if (res.destroyed) return
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers })
        if (reply.stallBody) res.write(reply.body ?? 'partial')
        else res.end(reply.body ?? '')
      }
      if (reply.until) {
        void reply.until.finally(answer)
        return
      }
      if (!reply.delayMs) return answer()
      const timer = setTimeout(() => {
        timers.delete(timer)
        answer()
      }, reply.delayMs)
      timers.add(timer)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    requests,
    replies,
    repliesFor: (path, ...queued) => byPath.set(path, [...(byPath.get(path) ?? []), ...queued]),
    reset: () => {
      requests.length = 0
      replies.length = 0
      byPath.clear()
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer)
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
