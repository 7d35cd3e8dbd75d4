import { AsyncLocalStorage } from 'node:async_hooks'
import { randomUUID } from 'node:crypto'

/**
 * The request a piece of work was caused by. A web request runs inside its id; work it causes
 * later carries the id along — a job's payload (`~/queue/send.server.ts`), an `event_outbox`
 * row — and the worker runs that work inside the same id again. Every log line written meanwhile
 * names it (`reqId`, see logger.server.ts), so one change can be followed from the form post to
 * the e-mail.
 */

/** What an incoming X-Request-Id may look like to be kept (a proxy's or a client's own id). */
const ACCEPTABLE = /^[\w.:-]{8,64}$/

interface Trace {
  requestId: string
}

/**
 * Process-wide, like db/tenant.ts's stores: the Remix build bundles its own copy of this module
 * beside the server's, and both must see the same request.
 */
const traces: AsyncLocalStorage<Trace> = (() => {
  const key = Symbol.for('incidentflow.requestId')
  const registry = globalThis as unknown as Record<symbol, AsyncLocalStorage<Trace> | undefined>
  return (registry[key] ??= new AsyncLocalStorage<Trace>())
})()

/** The id to keep from a client's or proxy's header, if it is a sane one. */
export function acceptableRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && ACCEPTABLE.test(value) ? value : undefined
}

/** An incoming id if sane, else a new one. */
export function requestIdFrom(incoming: unknown): string {
  return acceptableRequestId(incoming) ?? randomUUID()
}

/** The id of the request the running code works for, if any. */
export function currentRequestId(): string | undefined {
  return traces.getStore()?.requestId
}

/**
 * Runs `fn` as work of request `requestId`; with no (or an unusable) id, as work of no request,
 * so a job without one never inherits the id of whatever ran before it.
 */
export function withRequestId<T>(requestId: unknown, fn: () => T): T {
  const id = acceptableRequestId(requestId)
  return id ? traces.run({ requestId: id }, fn) : traces.exit(fn)
}
