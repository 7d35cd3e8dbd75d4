import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A loopback HTTP server that stands in for Resend's hosted API (api.resend.com cannot be reached
 * from the test machines). The real `resend` SDK talks to it over HTTP, so everything on our side
 * of the network boundary — SDK, headers, JSON, status handling — is the production code path.
 * It answers like Resend: 200 `{ id }` for POST /emails, errors as `{ statusCode, name, message }`.
 */
export interface SinkRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: {
    from?: string
    to?: string[]
    subject?: string
    text?: string
    html?: string
  }
}

export type SinkReply = { status: number; body: unknown }

export interface ResendSink {
  baseUrl: string
  requests: SinkRequest[]
  /** The next replies, in order; when empty the sink accepts the e-mail. */
  replies: SinkReply[]
  close: () => Promise<void>
}

export async function startResendSink(): Promise<ResendSink> {
  const requests: SinkRequest[] = []
  const replies: SinkReply[] = []
  let sent = 0
  const server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (raw += chunk))
    req.on('end', () => {
      let body: SinkRequest['body'] = {}
      try {
        body = raw ? (JSON.parse(raw) as SinkRequest['body']) : {}
      } catch {
        // Recorded as an empty body; the assertions will show it.
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body })
      const reply =
        replies.shift() ??
        (req.method === 'POST' && req.url === '/emails'
          ? { status: 200, body: { id: `sink-message-${++sent}` } }
          : {
              status: 404,
              body: { statusCode: 404, name: 'not_found', message: 'Route not found' },
            })
      res.writeHead(reply.status, { 'content-type': 'application/json' })
      res.end(JSON.stringify(reply.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    replies,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
