import { createRequestHandler, type AppLoadContext, type ServerBuild } from '@remix-run/node'
import { describe, expect, it } from 'vitest'
import { pageManifest } from '~/utils/page-manifest.server'
import { createRemixHandler } from './remix-handler.server'

type Routes = ServerBuild['routes']
/** The routes here read nothing from the load context. */
const context = {} as AppLoadContext

/** Routes shaped like the app's: static and dynamic siblings, index routes, `_` escapes, a splat. */
const ROUTES: Array<[id: string, parentId: string | undefined, path?: string, index?: true]> = [
  ['root', undefined, ''],
  ['routes/_index', 'root', undefined, true],
  ['routes/$', 'root', '*'],
  ['routes/incidents._index', 'root', 'incidents', true],
  ['routes/incidents.new', 'root', 'incidents/new'],
  ['routes/incidents.$number', 'root', 'incidents/:number'],
  ['routes/incidents.$number.evidence', 'routes/incidents.$number', 'evidence'],
  ['routes/incidents.$number_.postmortem', 'root', 'incidents/:number/postmortem'],
  ['routes/admin.webhooks._index', 'root', 'admin/webhooks', true],
  ['routes/admin.webhooks.$endpointId', 'root', 'admin/webhooks/:endpointId'],
  ['routes/export[.]csv', 'root', 'export.csv'],
]

/**
 * A server build whose loaders answer their route id and params and whose document entry answers
 * what Remix handed it: the matched routes, their data, and how many route modules it was given.
 */
function build(): ServerBuild {
  const routes: Routes = {}
  const assets: ServerBuild['assets']['routes'] = {}
  for (const [id, parentId, path, index] of ROUTES) {
    const resource = id.endsWith('csv')
    routes[id] = {
      id,
      parentId,
      path,
      index,
      module: {
        ...(resource ? {} : { default: () => null }),
        loader: ({ params }: { params: Record<string, string | undefined> }) =>
          resource ? new Response('a,b\n1,2\n') : { id, params },
        action: () => (resource ? new Response('ok') : { acted: id }),
      },
    } as unknown as Routes[string]
    assets[id] = {
      id,
      parentId,
      path,
      index,
      module: `/build/${id}.js`,
      hasAction: true,
      hasLoader: true,
      hasClientAction: false,
      hasClientLoader: false,
      hasErrorBoundary: id === 'root',
    }
  }
  return {
    mode: 'production',
    publicPath: '/build/',
    assetsBuildDirectory: 'public/build',
    isSpaMode: false,
    future: {
      v3_fetcherPersist: true,
      v3_relativeSplatPath: true,
      v3_throwAbortReason: true,
      v3_lazyRouteDiscovery: true,
      v3_singleFetch: true,
    } as ServerBuild['future'],
    entry: {
      module: {
        default: (_request, status, headers, context) =>
          Response.json(
            {
              status,
              matches: context.staticHandlerContext.matches.map((m) => m.route.id),
              loaderData: context.staticHandlerContext.loaderData,
              actionData: context.staticHandlerContext.actionData,
              errors: context.staticHandlerContext.errors
                ? Object.keys(context.staticHandlerContext.errors)
                : null,
              routeModules: Object.keys(context.routeModules).length,
              // Every route the rendered page involves has its module (RemixServer needs each).
              missing: Object.keys(
                pageManifest(context.manifest, context.staticHandlerContext).routes,
              ).filter((routeId) => !context.routeModules[routeId]),
            },
            { status, headers },
          ),
        handleError: () => {},
      },
    },
    routes,
    assets: {
      version: 'v1',
      url: '/build/manifest.js',
      entry: { module: '/build/entry.js', imports: [] },
      routes: assets,
    },
  }
}

const PATHS = [
  '/',
  '/incidents',
  '/incidents/new',
  '/incidents/7',
  '/incidents/7/evidence',
  '/incidents/7/postmortem',
  '/incidents/new/postmortem',
  '/admin/webhooks',
  '/admin/webhooks/abc',
  '/admin',
  '/nope/deeper',
  '/export.csv',
  '/incidents.data',
  '/_root.data',
  '/incidents/7.data',
  '/incidents/7/evidence.data',
  '/nope.data',
]

async function answer(response: Response) {
  return { status: response.status, body: await response.text() }
}

describe('createRemixHandler', () => {
  it('answers every path and method as the handler of the whole build does', async () => {
    const app = build()
    const whole = createRequestHandler(app, 'production')
    const cut = createRemixHandler(app, 'production')
    for (const path of PATHS) {
      for (const method of ['GET', 'HEAD', 'POST']) {
        const request = () =>
          new Request(`http://app.test${path}${method === 'POST' ? '?index' : ''}`, {
            method,
            ...(method === 'POST'
              ? {
                  body: new URLSearchParams({ a: '1' }),
                  headers: { Origin: 'http://app.test' },
                }
              : {}),
          })
        const expected = await answer(await whole(request(), context))
        const actual = await answer(await cut(request(), context))
        if (expected.body.includes('routeModules')) {
          const { routeModules: wholeCount, ...rest } = JSON.parse(expected.body)
          const { routeModules: cutCount, ...cutRest } = JSON.parse(actual.body)
          expect(cutRest, `${method} ${path}`).toEqual(rest)
          expect(cutRest.missing).toEqual([])
          expect(actual.status, `${method} ${path}`).toBe(expected.status)
          // The document was rendered from the path's routes, not from all of them.
          expect(wholeCount).toBe(ROUTES.length)
          expect(cutCount, `${method} ${path}`).toBeLessThan(ROUTES.length)
        } else {
          expect(actual, `${method} ${path}`).toEqual(expected)
        }
      }
    }
  })

  it('leaves route discovery and ?_data requests to the whole build', async () => {
    const app = build()
    const whole = createRequestHandler(app, 'production')
    const cut = createRemixHandler(app, 'production')
    for (const url of [
      'http://app.test/__manifest?version=v1&p=%2Fincidents%2F7&p=%2Fadmin%2Fwebhooks%2Fx',
      'http://app.test/__manifest?version=old&p=%2Fincidents',
      'http://app.test/incidents/7?_data=routes%2Fadmin.webhooks._index',
    ]) {
      const expected = await answer(await whole(new Request(url), context))
      expect(await answer(await cut(new Request(url), context)), url).toEqual(expected)
    }
    const discovered = await cut(
      new Request('http://app.test/__manifest?version=v1&p=%2Fadmin%2Fwebhooks%2Fx'),
      context,
    )
    expect(await discovered.text()).toContain('routes/admin.webhooks.$endpointId')
  })
})
