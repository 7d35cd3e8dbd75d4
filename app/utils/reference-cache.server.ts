import { AsyncResource } from 'node:async_hooks'
import type { MikroORM } from '@mikro-orm/postgresql'
import { startListener, type ListenerLogger, type NotificationListener } from '../../db/listener'

/**
 * Reference data — services, incident types, the triage matrix, SLA policy versions, the member
 * directory — kept in each web process per organization, because nearly every page shows some
 * of it and it changes a few times a month.
 *
 * Correctness rests on four rules:
 * - Every write to those tables sends `pg_notify('incidentflow_reference', <organization id>)`
 *   from a trigger in the writing transaction (migration 0012), so it arrives after the commit,
 *   in every process. `*` means every organization.
 * - The cache is served only while this process's LISTEN connection is up. While it is down the
 *   cache is bypassed, and on every (re)connection it is emptied: notifications sent in between
 *   are lost.
 * - A load that was running when its organization was invalidated is handed to its callers but
 *   not kept (it may have read the old rows).
 * - After a write made by this process (`referenceWritten`), its organization is read from the
 *   database until the write's own notification comes back, so the next request sees the change
 *   even when the write commits later than the domain call returns (a request's transaction
 *   commits when its response is ready).
 *
 * Values are plain objects, deep-frozen, shared by all requests; never entities.
 */

export const REFERENCE_CHANNEL = 'incidentflow_reference'
/** The notification payload that means every organization. */
export const EVERY_ORGANIZATION = '*'

export interface ReferenceCacheOptions {
  /** Organizations kept; the least recently read one goes first. */
  maxOrganizations: number
  /** Kept values are reloaded after this long even without a notification. */
  maxAgeMs: number
  /** How long reads bypass the cache after a local write if its notification never comes. */
  writeGraceMs?: number
  /** Values kept per organization (policy versions are one value each). */
  maxValuesPerOrganization?: number
  now?: () => number
}

export interface ReferenceCacheStats {
  hits: number
  loads: number
  joined: number
  bypassed: number
  invalidations: number
  flushes: number
}

interface Kept {
  value: unknown
  loadedAt: number
}

interface Flight {
  promise: Promise<unknown>
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}

export class ReferenceCache {
  private readonly kept = new Map<string, Map<string, Kept>>()
  private readonly flights = new Map<string, Map<string, Flight>>()
  private readonly writtenUntil = new Map<string, number>()
  private readonly now: () => number
  private readonly writeGraceMs: number
  private readonly maxValues: number
  /**
   * A load is shared by every request that asks for the same value meanwhile, so it must not
   * run inside the asking request's context: it would join that request's transaction (and see
   * its uncommitted writes, or fail with it). This resource is created with the cache, outside
   * any request, and loads run in its context.
   */
  private readonly detached = new AsyncResource('ReferenceCacheLoad')
  private live = false
  readonly stats: ReferenceCacheStats = {
    hits: 0,
    loads: 0,
    joined: 0,
    bypassed: 0,
    invalidations: 0,
    flushes: 0,
  }

  constructor(private readonly options: ReferenceCacheOptions) {
    this.now = options.now ?? Date.now
    this.writeGraceMs = options.writeGraceMs ?? 5_000
    this.maxValues = options.maxValuesPerOrganization ?? 64
  }

  /** Whether notifications are arriving; while not, every read goes to the database. */
  get isLive() {
    return this.live
  }

  setLive(live: boolean) {
    this.live = live
    this.flush()
  }

  /** The value of `kind` for the organization: kept, being loaded, or loaded by `load` now. */
  async get<T>(organizationId: string, kind: string, load: () => Promise<T>): Promise<T> {
    if (!this.live || this.recentlyWritten(organizationId)) {
      this.stats.bypassed++
      return deepFreeze(await load())
    }
    const values = this.kept.get(organizationId)
    const kept = values?.get(kind)
    if (values && kept && this.now() - kept.loadedAt < this.options.maxAgeMs) {
      this.stats.hits++
      // Most recently used last: Map keeps insertion order.
      this.kept.delete(organizationId)
      this.kept.set(organizationId, values)
      return kept.value as T
    }
    let flights = this.flights.get(organizationId)
    const running = flights?.get(kind)
    if (running) {
      this.stats.joined++
      return running.promise as Promise<T>
    }
    this.stats.loads++
    if (!flights) {
      flights = new Map()
      this.flights.set(organizationId, flights)
    }
    const flight: Flight = { promise: Promise.resolve() }
    const startedAt = this.now()
    const promise = this.detached
      .runInAsyncScope(load)
      .then((value) => {
        const frozen = deepFreeze(value)
        // Still the current flight: no invalidation came while it ran.
        if (this.flights.get(organizationId)?.get(kind) === flight)
          this.keep(organizationId, kind, frozen, startedAt)
        return frozen
      })
      .finally(() => {
        const current = this.flights.get(organizationId)
        if (current?.get(kind) === flight) {
          current.delete(kind)
          if (current.size === 0) this.flights.delete(organizationId)
        }
      })
    flight.promise = promise
    flights.set(kind, flight)
    return promise
  }

