import { startListener, type ListenerLogger, type NotificationListener } from '../../db/listener'

/**
 * Each web process keeps the rendered status pages (HTML, Atom, JSON) and the custom host map in
 * memory, so a page view costs no database work (decision 040). Correctness rests on the rules of
 * the reference cache (decision 021):
 * - every write to the page's tables sends `pg_notify('incidentflow_status', <organization id>)`
 *   from the writing transaction (migration 0023), delivered at commit to every process; `*`
 *   drops everything, the host map included;
 * - the cache is used only while this process's LISTEN connection is up, and emptied on every
 *   (re)connection, since notifications sent meanwhile are lost;
 * - a rendering started before its organization was invalidated is served but not kept;
 * - an entry is kept at most `maxAgeMs`, and never past the moment the page changes by the clock
 *   alone (a maintenance window opening or closing, a new day of history).
 */

export const STATUS_CHANNEL = 'incidentflow_status'

export interface CachedRendering {
  /** Encoded once, sent as is by every view. */
  body: Buffer
  /** The same, gzip-compressed once (null for an answer too small to bother). */
  gzip: Buffer | null
  etag: string
  contentType: string
  /** 200, or 404 for an unknown or unpublished page (kept too: a crawler's 404s cost nothing). */
  status: number
}

interface Kept {
  value: CachedRendering
  until: number
}

export class StatusCache {
  private readonly kept = new Map<string, Map<string, Kept>>()
  /** Moves on at every flush: a rendering started before one is served but not kept. */
  private generation = 0
  private hosts: { map: Map<string, string>; until: number } | null = null
  private live = false
  readonly stats = { hits: 0, misses: 0, invalidations: 0 }

  constructor(
    private readonly options: { maxAgeMs: number; maxEntries: number; now?: () => number },
  ) {}

  private now() {
    return this.options.now?.() ?? Date.now()
  }

  setLive(live: boolean) {
    this.live = live
    this.flush()
  }

  get isLive() {
    return this.live
  }

  /**
   * The rendering of `key` on the page named `page` (its slug), from memory or from `render`,
   * which answers with the rendering and the moment it stops being true by the clock.
   */
  async get(
    page: string,
    key: string,
    render: () => Promise<{ value: CachedRendering; validUntil: number }>,
  ): Promise<CachedRendering> {
    if (!this.live) return (await render()).value
    const entry = this.kept.get(page)?.get(key)
    const now = this.now()
    if (entry && entry.until > now) {
      this.stats.hits++
      return entry.value
    }
    this.stats.misses++
    const generation = this.generation
    const { value, validUntil } = await render()
    if (this.live && this.generation === generation) {
      if (!this.kept.has(page) && this.kept.size >= this.options.maxEntries) {
        const oldest = this.kept.keys().next().value
        if (oldest !== undefined) this.kept.delete(oldest)
      }
      const perPage = this.kept.get(page) ?? new Map<string, Kept>()
      perPage.set(key, { value, until: Math.min(now + this.options.maxAgeMs, validUntil) })
      this.kept.set(page, perPage)
    }
    return value
  }

  /** The custom host → slug map, from memory or `load`. */
  async hostMap(load: () => Promise<Map<string, string>>): Promise<Map<string, string>> {
    const now = this.now()
    if (this.live && this.hosts && this.hosts.until > now) return this.hosts.map
    const generation = this.generation
    const map = await load()
    if (this.live && generation === this.generation)
      this.hosts = { map, until: now + this.options.maxAgeMs }
    return map
  }

  /** A notification: `*`, or the organization whose page changed (pages are kept by slug). */
  invalidate(payload: string) {
    this.stats.invalidations++
    // Pages are kept by slug and notifications name organizations: dropping every page on any
    // change is simple and cheap (pages change a few times an hour, and re-render in ms).
    void payload
    this.flush()
  }

  flush() {
    this.generation++
    this.kept.clear()
    this.hosts = null
  }
}

export interface RunningStatusCache {
  cache: StatusCache
  listener: NotificationListener
  stop: () => Promise<void>
}

export function startStatusCache(options: {
  url: string
  logger?: ListenerLogger
  maxAgeMs?: number
  maxEntries?: number
}): RunningStatusCache {
  const cache = new StatusCache({
    maxAgeMs: options.maxAgeMs ?? 30_000,
    maxEntries: options.maxEntries ?? 1000,
  })
  const listener = startListener({
    url: options.url,
    channel: STATUS_CHANNEL,
    logger: options.logger,
    onNotification: (payload) => cache.invalidate(payload),
    onConnected: () => cache.setLive(true),
    onDisconnected: () => cache.setLive(false),
  })
  return {
    cache,
    listener,
    stop: async () => {
      cache.setLive(false)
      await listener.stop()
    },
  }
}
