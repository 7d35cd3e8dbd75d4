import type { AppLoadContext } from '@remix-run/node'
import type { ReactElement } from 'react'
import { renderToString } from 'react-dom/server'
import { encode } from 'turbo-stream'
import { describe, expect, it } from 'vitest'
import type { TimelineEntry, TimelinePaging, TimelineShown } from '~/domain/incident/timeline-view'
import { markupForPage } from '~/utils/document-markup.server'
import { createMarkupMemo, type MarkupMemoOptions } from '~/utils/markup-memo.server'
import { renderInRouter } from '../../tests/support/render-route'
import { TIMELINE_ENTRIES_ID, Timeline } from './timeline'
import { timelineShown } from './timeline-markup.server'

/**
 * Renders `element` as the server renders a page: inside a static data router, and for a document
 * with the markup its loaders handed to the render (`documentMarkup`).
 */
function renderPage(element: () => ReactElement, documentMarkup: Map<string, string> | null) {
  return renderInRouter(element, {
    path: '/incidents/:n?',
    url: 'http://app.test/incidents/7',
    documentMarkup,
  })
}

const at = { at: '7 Dec 2026, 09:15 CET', atIso: '2026-12-07T08:15:00.000Z' }
const entries: TimelineEntry[] = [
  {
    seq: 1,
    type: 'incident.declared',
    actor: 'Ada <Lovelace>',
    actorId: 'u1',
    ...at,
    hash: 'a'.repeat(64),
    summary: 'declared the incident',
    detail: 'SEV-2 "checkout" & payments',
  },
  {
    seq: 2,
    type: 'comment.added',
    actor: 'Grace',
    actorId: 'u2',
    ...at,
    hash: 'b'.repeat(64),
    summary: 'commented',
    html: '<p>Rolled <strong>back</strong></p>',
    supersededBy: 4,
  },
  {
    seq: 3,
    type: 'evidence.added',
    actor: 'Grace',
    actorId: 'u2',
    ...at,
    hash: 'c'.repeat(64),
    summary: 'added evidence graph.png',
    attachment: {
      href: '/incidents/7/evidence/e1',
      previewHref: '/incidents/7/evidence/e1?preview=1',
      sha256: 'd'.repeat(64),
      withdrawn: false,
    },
  },
  {
    seq: 4,
    type: 'comment.corrected',
    actor: 'Grace',
    actorId: 'u2',
    ...at,
    hash: 'e'.repeat(64),
    summary: 'corrected a comment',
    html: '<p>Rolled back at 09:10</p>',
  },
  {
    seq: 9,
    type: 'alert.received',
    actor: 'Alertmanager',
    actorId: null,
    ...at,
    hash: 'f'.repeat(64),
    summary: 'alert HighErrorRate fired',
    run: {
      size: 5,
      kind: 'repeat',
      firstSeq: 5,
      firstAt: '7 Dec 2026, 09:01 CET',
      firstAtUtc: '2026-12-07 08:01:00 UTC',
      earlier: [
        { seq: 7, ...at, summary: 'alert HighErrorRate fired', detail: null },
        { seq: 8, ...at, summary: 'alert HighErrorRate fired again', detail: 'p99 3 s' },
      ],
    },
  },
]
const paging: TimelinePaging = {
  path: '/incidents/7',
  query: 'before=20',
  olderBefore: 1,
  newerAfter: null,
  total: 30,
  all: false,
  correcting: null,
}

const mayCorrect = (who: string) => (entry: TimelineEntry) => entry.actorId === who

/** The timeline rendered entry by entry, as components. */
function plain(list: TimelineEntry[], page: TimelinePaging = paging, who = 'u2') {
  const shown: TimelineShown = { count: list.length, grouped: false, entries: list }
  return renderPage(
    () => <Timeline shown={shown} version={12} canCorrect={mayCorrect(who)} paging={page} />,
    null,
  )
}

/**
 * The timeline as the incident page's loader ships it, from `memo`: for a `.data` request, or for
 * a document (which shows the markup and leaves it out of its data).
 */
function shipped(
  memo: ReturnType<typeof createMarkupMemo>,
  list: TimelineEntry[],
  page: TimelinePaging = paging,
  who = 'u2',
  document = false,
) {
  const documentMarkup = document ? new Map<string, string>() : null
  const context = { documentMarkup: documentMarkup ?? undefined } as unknown as AppLoadContext
  const shown = timelineShown('org-a', list, mayCorrect(who), page, {
    forPage: (markup) => markupForPage(context, TIMELINE_ENTRIES_ID, markup),
    memo,
  })
  return {
    shown,
    html: renderPage(
      () => <Timeline shown={shown} version={12} canCorrect={mayCorrect(who)} paging={page} />,
      documentMarkup,
    ),
  }
}

/** What turbo-stream (Remix's single fetch) makes of `value` for the browser. */
const encoded = (value: unknown) => new Response(encode(value)).text()