  private keep(organizationId: string, kind: string, value: unknown, loadedAt: number) {
    let values = this.kept.get(organizationId)
    if (values) {
      this.kept.delete(organizationId)
    } else {
      values = new Map()
      while (this.kept.size >= this.options.maxOrganizations) {
        this.kept.delete(this.kept.keys().next().value!)
      }
    }
    this.kept.set(organizationId, values)
    values.delete(kind)
    if (values.size >= this.maxValues) values.delete(values.keys().next().value!)
    values.set(kind, { value, loadedAt })
  }

  private recentlyWritten(organizationId: string) {
    const until = this.writtenUntil.get(organizationId)
    if (until === undefined) return false
    if (until > this.now()) return true
    this.writtenUntil.delete(organizationId)
    return false
  }

  /** A notification: the organization's reference data changed (committed). */
  invalidate(organizationId: string) {
    if (organizationId === EVERY_ORGANIZATION) {
      this.flush()
      return
    }
    this.stats.invalidations++
    this.kept.delete(organizationId)
    this.flights.delete(organizationId)
    this.writtenUntil.delete(organizationId)
  }

  /**
   * This process changed the organization's reference data (maybe not committed yet): read it
   * from the database until the change's notification arrives.
   */
  written(organizationId: string) {
    this.invalidate(organizationId)
    this.writtenUntil.set(organizationId, this.now() + this.writeGraceMs)
  }

  /** Forgets everything, including loads in flight. */
  flush() {
    this.stats.flushes++
    this.kept.clear()
    this.flights.clear()
    this.writtenUntil.clear()
  }

  /** Organizations currently kept (for tests and metrics). */
  get size() {
    return this.kept.size
  }
}

/**
 * Process-wide: the Remix build bundles its own copy of this module beside the server's, and the
 * domain code in the build must find the cache the server attached.
 */
const caches = ((globalThis as unknown as Record<symbol, WeakMap<MikroORM, ReferenceCache>>)[
  Symbol.for('incidentflow.referenceCaches')
] ??= new WeakMap())

/** Serves reference reads made with this ORM from `cache` (one per process). */
export function attachReferenceCache(orm: MikroORM, cache: ReferenceCache) {
  caches.set(orm, cache)
}

export function detachReferenceCache(orm: MikroORM) {
  caches.delete(orm)
}

export function referenceCacheOf(orm: MikroORM): ReferenceCache | undefined {
  return caches.get(orm)
}

/**
 * Reads reference data through the process's cache when one is attached to the ORM, straight
 * from the database otherwise (the worker, CLI commands, most tests). `load` must read only the
 * organization's rows under its scope (`inScope(orm, { organizationId }, …)`) and return plain
 * data; the result is frozen either way, so a caller that mutates it fails in every test.
 */
export function readReference<T>(
  orm: MikroORM,
  organizationId: string,
  kind: string,
  load: () => Promise<T>,
): Promise<T> {
  const cache = caches.get(orm)
  return cache ? cache.get(organizationId, kind, load) : load().then(deepFreeze)
}

/** Call from every domain write to reference data, whether or not it has committed yet. */
export function referenceWritten(orm: MikroORM, organizationId: string) {
  caches.get(orm)?.written(organizationId)
}

export interface RunningReferenceCache {
  cache: ReferenceCache
  listener: NotificationListener
  stop: () => Promise<void>
}

/**
 * Starts the process's reference cache: attaches it to `orm` and opens the LISTEN connection
 * that keeps it honest. Until that connection is up, reads go to the database.
 */
export function startReferenceCache(
  orm: MikroORM,
  options: ReferenceCacheOptions & { url: string; logger?: ListenerLogger; heartbeatMs?: number },
): RunningReferenceCache {
  const cache = new ReferenceCache(options)
  attachReferenceCache(orm, cache)
  const listener = startListener({
    url: options.url,
    channel: REFERENCE_CHANNEL,
    logger: options.logger,
    heartbeatMs: options.heartbeatMs,
    onNotification: (payload) => cache.invalidate(payload),
    onConnected: () => cache.setLive(true),
    onDisconnected: () => cache.setLive(false),
  })
  return {
    cache,
    listener,
    stop: async () => {
      if (caches.get(orm) === cache) detachReferenceCache(orm)
      cache.setLive(false)
      await listener.stop()
    },
  }
}
