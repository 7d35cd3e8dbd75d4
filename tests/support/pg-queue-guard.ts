import pg from 'pg'
import { afterAll, afterEach } from 'vitest'

/**
 * One statement at a time per connection. A unit of work holds one pooled connection, so
 * `Promise.all` over queries inside it does not run them at once: pg queues them on the client,
 * prints a deprecation warning once per process, and pg@9 will refuse it. Any code path that asks
 * a busy client for another query fails the test that ran it, with the stack of the second call.
 *
 * pg's own bookkeeping tells: `_activeQuery` is the statement being answered, `_queryQueue` those
 * waiting behind it.
 */

interface QueuedClient {
  _queryQueue?: unknown[]
  _activeQuery?: unknown
}

// Test files may share a worker process (and this pg module) while this file runs once per test
// file: the driver is wrapped once, and every run of this file reads the same record.
const RECORD = Symbol.for('incidentflow.pgQueueGuard')
type Patched = typeof pg.Client.prototype & { [RECORD]?: string[] }
const prototype = pg.Client.prototype as Patched
if (!prototype[RECORD]) {
  const record: string[] = []
  prototype[RECORD] = record
  const query = prototype.query as (...args: unknown[]) => unknown
  prototype.query = function (this: pg.Client & QueuedClient, ...args: unknown[]) {
    if (this._activeQuery || (this._queryQueue?.length ?? 0) > 0) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text
      const limit = Error.stackTraceLimit
      Error.stackTraceLimit = 80
      const stack = new Error('queued here').stack ?? ''
      Error.stackTraceLimit = limit
      // The project's own frames say where; the driver's and the ORM's say nothing.
      const ours = stack
        .split('\n')
        .filter((line) => line.includes('at ') && !/node_modules|node:|pg-queue-guard/.test(line))
      record.push(`${String(text).replace(/\s+/g, ' ').slice(0, 120)}\n${ours.join('\n')}`)
    }
    return query.apply(this, args)
  } as typeof pg.Client.prototype.query
}
const found = prototype[RECORD]

function takeFound(where: string) {
  const queued = found.splice(0)
  if (queued.length)
    throw new Error(
      `A query was sent to a connection still busy with another one ${where} ` +
        `(await each statement of a unit of work in turn):\n${queued.join('\n\n')}`,
    )
}

afterEach(() => takeFound('during this test'))
afterAll(() => takeFound('after the last test'))
