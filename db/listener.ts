import pg from 'pg'

export interface ListenerLogger {
  info: (object: object, message: string) => void
  warn: (object: object, message: string) => void
}

export interface ListenerOptions {
  url: string
  /**
   * A constant identifier (letters, digits, underscores), never user input; several share the
   * one connection.
   */
  channel: string | readonly string[]
  onNotification: (payload: string, channel: string) => void
  /**
   * After every successful (re)connection, once LISTEN is in place. Anything sent while there
   * was no connection is lost, so whoever relies on the notifications must start over here.
   */
  onConnected?: () => void
  /** The connection was lost; notifications are not arriving until onConnected again. */
  onDisconnected?: () => void
  logger?: ListenerLogger
  /** First reconnection delay; doubles on each failed attempt up to `maxDelayMs` (with jitter). */
  minDelayMs?: number
  maxDelayMs?: number
  /**
   * How often the idle connection is probed with `select 1`. A connection that died without a
   * FIN (a dropped network path) is only noticed by using it.
   */
  heartbeatMs?: number
}

export interface NotificationListener {
  readonly connected: boolean
  /** Resolves once LISTEN is in place (now, if it already is). */
  whenConnected: () => Promise<void>
  /**
   * Sends a notification on this connection, so it needs no pooled one; false when there is no
   * connection (the message is dropped: a sender that matters repeats itself).
   */
  notify: (channel: string, payload: string) => Promise<boolean>
  stop: () => Promise<void>
}

/**
 * One dedicated connection that LISTENs on a channel and comes back by itself: when PostgreSQL
 * restarts or the connection drops, it reconnects with exponential backoff and calls
 * `onConnected` again. It uses `pg` directly, outside the ORM's pool: a LISTEN belongs to a
 * session, and a pooled connection is handed to other work between queries.
 */
export function startListener(options: ListenerOptions): NotificationListener {
  const { url, logger } = options
  const channels = typeof options.channel === 'string' ? [options.channel] : [...options.channel]
  for (const name of channels) {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid channel name: ${name}`)
  }
  const channel = channels.join(',')
  const minDelayMs = options.minDelayMs ?? 250
  const maxDelayMs = options.maxDelayMs ?? 30_000
  const heartbeatMs = options.heartbeatMs ?? 30_000

  let client: pg.Client | null = null
  let connected = false
  let stopped = false
  let failures = 0
  let retryTimer: NodeJS.Timeout | undefined
  let heartbeatTimer: NodeJS.Timeout | undefined
  let waiters: Array<() => void> = []
  // One statement at a time on the connection (heartbeats and notifications): pg deprecates
  // queueing queries on a busy client.
  let busy: Promise<unknown> = Promise.resolve()
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = busy.then(work, work)
    busy = run.catch(() => {})
    return run
  }

  const lost = (lostClient: pg.Client, error?: unknown) => {
    if (client !== lostClient) return
    client = null
    clearInterval(heartbeatTimer)
    lostClient.removeAllListeners('notification')
    lostClient.end().catch(() => {})
    if (connected) {
      connected = false
      logger?.warn({ err: error, channel }, 'notification listener lost its connection')
      options.onDisconnected?.()
    }
    if (stopped) return
    const base = Math.min(maxDelayMs, minDelayMs * 2 ** failures)
    failures++
    // Jitter, so processes that lost the same server do not all come back in the same instant.
    retryTimer = setTimeout(connect, base / 2 + (Math.random() * base) / 2)
    retryTimer.unref()
  }

  const connect = async () => {
    if (stopped) return
    const next = new pg.Client({
      connectionString: url,
      application_name: 'incidentflow-listener',
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      // Bounds the heartbeat: a query with no answer counts as a lost connection.
      query_timeout: 10_000,
    })
    client = next
    next.on('error', (error) => lost(next, error))
    next.on('end', () => lost(next))
    next.on('notification', (message) => {
      if (channels.includes(message.channel))
        options.onNotification(message.payload ?? '', message.channel)
    })
    try {
      await next.connect()
      for (const name of channels) await next.query(`listen ${name}`)
    } catch (error) {
      if (failures === 0)
        logger?.warn({ err: error, channel }, 'notification listener cannot connect')
      lost(next, error)
      return
    }
    if (stopped || client !== next) {
      await next.end().catch(() => {})
      return
    }
    if (failures > 0) logger?.info({ channel, attempts: failures }, 'notification listener back')
    failures = 0
    connected = true
    options.onConnected?.()
    for (const resolve of waiters) resolve()
    waiters = []
    heartbeatTimer = setInterval(() => {
      serially(() => next.query('select 1')).catch((error: unknown) => lost(next, error))
    }, heartbeatMs)
    heartbeatTimer.unref()
  }

  void connect()

  return {
    get connected() {
      return connected
    },
    whenConnected: () =>
      connected ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve)),
    notify: async (name, payload) => {
      const current = client
      if (!current || !connected) return false
      try {
        await serially(() => current.query('select pg_notify($1, $2)', [name, payload]))
        return true
      } catch {
        return false
      }
    },
    stop: async () => {
      stopped = true
      clearTimeout(retryTimer)
      clearInterval(heartbeatTimer)
      const current = client
      client = null
      connected = false
      if (current) {
        current.removeAllListeners('notification')
        await current.end().catch(() => {})
      }
    },
  }
}
