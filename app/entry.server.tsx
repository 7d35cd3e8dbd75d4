import { Writable } from 'node:stream'
import type { AppLoadContext, EntryContext } from '@remix-run/node'
import { RemixServer, isRouteErrorResponse } from '@remix-run/react'
import { renderToPipeableStream } from 'react-dom/server'
import { loggableError } from './utils/loggable-error.server'
import { DocumentMarkupContext } from './utils/markup-memo'
import { NonceContext } from './utils/nonce'
import { pageManifest } from './utils/page-manifest.server'

export const streamTimeout = 5_000

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const nonce = loadContext.nonce
  // Only the routes this page can involve: Remix rebuilds, ranks and matches whatever it is given.
  remixContext.manifest = pageManifest(remixContext.manifest, remixContext.staticHandlerContext)
  return new Promise((resolve, reject) => {
    let shellRendered = false
    const { pipe, abort } = renderToPipeableStream(
      <NonceContext.Provider value={nonce}>
        <DocumentMarkupContext.Provider value={loadContext.documentMarkup ?? null}>
          <RemixServer context={remixContext} url={request.url} nonce={nonce} />
        </DocumentMarkupContext.Provider>
      </NonceContext.Provider>,
      {
        nonce,
        onShellReady() {
          shellRendered = true
        },
        // No page defers data: the whole document is ready a moment after its shell, and sent in
        // one piece (one write, a Content-Length) instead of streamed in two-kilobyte chunks.
        onAllReady() {
          const chunks: Buffer[] = []
          const sink = new Writable({
            write(chunk: Buffer, _encoding, done) {
              chunks.push(chunk)
              done()
            },
            final(done) {
              const body = Buffer.concat(chunks)
              responseHeaders.set('Content-Type', 'text/html; charset=utf-8')
              responseHeaders.set('Content-Length', String(body.length))
              resolve(new Response(body, { headers: responseHeaders, status: responseStatusCode }))
              done()
            },
          })
          pipe(sink)
        },
        onShellError(error: unknown) {
          reject(error)
        },
        onError(error: unknown) {
          responseStatusCode = 500
          // Errors after the shell are logged here; before it, they reach the error boundary.
          if (shellRendered) loadContext.logger.error({ err: error }, 'render error')
        },
      },
    )
    setTimeout(abort, streamTimeout + 1000)
  })
}

export function handleError(error: unknown, { request }: { request: Request }) {
  if (request.signal.aborted) return
  // An address no route matches is answered with the 404 page and logged by pino-http as a
  // request; it is not a server error worth a stack trace.
  if (isRouteErrorResponse(error) && error.status < 500) return
  // A busy or unreachable database is answered 503 and logged once by the request handler.
  if (error instanceof Error && error.name === 'DatabaseUnavailableError') return
  // A failed statement is printed as its shape and code, never with the values it carried.
  console.error(loggableError(error))
}