const counting = (options: MarkupMemoOptions = {}) => {
  const rendered: string[] = []
  const memo = createMarkupMemo({
    ...options,
    render: (element) => {
      const html = renderToString(element)
      rendered.push(html)
      return html
    },
  })
  return { memo, rendered }
}

describe('the timeline as the incident page ships it', () => {
  it('is the markup React renders entry by entry, the first time and from the store', async () => {
    const expected = await plain(entries)
    const memo = createMarkupMemo()
    expect(await shipped(memo, entries).html).toBe(expected)
    // Each entry, and the page of them under one key.
    expect(memo.size).toBe(entries.length + 1)
    expect(await shipped(memo, entries).html).toBe(expected)
    expect(memo.size).toBe(entries.length + 1)
    expect(expected).toContain('Ada &lt;Lovelace&gt;')
    expect(expected).toContain('SEV-2 &quot;checkout&quot; &amp; payments')
    expect(expected).toContain('href="/incidents/7?before=20&amp;correct=4#correct-4"')
    expect(expected).toContain('data-run-size="5"')
  })

  it('sends the markup as one string in the data of a data request, and no entries', async () => {
    const { shown } = shipped(createMarkupMemo(), entries)
    expect(shown).toMatchObject({ count: entries.length, grouped: true })
    expect(shown.entries).toBeUndefined()
    const data = await encoded({ timeline: shown })
    expect(shown.markup).toContain('Ada &lt;Lovelace&gt;')
    expect(data).toContain(JSON.stringify(shown.markup))
    expect(data).not.toContain('"actorId"')
  })

  it("leaves the markup out of a document's data, and renders it into the document", async () => {
    const memo = createMarkupMemo()
    const { shown, html } = shipped(memo, entries, paging, 'u2', true)
    expect(shown.markup).toBeNull()
    expect(await html).toBe(await plain(entries))
    const data = await encoded({ timeline: shown })
    expect(data).not.toContain('Lovelace')
    expect(data).not.toContain('event-1')
  })

  it('renders an entry again when anything it shows differs: a name, a time zone, a permission, the page', async () => {
    const memo = createMarkupMemo()
    await shipped(memo, entries).html
    const renamed = entries.map((e) => (e.actorId === 'u2' ? { ...e, actor: 'Grace H.' } : e))
    const otherZone = entries.map((e) => ({ ...e, at: '7 Dec 2026, 08:15 UTC' }))
    const olderPage = { ...paging, query: 'before=10' }
    for (const [list, page, expected] of [
      [renamed, paging, 'Grace H.'],
      [otherZone, paging, '7 Dec 2026, 08:15 UTC'],
      [entries, olderPage, 'href="/incidents/7?before=10&amp;correct=4#correct-4"'],
    ] as const) {
      const html = await shipped(memo, list, page).html
      expect(html).toBe(await plain(list, page))
      expect(html).toContain(expected)
    }
    // Someone who may not correct Grace's comment gets no link to do so.
    const html = await shipped(memo, entries, paging, 'u1').html
    expect(html).toBe(await plain(entries, paging, 'u1'))
    expect(html).not.toContain('Correct this comment')
  })

  it('renders only the new entry when a page of entries gains one, and nothing for a page it holds', async () => {
    const { memo, rendered } = counting()
    await shipped(memo, entries).html
    expect(rendered).toHaveLength(entries.length)
    await shipped(memo, entries).html
    expect(rendered).toHaveLength(entries.length)
    const newer: TimelineEntry = {
      ...entries[1]!,
      seq: 5,
      hash: 'e'.repeat(64),
      html: '<p>Recovered</p>',
      supersededBy: undefined,
    }
    const longer = [...entries, newer]
    expect(await shipped(memo, longer).html).toBe(await plain(longer))
    expect(rendered).toHaveLength(entries.length + 1)
    expect(rendered.at(-1)).toContain('Recovered')
  })

  it("keeps one organization's entries apart from another's, even when they are equal", async () => {
    const { memo, rendered } = counting()
    const forPage = (markup: string) => markup
    timelineShown('org-a', entries, mayCorrect('u2'), paging, { forPage, memo })
    timelineShown('org-b', entries, mayCorrect('u2'), paging, { forPage, memo })
    expect(rendered).toHaveLength(2 * entries.length)
  })

  it('sends the entries, not markup, for the correction form, which is rendered in the tree', async () => {
    const memo = createMarkupMemo()
    const correcting = { ...paging, correcting: 4 }
    for (const document of [false, true]) {
      const { shown, html } = shipped(memo, entries, correcting, 'u2', document)
      expect(shown.markup).toBeUndefined()
      expect(shown.entries).toEqual(entries)
      expect(await html).toBe(await plain(entries, correcting))
      expect(await html).toContain('Save correction')
    }
    expect(memo.size).toBe(0)
  })
})
