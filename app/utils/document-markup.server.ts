import type { AppLoadContext } from '@remix-run/node'

/**
 * A page part made on the server as markup (the incident list's rows) for the loader to return.
 * A document shows the part where it renders it and the browser reads it back from there when it
 * hydrates, so for a document the markup is handed to the render through the request's context
 * and the page's data carries null instead of the same markup a second time, escaped in JSON. A
 * `.data` request (a navigation, a live reload) gets the markup in its data.
 */
export function markupForPage(context: AppLoadContext, id: string, html: string): string | null {
  const documentMarkup = context.documentMarkup
  if (!documentMarkup) return html
  documentMarkup.set(id, html)
  return null
}
