import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A fake of a hosted OpenAI-compatible chat-completions API (`POST /v1/chat/completions`), on
 * 127.0.0.1 at a random port. The hosted API cannot be reached from where the tests run, so this
 * speaks its wire format at the HTTP boundary: the product's real client sends real requests
 * here. It records every request and answers with the reply the test queued: a draft in the
 * agreed JSON, any message content (e.g. not JSON), an HTTP error, or a reply held back longer
 * than the client waits.
 */

export interface RecordedCompletionRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  /** The parsed JSON body (model, messages, response_format, …). */
  body: {
    model?: string
    messages?: Array<{ role: string; content: string }>
    response_format?: { type: string }
  }
}

export type DraftStatementReply = { text: string; events?: Array<string | number> }

export type CompletionReply =
  /** A completion whose message is the given sections as JSON. */
  | { kind: 'draft'; sections: Record<string, DraftStatementReply[]>; model?: string }
  /** A completion whose message content is exactly this text. */
  | { kind: 'content'; content: string; finishReason?: string }
  /** An HTTP error with an OpenAI-style error body. */
  | { kind: 'error'; status: number; message: string }
  /** Waits this long, then answers like `draft`. */
  | { kind: 'slow'; delayMs: number; sections: Record<string, DraftStatementReply[]> }

export interface ChatCompletionsFake {
  /** `http://127.0.0.1:<port>/v1`: what LLM_BASE_URL is set to. */
  baseUrl: string
  requests: RecordedCompletionRequest[]
  /** Replies used in order; when none is queued, a one-statement draft citing E1. */
  replies: CompletionReply[]
  reset: () => void
  close: () => Promise<void>
}

const DEFAULT_REPLY: CompletionReply = {
  kind: 'draft',
  sections: { summary: [{ text: 'The incident was declared.', events: ['E1'] }] },
}

export async function startChatCompletionsFake(): Promise<ChatCompletionsFake> {
  const requests: RecordedCompletionRequest[] = []
  const replies: CompletionReply[] = []
  const timers = new Set<NodeJS.Timeout>()

  const server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (raw += chunk))
    req.on('end', () => {
      let body: RecordedCompletionRequest['body'] = {}
      try {
        body = JSON.parse(raw) as RecordedCompletionRequest['body']
      } catch {
        // Recorded as empty; the test asserts on what was sent.
      }
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body })
      const json = (status: number, value: unknown) => {
        if (res.destroyed) return
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(value))
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        json(404, {
          error: {
            message: `Unknown route ${req.method} ${req.url}`,
            type: 'invalid_request_error',
          },
        })
        return
      }
      const completion = (content: string, finishReason = 'stop', model?: string) => ({
        id: `chatcmpl-${requests.length}`,
        object: 'chat.completion',
        created: 1_767_225_600,
        model: model ?? body.model ?? 'unknown',
        choices: [
          { index: 0, message: { role: 'assistant', content }, finish_reason: finishReason },
        ],
        usage: { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 },
      })
      const reply = replies.shift() ?? DEFAULT_REPLY
      switch (reply.kind) {
        case 'draft':
          json(200, completion(JSON.stringify({ sections: reply.sections }), 'stop', reply.model))
          return
        case 'content':
          json(200, completion(reply.content, reply.finishReason))
          return
        case 'error':
          json(reply.status, { error: { message: reply.message, type: 'server_error' } })
          return
        case 'slow': {
          const timer = setTimeout(() => {
            timers.delete(timer)
            json(200, completion(JSON.stringify({ sections: reply.sections })))
          }, reply.delayMs)
          timers.add(timer)
          return
        }
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    replies,
    reset: () => {
      requests.length = 0
      replies.length = 0
    },
    close: async () => {
      for (const timer of timers) clearTimeout(timer)
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
