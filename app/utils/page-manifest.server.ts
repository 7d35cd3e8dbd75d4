import type { EntryContext } from '@remix-run/node'
import { matchRoutes, type AgnosticRouteObject } from '@remix-run/router'

type AssetsManifest = EntryContext['manifest']
type StaticHandlerContext = EntryContext['staticHandlerContext']

/** Pages (paths) whose route set is kept per build; the oldest is dropped first. */
const PATHS_KEPT = 2000

interface Derived {
  tree: AgnosticRouteObject[]
  pages: Map<string, AssetsManifest>
}

const derived = new WeakMap<AssetsManifest, Derived>()

interface FlatRoute {
  id: string
  parentId?: string
  path?: string
  index?: boolean
  caseSensitive?: boolean
}

/** Remix's flat route manifest (the build's routes or its assets' routes) as the nested tree the router matches against. */
export function routeTree(flat: Record<string, FlatRoute | undefined>): AgnosticRouteObject[] {
  const children = new Map<string | undefined, AgnosticRouteObject[]>()
  for (const route of Object.values(flat)) {
    if (!route) continue
    const siblings = children.get(route.parentId) ?? []
    siblings.push(
      route.index
        ? { id: route.id, index: true, path: route.path }
        : { id: route.id, path: route.path, caseSensitive: route.caseSensitive },
    )
    children.set(route.parentId, siblings)
  }
  const attach = (routes: AgnosticRouteObject[]): AgnosticRouteObject[] =>
    routes.map((route) =>
      route.index ? route : { ...route, children: attach(children.get(route.id) ?? []) },
    )
  return attach(children.get(undefined) ?? [])
}

/**
 * The paths whose routes the browser is told about in the page (Remix's lazy route discovery):
 * the page's own path, `/`, and every parent path (`/incidents/7/postmortem` → `/incidents/7`,
 * `/incidents`), as `getPartialManifest` in `@remix-run/react` walks them.
 */
function pathsOf(pathname: string): string[] {
  const segments = pathname.split('/').filter(Boolean)
  const paths = [pathname, '/']
  segments.pop()
  while (segments.length > 0) {
    paths.push(`/${segments.join('/')}`)
    segments.pop()
  }
  return paths
}

/**
 * Adds the ids of the routes that match `pathname`, `/` and each parent path of `pathname` in
 * `tree`. Returns whether `pathname` itself matched.
 */
export function addPageRoutes(ids: Set<string>, tree: AgnosticRouteObject[], pathname: string) {
  let matched = false
  for (const path of pathsOf(pathname)) {
    const matches = matchRoutes(tree, path)
    if (path === pathname && matches) matched = true
    for (const match of matches ?? []) ids.add(match.route.id!)
  }
  return matched
}

/**
 * The build's route manifest cut down to the routes one page can involve: the routes the request
 * matched, and the routes that match the page's path and each of its parent paths in the whole
 * manifest — a superset of the routes Remix puts into the page for the browser (the matches and
 * the parents' matches). Rendering a page, Remix turns every route of the manifest it is given into
 * a router route, converts them again, ranks them all and matches against them twice (the static
 * router, the browser's partial manifest); given only these, it does the same work on a handful.
 *
 * Nothing it renders changes: any path is matched by the same route in this subset as in the whole
 * manifest (the route that wins in the whole manifest is in the subset, with its parents, and no
 * route ranked above it matches), and the routes keep their order, so ties rank as before. Kept per
 * build (the manifest object) and page path.
 */
export function pageManifest(
  manifest: AssetsManifest,
  context: Pick<StaticHandlerContext, 'location' | 'matches'>,
): AssetsManifest {
  let forBuild = derived.get(manifest)
  if (!forBuild) {
    forBuild = { tree: routeTree(manifest.routes), pages: new Map() }
    derived.set(manifest, forBuild)
  }
  const pathname = context.location.pathname
  const matchedIds = context.matches.map((m) => m.route.id)
  const key = `${pathname}\u0000${matchedIds.join('\u0000')}`
  const kept = forBuild.pages.get(key)
  if (kept) return kept

  const ids = new Set(matchedIds)
  addPageRoutes(ids, forBuild.tree, pathname)
  const routes: AssetsManifest['routes'] = {}
  for (const [id, route] of Object.entries(manifest.routes)) {
    if (ids.has(id)) routes[id] = route
  }
  const page = { ...manifest, routes }
  if (forBuild.pages.size >= PATHS_KEPT) forBuild.pages.delete(forBuild.pages.keys().next().value!)
  forBuild.pages.set(key, page)
  return page
}
