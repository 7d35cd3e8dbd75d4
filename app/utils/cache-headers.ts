import type { HeadersFunction } from '@remix-run/node'

/**
 * A route's `headers`: passes on the Cache-Control its action or loader set (the action's
 * first), so an answer carrying a secret keeps its `no-store` on the document response.
 */
export const forwardCacheControl: HeadersFunction = ({ actionHeaders, loaderHeaders }) => {
  const forwarded = new Headers()
  const cacheControl = actionHeaders.get('Cache-Control') ?? loaderHeaders.get('Cache-Control')
  if (cacheControl) forwarded.set('Cache-Control', cacheControl)
  return forwarded
}
