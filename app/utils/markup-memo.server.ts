import type { ReactElement } from 'react'
import { renderToString } from 'react-dom/server'
import type { MarkupMemo } from './markup-memo'

export interface MarkupMemoOptions {
  /** Upper bound of the characters kept (keys and markup together); least recently used go first. */
  maxChars?: number
  /** Renders an element; `renderToString` unless a test counts the renderings. */
  render?: (element: ReactElement) => string
}

const DEFAULT_MAX_CHARS = 16 * 1024 * 1024

/**
 * A bounded least-recently-used store of rendered markup. A key is the part's kind plus its inputs
 * serialised as JSON, so two inputs that differ in any value (a name, a time zone's rendering of a
 * date, a permission) never share markup, and nothing needs invalidating: changed inputs are a new
 * key, and the old markup ages out. The store lives in the server build, so a rebuild (development)
 * starts an empty one.
 */
export function createMarkupMemo(options: MarkupMemoOptions = {}): MarkupMemo & {
  readonly size: number
  readonly chars: number
} {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS
  const render = options.render ?? renderToString
  const kept = new Map<string, string>()
  let chars = 0
  const remember = (kind: string, inputs: unknown, make: () => string) => {
    const key = `${kind}\u0000${JSON.stringify(inputs)}`
    const hit = kept.get(key)
    if (hit !== undefined) {
      // Most recently used last: a Map iterates in insertion order.
      kept.delete(key)
      kept.set(key, hit)
      return hit
    }
    const markup = flat(make())
    const size = key.length + markup.length
    if (size > maxChars) return markup
    kept.set(key, markup)
    chars += size
    for (const [oldKey, oldMarkup] of kept) {
      if (chars <= maxChars) break
      kept.delete(oldKey)
      chars -= oldKey.length + oldMarkup.length
    }
    return markup
  }
  return {
    html: (kind, inputs, make) => remember(kind, inputs, () => render(make())),
    joined: (kind, inputs, make) => remember(`joined:${kind}`, inputs, make),
    get size() {
      return kept.size
    },
    get chars() {
      return chars
    },
  }
}

/**
 * The store the pages use (timeline entries, list rows), kept across requests for the life of the
 * server build.
 */
export const pageMarkupMemo = createMarkupMemo()

/**
 * `renderToString` builds its answer by appending chunk after chunk, which V8 keeps as a tree of
 * hundreds of pieces, and every later join or write of that string walks the tree again: 25 kept
 * rows cost about 150 µs to join each time, against under 10 µs once each is one piece. Reading a
 * character makes V8 turn the tree into one piece in place, once, when the markup is kept.
 */
function flat(markup: string) {
  markup.charCodeAt(0)
  return markup
}

/**
 * The memo as one organization's pages use it: their keys never meet another organization's, so
 * whether a part was already rendered (and answered a little sooner) says nothing across tenants.
 */
export function forOrganization(memo: MarkupMemo, organizationId: string): MarkupMemo {
  return {
    html: (kind, inputs, render) => memo.html(`${organizationId}:${kind}`, inputs, render),
    joined: (kind, inputs, make) => memo.joined(`${organizationId}:${kind}`, inputs, make),
  }
}
