import http from 'node:http'
import https from 'node:https'
import { guardedAgent } from './ssrf.server'

/** How much of a failed answer's body is kept as its error. */
const ERROR_BODY_CHARS = 300
/** Distinct destinations (scheme, host, port) whose connections are kept; the oldest go first. */
const MAX_DESTINATIONS = 500

export interface TransportOptions {
  /** WEBHOOK_ALLOWED_HOSTS: hosts exempt from the refusal of non-public addresses. */
  allowedHosts: string | undefined
  /** Connections to one destination at most, per worker process. */
  maxSocketsPerDestination?: number
  /** Idle kept connections close after this long, or sooner if the receiver says so. */
  idleTimeoutMs?: number
}

export interface Answer {
  statusCode: number
  retryAfter: string | null
  body: string
}

/**
 * The request never left: every connection to its destination stayed busy for the whole wait.
 * Not an attempt — the receiver saw nothing — so the delivery is simply tried again later.
 */
export class DestinationBusyError extends Error {
  constructor(waitedMs: number) {
    super(`Every connection to the destination stayed busy for ${waitedMs / 1000} s`)
    this.name = 'DestinationBusyError'
  }
}

export interface WebhookTransport {
  /**
   * One POST with no redirects followed. It waits at most `timeoutMs` for a connection to the
   * destination (then rejects with DestinationBusyError), and from the moment it has one, at most
   * `timeoutMs` for the whole answer.
   */
  post(url: URL, body: string, headers: Record<string, string>, timeoutMs: number): Promise<Answer>
  /** Closes every kept connection. */
  close(): void
}

/**
 * Connections kept open per destination (scheme, host and port), so a busy endpoint costs one
 * TCP (and TLS) handshake per connection instead of one per delivery. Each destination's agent
 * checks every new connection against the SSRF rules (`guardedAgent`), and the transport is
 * built for one WEBHOOK_ALLOWED_HOSTS value, so a connection opened under one allow-list is never
 * reused under another.
 */
export function createWebhookTransport(options: TransportOptions): WebhookTransport {
  const maxSockets = options.maxSocketsPerDestination ?? 16
  const idleTimeoutMs = options.idleTimeoutMs ?? 15_000
  const agents = new Map<string, http.Agent>()

  const agentFor = (url: URL) => {
    const key = `${url.protocol}//${url.host}`
    let agent = agents.get(key)
    if (agent) {
      // Most recently used last, so the map's first entry is the one to let go of.
      agents.delete(key)
      agents.set(key, agent)
      return agent
    }
    agent = guardedAgent(url.protocol === 'https:' ? 'https:' : 'http:', options.allowedHosts, {
      maxSockets,
      idleTimeoutMs,
    })
    agents.set(key, agent)
    if (agents.size > MAX_DESTINATIONS) {
      const [oldestKey, oldest] = agents.entries().next().value as [string, http.Agent]
      agents.delete(oldestKey)
      // Requests still using it finish; its idle connections time out by themselves.
      if (Object.keys(oldest.sockets).length === 0) oldest.destroy()
    }
    return agent
  }

  const once = (
    url: URL,
    body: string,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<Answer & { reusedSocket: boolean }> =>
    new Promise((resolve, reject) => {
      let settled = false
      const settle = (outcome: () => void) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        outcome()
      }
      const client = url.protocol === 'https:' ? https : http
      const request = client.request(url, {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: agentFor(url),
      })
      const timeout = () => new Error(`No answer within ${timeoutMs / 1000} s`)
      let timedOut = false
      // First the wait for a connection: a request still queued behind busy connections when it
      // ends was never sent. A destroyed queued request only reports its error once a connection
      // frees up, so it is settled here.
      let timer = setTimeout(() => {
        settle(() => reject(new DestinationBusyError(timeoutMs)))
        request.destroy()
      }, timeoutMs)
      request.once('socket', () => {
        clearTimeout(timer)
        if (settled) return
        // Then the attempt: connecting (unless the connection is a kept one) to the last byte.
        timer = setTimeout(() => {
          timedOut = true
          request.destroy(timeout())
        }, timeoutMs)
      })
      request.on('error', (error) =>
        settle(() => reject(Object.assign(error, { reusedSocket: request.reusedSocket }))),
      )
      request.on('response', (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          if (text.length < ERROR_BODY_CHARS) text += chunk
        })
        response.on('error', (error) => settle(() => reject(error)))
        // Cut off mid-answer (the timeout, a reset): settled here unless 'end' came first.
        response.on('close', () => {
          if (!response.complete)
            settle(() =>
              reject(
                timedOut ? timeout() : new Error('The connection closed before the answer ended'),
              ),
            )
        })
        response.on('end', () => {
          const retryAfter = response.headers['retry-after']
          settle(() =>
            resolve({
              statusCode: response.statusCode ?? 0,
              retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
              body: text.slice(0, ERROR_BODY_CHARS),
              reusedSocket: request.reusedSocket,
            }),
          )
        })
      })
      request.end(body)
    })

  return {
    async post(url, body, headers, timeoutMs) {
      try {
        const { reusedSocket: _, ...answer } = await once(url, body, headers, timeoutMs)
        return answer
      } catch (error) {
        // A kept connection the receiver closed just as it was reused fails before any answer;
        // the request is made once more (a receiver that did see it gets the same webhook-id).
        const { reusedSocket, code } = error as { reusedSocket?: boolean; code?: string }
        if (reusedSocket && (code === 'ECONNRESET' || code === 'EPIPE')) {
          const { reusedSocket: _, ...answer } = await once(url, body, headers, timeoutMs)
          return answer
        }
        throw error
      }
    },
    close() {
      for (const agent of agents.values()) agent.destroy()
      agents.clear()
    },
  }
}

const shared = new Map<string, WebhookTransport>()

/**
 * The process's transport for one WEBHOOK_ALLOWED_HOSTS value, made on first use and kept, so
 * webhook deliveries and Teams cards reuse its connections across batches.
 */
export function sharedWebhookTransport(allowedHosts: string | undefined): WebhookTransport {
  const key = allowedHosts ?? ''
  let transport = shared.get(key)
  if (!transport) {
    transport = createWebhookTransport({ allowedHosts })
    shared.set(key, transport)
  }
  return transport
}
