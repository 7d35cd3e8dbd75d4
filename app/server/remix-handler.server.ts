import { createRequestHandler, type ServerBuild } from '@remix-run/node'
import type { AgnosticRouteObject } from '@remix-run/router'
import { addPageRoutes, routeTree } from '~/utils/page-manifest.server'

type RequestHandler = ReturnType<typeof createRequestHandler>

/** Paths whose handler is remembered; the oldest is dropped first. Longer paths are not kept. */
const PATHS_KEPT = 2000
const PATH_LENGTH_KEPT = 512
/** Handlers for distinct route sets (one per kind of page, in practice); the oldest is dropped first. */
const HANDLERS_KEPT = 200

/**
 * Remix's request handler for `build`, made so that a request is matched against the routes its
 * path can involve rather than against every route of the app.
 *
 * On every request Remix matches the path against all routes twice (its own matching, then the
 * static handler's), and each match flattens, ranks and compiles every route's pattern again. Here
 * a path's route set — the routes matching the path, `/` and each parent path (what the rendered
 * page tells the browser about), plus the same for the path without a single-fetch `.data` suffix —
 * is found once (per path, in a bounded map) against the whole build, and the request goes to a
 * handler made for a copy of the build holding only those routes (one handler per route set). Every
 * match Remix makes then finds the same route as it would in the whole build: the route that wins
 * there is in the set, with its parents, and no route ranked above it matches; the routes keep their
 * order, so ties rank as before. Route discovery (`/__manifest`, which asks about any path) and
 * legacy `?_data=` requests (which name any route) go to the handler of the whole build.
 */
export function createRemixHandler(build: ServerBuild, mode?: string): RequestHandler {
  const whole = createRequestHandler(build, mode)
  const tree: AgnosticRouteObject[] = routeTree(build.routes)
  const routeIds = Object.keys(build.routes)
  const byPath = new Map<string, RequestHandler>()
  const bySet = new Map<string, RequestHandler>()
  const manifestPath = `${build.basename ?? '/'}/__manifest`.replace(/\/+/g, '/')

  const handlerForSet = (ids: Set<string>) => {
    const kept = routeIds.filter((id) => ids.has(id))
    const key = kept.join('\u0000')
    let handler = bySet.get(key)
    if (!handler) {
      const routes: ServerBuild['routes'] = {}
      for (const id of kept) routes[id] = build.routes[id]!
      handler = createRequestHandler({ ...build, routes }, mode)
      if (bySet.size >= HANDLERS_KEPT) bySet.delete(bySet.keys().next().value!)
      bySet.set(key, handler)
    }
    return handler
  }

  const handlerForPath = (pathname: string): RequestHandler => {
    let handler = byPath.get(pathname)
    if (!handler) {
      const ids = new Set<string>()
      let matched = addPageRoutes(ids, tree, pathname)
      if (pathname.endsWith('.data')) {
        const page = pathname.replace(/\.data$/, '').replace(/^\/_root$/, '/')
        matched = addPageRoutes(ids, tree, page) && matched
      }
      // A path no route matches is left to the whole build, whatever Remix makes of it.
      handler = matched ? handlerForSet(ids) : whole
      if (pathname.length > PATH_LENGTH_KEPT) return handler
      if (byPath.size >= PATHS_KEPT) byPath.delete(byPath.keys().next().value!)
      byPath.set(pathname, handler)
    }
    return handler
  }

  return (request, context) => {
    const url = new URL(request.url)
    if (url.pathname === manifestPath || url.searchParams.has('_data')) {
      return whole(request, context)
    }
    return handlerForPath(url.pathname)(request, context)
  }
}
