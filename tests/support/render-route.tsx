/**
 * Renders one real Remix route module (its loader, then its default component) to HTML inside a
 * static data router, the way the server renders a document request, minus the root layout and
 * the hydration script. Enough to check what a page puts into its HTML without building the app.
 * (`createRemixStub` from @remix-run/testing would do this, but it is not installed here;
 * react-router-dom is the router @remix-run/react itself runs on.)
 */
import type { ComponentType } from 'react'
import { renderToString } from 'react-dom/server'
import { isRouteErrorResponse } from 'react-router-dom'
import {
  StaticRouterProvider,
  createStaticHandler,
  createStaticRouter,
} from 'react-router-dom/server'
import type { AppLoadContext, LoaderFunctionArgs } from '@remix-run/node'
import { DocumentMarkupContext } from '~/utils/markup-memo'

export interface RouteModule {
  loader: (args: LoaderFunctionArgs) => Promise<unknown>
  default: ComponentType
}

export async function renderRoute(options: {
  module: RouteModule
  /** The route's path pattern, e.g. `/incidents/:number`. */
  path: string
  request: Request
  context: AppLoadContext
}): Promise<{ status: number; html: string }> {
  const { module, path, request, context } = options
  const routes = [
    {
      id: 'route',
      path,
      loader: (args: { request: Request; params: Record<string, string | undefined> }) =>
        module.loader({ ...args, context }),
      Component: module.default,
    },
  ]
  const handler = createStaticHandler(routes)
  const result = await handler.query(request)
  if (result instanceof Response) return { status: result.status, html: await result.text() }
  if (result.errors) {
    // A thrown Response (404, 403) arrives as an error response carrying its status.
    const error: unknown = Object.values(result.errors)[0]
    if (isRouteErrorResponse(error)) return { status: error.status, html: String(error.data) }
    throw error
  }
  const router = createStaticRouter(handler.dataRoutes, result)
  const html = renderToString(
    <StaticRouterProvider router={router} context={result} hydrate={false} />,
  )
  return { status: result.statusCode, html }
}

/**
 * Renders `Component` as the server renders a document: inside a static data router at `url`
 * (matched by `path`), with the markup a document's loaders handed to the render
 * (`documentMarkup`, see app/utils/document-markup.server.ts), or none.
 */
export async function renderInRouter(
  Component: ComponentType,
  options: { path: string; url: string; documentMarkup?: ReadonlyMap<string, string> | null },
): Promise<string> {
  const handler = createStaticHandler([{ id: 'page', path: options.path, Component }])
  const context = await handler.query(new Request(options.url))
  if (context instanceof Response) throw new Error(`unexpected response ${context.status}`)
  const router = createStaticRouter(handler.dataRoutes, context)
  return renderToString(
    <DocumentMarkupContext.Provider value={options.documentMarkup ?? null}>
      <StaticRouterProvider router={router} context={context} hydrate={false} />
    </DocumentMarkupContext.Provider>,
  )
}
