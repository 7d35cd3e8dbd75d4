import path from 'node:path'
import type { MikroORM } from '@mikro-orm/postgresql'
import type { ServerBuild } from '@remix-run/node'
import { matchRoutes } from '@remix-run/router'
import client from 'prom-client'
import { now } from '~/utils/clock'
import { routeTree } from '~/utils/page-manifest.server'
import type { Logger } from '~/utils/logger.server'
import {
  createRegistry,
  expose,
  PREFIX,
  registerPoolMetrics,
  registerQueueMetrics,
  type Exposition,
} from '~/utils/metrics.server'

/**
 * The web process's metrics: request durations by route pattern (a Remix route id such as
 * `routes/incidents.$number`, never a URL with its ids), the database pool, and the job queues.
 */
export interface WebMetrics {
  registry: client.Registry
  /** Records one answered request. */
  observeRequest: (
    request: { method: string; pathname: string },
    status: number,
    seconds: number,
  ) => void
  /** Tells the route labeller which Remix build serves requests (again after a rebuild). */
  useBuild: (build: ServerBuild) => void
  /** What GET /metrics answers (with WEB_CONCURRENCY > 1: the whole cluster's, see server.ts). */
  render: () => Promise<Exposition>
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])
/** Inbound webhook sources (`/hooks/<source>/<token>`); the token never becomes a label. */
const HOOK_SOURCES = new Set(['alertmanager', 'pagerduty', 'generic', 'slack'])
/** The catch-all route: a path it matches is a static file or a 404, not a page. */
const SPLAT_ROUTE = 'routes/$'

/**
 * The label of a request's route: the Remix route id that answers it, or a fixed name for what
 * Express answers before Remix. Single-fetch data requests (`/x.data`) count under the page's
 * route. Anything else is one of a few fixed words, so no label ever holds an id from a URL.
 */
export function routeLabeller(build: ServerBuild | null): (pathname: string) => string {
  const tree = build ? routeTree(build.routes) : []
  // Matching walks and ranks every route and compiles their patterns on each call (about as long
  // as the rest of a small page's routing); a page path's route never changes for one build.
  const known = new Map<string, string | null>()
  const routeOf = (page: string) => {
    let id = known.get(page)
    if (id === undefined) {
      const matches = tree.length ? matchRoutes(tree, page) : null
      id = matches?.[matches.length - 1]?.route.id ?? null
      if (known.size >= PAGES_KEPT) known.delete(known.keys().next().value!)
      known.set(page, id)
    }
    return id
  }
  return (pathname) => {
    if (pathname === '/healthz' || pathname === '/readyz' || pathname === '/metrics')
      return pathname
    if (pathname.startsWith('/build/')) return 'static'
    // A live stream lasts as long as its page is open: one label keeps it apart from page times.
    if (pathname.startsWith('/live/')) return 'live'
    if (pathname.startsWith('/hooks/')) {
      const source = pathname.split('/')[2] ?? ''
      return HOOK_SOURCES.has(source) ? `hooks/${source}` : 'hooks/other'
    }
    const page =
      pathname === '/_root.data'
        ? '/'
        : pathname.endsWith('.data')
          ? pathname.slice(0, -'.data'.length)
          : pathname
    const id = routeOf(page)
    if (!id) return 'unmatched'
    if (id === SPLAT_ROUTE && path.extname(pathname) && !pathname.endsWith('.data')) return 'static'
    return id
  }
}

/** Page paths whose route is kept (the oldest goes first): ids in paths make them many. */
const PAGES_KEPT = 2000

export function createWebMetrics(options: { orm: MikroORM; logger: Logger }): WebMetrics {
  const registry = createRegistry()
  registerPoolMetrics(registry, options.orm)
  registerQueueMetrics(registry, options.orm, now, options.logger)
  const duration = new client.Histogram({
    name: `${PREFIX}http_request_duration_seconds`,
    help: 'Time from a request’s arrival to the end of its answer, by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })
  let builtFor: ServerBuild | null = null
  let label = routeLabeller(null)
  return {
    registry,
    useBuild(build) {
      if (build === builtFor) return
      builtFor = build
      label = routeLabeller(build)
    },
    observeRequest({ method, pathname }, status, seconds) {
      duration.observe(
        {
          method: METHODS.has(method) ? method : 'other',
          route: label(pathname),
          status: String(status),
        },
        seconds,
      )
    },
    render: () => expose(registry),
  }
}
