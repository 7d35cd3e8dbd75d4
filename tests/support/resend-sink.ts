import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A loopback HTTP server that stands in for Resend's hosted API (api.resend.com cannot be reached
 * from the test machines). The real `resend` SDK talks to it over HTTP, so everything on our side
 * of the network boundary — SDK, headers, JSON, status handling — is the production code path.
 * It answers like Resend: 200 `{ id }` for POST /emails, errors as `{ statusCode, name, message }`.
 *
 * Like Resend, it honours the `Idempotency-Key` header: a repeat of a key accepted in the last
 * 24 hours gets the first answer back and creates no second e-mail; a repeat while the first
 * request is still being answered gets 409 `concurrent_idempotent_requests`; the same key with
 * another payload gets 409 `invalid_idempotent_request`.
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

/** An e-mail the sink accepted (a new one, not a replay of an idempotency key). */
export interface AcceptedEmail {
  id: string
  idempotencyKey: string | null
  request: SinkRequest
  /** `performance.now()` when it was accepted (benchmarks time deliveries with it). */
  acceptedAt: number
}

/** A held answer: the e-mail is accepted, but its answer waits for `release()`. */
export interface HeldAnswer {
  /** Resolves with the request once it has arrived. */
  received: Promise<SinkRequest>
  /** Sends the answer (a no-op if the client has gone). */
  release: () => void
}

export interface ResendSink {
  baseUrl: string
  /** Every request, in arrival order, replays included. */
  requests: SinkRequest[]
  /** E-mails accepted: what Resend would actually send. */
  emails: AcceptedEmail[]
  /** The next replies, in order; when empty the sink accepts the e-mail. */
  replies: SinkReply[]
  /** Holds the answer to the next e-mail it accepts until released (or the client leaves). */
  holdNext: () => HeldAnswer
  close: () => Promise<void>
}

const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000

interface KeyRecord {
  payload: string
  acceptedAt: number
  /** Null while the first request is still being answered. */
  reply: SinkReply | null
}

export interface ResendSinkOptions {
  /** Answer each accepted e-mail this long after it arrived, as a remote service would. */
  answerDelayMs?: number
}

export async function startResendSink(options: ResendSinkOptions = {}): Promise<ResendSink> {
  const requests: SinkRequest[] = []
  const emails: AcceptedEmail[] = []
  const replies: SinkReply[] = []
  const keys = new Map<string, KeyRecord>()
  const holds: Array<{ resolve: (request: SinkRequest) => void; released: Promise<void> }> = []
  let sent = 0

  const error = (status: number, name: string, message: string): SinkReply => ({
    status,
    body: { statusCode: status, name, message },
  })

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
      const request: SinkRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
      }
      requests.push(request)
      const answer = (reply: SinkReply) => {
        if (res.destroyed) return
        res.writeHead(reply.status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(reply.body))
      }

      const scripted = replies.shift()
      if (scripted) return answer(scripted)
      if (req.method !== 'POST' || req.url !== '/emails')
        return answer(error(404, 'not_found', 'Route not found'))

      const key =
        typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : null
      const now = Date.now()
      const known = key ? keys.get(key) : undefined
      if (key && known && now - known.acceptedAt < IDEMPOTENCY_WINDOW_MS) {
        if (known.payload !== raw)
          return answer(
            error(
              409,
              'invalid_idempotent_request',
              'Same idempotency key used with a different request payload. Change your idempotency key or payload.',
            ),
          )
        if (!known.reply)
          return answer(
            error(
              409,
              'concurrent_idempotent_requests',
              'Same idempotency key used while original request is still in progress. Try the request again later.',
            ),
          )
        return answer(known.reply)
      }

      const id = `sink-message-${++sent}`
      emails.push({ id, idempotencyKey: key, request, acceptedAt: performance.now() })
      const reply: SinkReply = { status: 200, body: { id } }
      const record: KeyRecord = { payload: raw, acceptedAt: now, reply: null }
      if (key) keys.set(key, record)
      const finish = () => {
        record.reply = reply
        answer(reply)
      }
      const hold = holds.shift()
      if (!hold && options.answerDelayMs) {
        setTimeout(finish, options.answerDelayMs)
        return
      }
      if (!hold) return finish()
      // The e-mail is accepted either way; a client that goes away before the answer only misses
      // the answer, as with the real service.
      res.once('close', () => (record.reply = reply))
      hold.resolve(request)
      void hold.released.then(finish)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    emails,
    replies,
    holdNext: () => {
      let resolve!: (request: SinkRequest) => void
      let release!: () => void
      const received = new Promise<SinkRequest>((r) => (resolve = r))
      const released = new Promise<void>((r) => (release = r))
      holds.push({ resolve, released })
      return { received, release }
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
