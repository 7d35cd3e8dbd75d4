/**
 * A Server-Sent-Events reader for tests: opens a stream with fetch, parses messages as the
 * browser's EventSource does (event, id, data; comment lines kept apart) and lets a test wait for
 * the next message that matches. Waiting is bounded by the test's own timeout, never by a timer.
 */

export interface SseMessage {
  event: string
  id: string | null
  data: unknown
}

export interface SseStream {
  status: number
  headers: Headers
  /** Every message so far, in order. */
  messages: SseMessage[]
  /** Comment lines (`: heartbeat`) so far. */
  comments: string[]
  /** The `retry:` hints seen. */
  retries: number[]
  /** Resolves with the first message (from now on or already seen after `from`) that matches. */
  next: (match: (m: SseMessage) => boolean, from?: number) => Promise<SseMessage>
  /** Resolves once a comment line containing `text` has arrived. */
  nextComment: (text: string) => Promise<void>
  /** Resolves when the server ends the stream. */
  ended: Promise<void>
  close: () => void
  /** The body text of a refused (non-200) answer. */
  text: string
}

export async function openSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<SseStream> {
  const controller = new AbortController()
  const response = await fetch(url, {
    headers: { Accept: 'text/event-stream', ...headers },
    signal: controller.signal,
    redirect: 'manual',
  })
  const messages: SseMessage[] = []
  const comments: string[] = []
  const retries: number[] = []
  let waiters: Array<() => void> = []
  const wake = () => {
    const current = waiters
    waiters = []
    for (const w of current) w()
  }
  let done = false
  const changed = () =>
    new Promise<void>((resolve) => {
      waiters.push(resolve)
    })

  let text = ''
  let ended: Promise<void> = Promise.resolve()
  if (response.status === 200 && response.body) {
    const reader = response.body.getReader()
    const decoder = new TextDecoder()
    let buffer = ''
    ended = (async () => {
      try {
        for (;;) {
          const { value, done: finished } = await reader.read()
          if (finished) break
          buffer += decoder.decode(value, { stream: true })
          let at: number
          while ((at = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, at)
            buffer = buffer.slice(at + 2)
            let event = 'message'
            let id: string | null = null
            const data: string[] = []
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) comments.push(line.slice(1).trim())
              else if (line.startsWith('event: ')) event = line.slice(7)
              else if (line.startsWith('id: ')) id = line.slice(4)
              else if (line.startsWith('data: ')) data.push(line.slice(6))
              else if (line.startsWith('retry: ')) retries.push(Number(line.slice(7)))
            }
            if (data.length > 0) messages.push({ event, id, data: JSON.parse(data.join('\n')) })
          }
          wake()
        }
      } catch {
        // Aborted by close().
      } finally {
        done = true
        wake()
      }
    })()
  } else {
    text = await response.text()
    done = true
  }

  return {
    status: response.status,
    headers: response.headers,
    messages,
    comments,
    retries,
    text,
    ended,
    next: async (match, from = 0) => {
      for (;;) {
        const found = messages.slice(from).find(match)
        if (found) return found
        if (done) throw new Error('the stream ended without a matching message')
        await changed()
      }
    },
    nextComment: async (wanted) => {
      for (;;) {
        if (comments.some((c) => c.includes(wanted))) return
        if (done) throw new Error('the stream ended without that comment')
        await changed()
      }
    },
    close: () => controller.abort(),
  }
}
