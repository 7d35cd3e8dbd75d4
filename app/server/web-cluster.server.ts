import cluster, { type Worker } from 'node:cluster'
import type { Logger } from '~/utils/logger.server'

export interface WebCluster {
  /** Forwards SIGTERM to every web process and waits for them to finish their requests. */
  stop: () => Promise<void>
  /** Resolves if the web processes cannot start at all (e.g. the port is taken). */
  failed: Promise<void>
}

export interface WebClusterOptions {
  count: number
  /** Added to each web process's environment. */
  env: Record<string, string>
  logger: Logger
  /** After SIGTERM, how long web processes may drain before they are killed. */
  stopTimeoutMs?: number
}

/** A web process that crashes again within this long of starting counts as crash-looping. */
const STABLE_AFTER_MS = 60_000
const MAX_RESTART_DELAY_MS = 30_000

/**
 * The primary process of `npm start` with WEB_CONCURRENCY > 1: it serves nothing itself, it
 * forks `count` web processes that share the listening port (Node's cluster hands connections
 * out round-robin), restarts one that dies (immediately the first time, then with a growing
 * delay while it keeps dying young), and on shutdown forwards SIGTERM so each drains its own
 * requests. If no web process ever manages to listen, the whole start failed: `failed` resolves
 * and nothing is restarted.
 */
export function startWebCluster(options: WebClusterOptions): WebCluster {
  const { count, logger } = options
  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000
  let stopping = false
  let everListened = false
  let quickCrashes = 0
  const startedAt = new Map<Worker, number>()
  const listening = new Set<Worker>()
  let announceFailure: () => void = () => {}
  const failed = new Promise<void>((resolve) => (announceFailure = resolve))

  const fork = () => {
    const worker = cluster.fork(options.env)
    startedAt.set(worker, Date.now())
    return worker
  }

  let announced = false
  cluster.on('listening', (worker, address) => {
    listening.add(worker)
    everListened = true
    if (!announced && listening.size === count) {
      announced = true
      logger.info({ processes: count, port: address.port }, 'all web processes listening')
    }
  })

  cluster.on('exit', (worker, code, signal) => {
    const wasListening = listening.delete(worker)
    const lived = Date.now() - (startedAt.get(worker) ?? Date.now())
    startedAt.delete(worker)
    if (stopping) return
    if (!wasListening && !everListened) {
      logger.fatal(
        { pid: worker.process.pid, code, signal },
        'a web process exited before listening; not restarting',
      )
      announceFailure()
      return
    }
    quickCrashes = lived < STABLE_AFTER_MS ? quickCrashes + 1 : 0
    const delay = quickCrashes <= 1 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** quickCrashes)
    logger.error(
      { pid: worker.process.pid, code, signal, restartInMs: delay },
      'a web process exited; starting another',
    )
    setTimeout(() => {
      if (!stopping) fork()
    }, delay).unref()
  })

  for (let i = 0; i < count; i++) fork()

  return {
    failed,
    stop: async () => {
      stopping = true
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w))
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.isDead()) return resolve()
              const timer = setTimeout(() => {
                logger.error({ pid: worker.process.pid }, 'web process still running; killing it')
                worker.process.kill('SIGKILL')
              }, stopTimeoutMs)
              worker.once('exit', () => {
                clearTimeout(timer)
                resolve()
              })
              worker.process.kill('SIGTERM')
            }),
        ),
      )
    },
  }
}
