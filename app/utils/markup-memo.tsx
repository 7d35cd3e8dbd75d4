import { useNavigate } from '@remix-run/react'
import { createContext, useContext, useState, type MouseEvent, type ReactElement } from 'react'

/**
 * Server rendering of parts of a page that are a pure function of a few plain values (a timeline
 * entry, a row of the incident list): their markup is rendered once and kept under a key made of
 * exactly those values. Loaders use the server's store (`pageMarkupMemo`, markup-memo.server.ts) and
 * send the markup as one string, which the page shows as it is on the server and in the browser.
 */
export interface MarkupMemo {
  /**
   * The markup `render()` gives, kept under `inputs` — which must hold every value the markup
   * depends on (it is the whole cache key, serialised). `render` must use no context.
   */
  html(kind: string, inputs: unknown, render: () => ReactElement): string
  /**
   * Markup made of other markup (a list of items each kept by `html`), kept under `inputs` the same
   * way: `inputs` must hold every value of every item. One key for a whole list costs one
   * serialisation and one look-up instead of one per item; on a miss `make` joins the items, most of
   * which the store still holds.
   */
  joined(kind: string, inputs: unknown, make: () => string): string
}

/**
 * Memoized markup cannot hold a router `<Link>` (it is rendered outside the router), so its links
 * are plain anchors; this click handler, put on the element around them, follows the ones `accept`
 * names inside the app as a `<Link>` would (no document load). Other links — downloads, `#`
 * anchors, new tabs, other origins — are left to the browser.
 */
export function useFollowPlainLinks(accept: (link: HTMLAnchorElement) => boolean) {
  const navigate = useNavigate()
  return (event: MouseEvent<HTMLElement>) => {
    if (event.defaultPrevented || event.button !== 0) return
    if (event.metaKey || event.altKey || event.ctrlKey || event.shiftKey) return
    const link = event.target instanceof Element ? event.target.closest('a') : null
    if (!link || link.target || link.hasAttribute('download')) return
    if (link.getAttribute('href')?.startsWith('#')) return
    if (link.origin !== window.location.origin || !accept(link)) return
    event.preventDefault()
    navigate(`${link.pathname}${link.search}${link.hash}`)
  }
}

/** A document's server-made parts by element id, for its render (see document-markup.server.ts). */
export const DocumentMarkupContext = createContext<ReadonlyMap<string, string> | null>(null)

/**
 * The markup of a server-made part shown in the element with `id`: as sent in the page's data, or
 * — when the data carries none because the document already shows it — from the document's render
 * on the server, and in the browser from that element as the server rendered it, read once when
 * the page hydrates (so hydration finds exactly what is there).
 */
export function useDocumentMarkup(id: string, sent: string | null): string {
  const inDocument = useContext(DocumentMarkupContext)
  const [hydrated] = useState(() =>
    sent === null && typeof document !== 'undefined'
      ? (document.getElementById(id)?.innerHTML ?? '')
      : '',
  )
  return sent ?? inDocument?.get(id) ?? hydrated
}
