import type { EntryContext } from '@remix-run/node'
import { matchRoutes, type AgnosticRouteObject } from '@remix-run/router'
import { describe, expect, it } from 'vitest'
import { pageManifest } from './page-manifest.server'

type AssetsManifest = EntryContext['manifest']

/** A manifest shaped like the app's: static and dynamic siblings, index routes, `_` escapes, a splat. */
const ROUTES: Array<[id: string, parentId: string | undefined, path?: string, index?: true]> = [
  ['root', undefined, ''],
  ['routes/_index', 'root', undefined, true],
  ['routes/$', 'root', '*'],
  ['routes/incidents._index', 'root', 'incidents', true],
  ['routes/incidents.new', 'root', 'incidents/new'],
  ['routes/incidents.$number', 'root', 'incidents/:number'],
  ['routes/incidents.$number.evidence', 'routes/incidents.$number', 'evidence'],
  ['routes/incidents.$number_.postmortem', 'root', 'incidents/:number/postmortem'],
  ['routes/incidents.$number_.postmortem_.drafts', 'root', 'incidents/:number/postmortem/drafts'],
  ['routes/admin.members', 'root', 'admin/members'],
  ['routes/admin.webhooks._index', 'root', 'admin/webhooks', true],
  ['routes/admin.webhooks.$endpointId', 'root', 'admin/webhooks/:endpointId'],
  ['routes/analytics', 'root', 'analytics'],
  ['routes/settings', 'root', 'settings'],
]

function manifest(): AssetsManifest {
  const routes: AssetsManifest['routes'] = {}
  for (const [id, parentId, path, index] of ROUTES) {
    routes[id] = {
      id,
      parentId,
      path,
      index,
      module: `/build/${id}.js`,
      hasAction: false,
      hasLoader: true,
      hasClientAction: false,
      hasClientLoader: false,
      hasErrorBoundary: id === 'root',
    }
  }
  return {
    version: 'v1',
    url: '/build/manifest.js',
    entry: { module: '/build/entry.js', imports: [] },
    routes,
  }
}

function tree(m: AssetsManifest): AgnosticRouteObject[] {
  const build = (parentId: string | undefined): AgnosticRouteObject[] =>
    Object.values(m.routes)
      .filter((r) => r!.parentId === parentId)
      .map((r) =>
        r!.index
          ? { id: r!.id, index: true, path: r!.path }
          : { id: r!.id, path: r!.path, children: build(r!.id) },
      )
  return build(undefined)
}

const idsOf = (routes: AgnosticRouteObject[], path: string) =>
  (matchRoutes(routes, path) ?? []).map((m) => m.route.id)

/** What Remix puts into the page for the browser: the matches, and those of `/` and each parent. */
function partialIds(routes: AgnosticRouteObject[], pathname: string) {
  const ids = new Set(idsOf(routes, pathname))
  const segments = pathname.split('/').filter(Boolean)
  segments.pop()
  const paths = ['/']
  while (segments.length) {
    paths.push(`/${segments.join('/')}`)
    segments.pop()
  }
  for (const path of paths) for (const id of idsOf(routes, path)) ids.add(id)
  return ids
}

function contextFor(m: AssetsManifest, pathname: string) {
  return {
    location: { pathname, search: '', hash: '', state: null, key: 'default' },
    matches: (matchRoutes(tree(m), pathname) ?? []).map((match) => ({
      ...match,
      route: m.routes[match.route.id!]!,
    })),
  } as unknown as EntryContext['staticHandlerContext']
}

const PATHS = [
  '/',
  '/incidents',
  '/incidents/new',
  '/incidents/7',
  '/incidents/7/evidence',
  '/incidents/7/postmortem',
  '/incidents/7/postmortem/drafts',
  '/incidents/new/postmortem',
  '/admin/members',
  '/admin/webhooks',
  '/admin/webhooks/abc',
  '/admin',
  '/nope/deeper/still',
  '/analytics',
]

describe('pageManifest', () => {
  it('keeps every route Remix puts into the page, and every path matches as in the whole manifest', () => {
    const whole = manifest()
    const full = tree(whole)
    for (const pathname of PATHS) {
      const page = pageManifest(whole, contextFor(whole, pathname))
      const kept = new Set(Object.keys(page.routes))
      for (const id of partialIds(full, pathname)) expect(kept, `${pathname}: ${id}`).toContain(id)
      // The page's path, its parents and `/` are matched by the same routes in the subset.
      const cut = tree(page)
      const paths = ['/', ...pathname.split('/').map((_, i, all) => all.slice(0, i + 1).join('/'))]
      for (const path of paths.filter(Boolean))
        expect(idsOf(cut, path), path).toEqual(idsOf(full, path))
      // The browser's partial manifest comes out the same, in the same order.
      expect([...partialIds(cut, pathname)]).toEqual([...partialIds(full, pathname)])
    }
  })

  it('leaves out the routes a page cannot involve, keeping the manifest order and the rest of it', () => {
    const whole = manifest()
    const page = pageManifest(whole, contextFor(whole, '/incidents/7/postmortem'))
    expect(Object.keys(page.routes)).toEqual([
      'root',
      'routes/_index',
      'routes/incidents._index',
      'routes/incidents.$number',
      'routes/incidents.$number_.postmortem',
    ])
    expect(page.routes.root).toBe(whole.routes.root)
    expect(page.entry).toBe(whole.entry)
    expect(page.url).toBe(whole.url)
    expect(Object.keys(whole.routes)).toHaveLength(ROUTES.length)
  })

  it('includes the routes of an error page (the request matched only the root)', () => {
    const whole = manifest()
    const context = {
      ...contextFor(whole, '/incidents/7'),
      matches: [{ params: {}, pathname: '/', pathnameBase: '/', route: whole.routes.root }],
    } as unknown as EntryContext['staticHandlerContext']
    const page = pageManifest(whole, context)
    expect(Object.keys(page.routes)).toContain('root')
    expect(Object.keys(page.routes)).toContain('routes/incidents.$number')
  })

  it('answers the same object for the same page of the same build, and another for another build', () => {
    const whole = manifest()
    const first = pageManifest(whole, contextFor(whole, '/incidents'))
    expect(pageManifest(whole, contextFor(whole, '/incidents'))).toBe(first)
    expect(pageManifest(whole, contextFor(whole, '/incidents/7'))).not.toBe(first)
    const rebuilt = manifest()
    expect(pageManifest(rebuilt, contextFor(rebuilt, '/incidents'))).not.toBe(first)
  })
})
