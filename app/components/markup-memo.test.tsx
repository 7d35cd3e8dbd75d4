import type { ReactElement } from 'react'
import { renderToString } from 'react-dom/server'
import {
  StaticRouterProvider,
  createStaticHandler,
  createStaticRouter,
} from 'react-router-dom/server'
import { describe, expect, it } from 'vitest'
import type { TimelineEntry, TimelinePaging } from '~/domain/incident/timeline-view'
import { MarkupMemoContext, type MarkupMemo } from '~/utils/markup-memo'
import { createMarkupMemo, forOrganization } from '~/utils/markup-memo.server'
import { Timeline } from './timeline'

/** Renders `element` as the server renders a page: inside a static data router, with `memo`. */
async function renderPage(element: () => ReactElement, memo: MarkupMemo | null) {
  const handler = createStaticHandler([{ id: 'page', path: '/incidents/:n?', Component: element }])
  const context = await handler.query(new Request('http://app.test/incidents/7'))
  if (context instanceof Response) throw new Error('unexpected response')
  const router = createStaticRouter(handler.dataRoutes, context)
  return renderToString(
    <MarkupMemoContext.Provider value={memo}>
      <StaticRouterProvider router={router} context={context} hydrate={false} />
    </MarkupMemoContext.Provider>,
  )
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

function timeline(list: TimelineEntry[], page: TimelinePaging = paging, who = 'u2') {
  return () => (
    <Timeline
      entries={list}
      version={12}
      canCorrect={(entry) => entry.actorId === who}
      paging={page}
    />
  )
}

describe('memoized markup', () => {
  it('gives the timeline the markup React renders without it, the first time and from the store', async () => {
    const plain = await renderPage(timeline(entries), null)
    const memo = createMarkupMemo()
    expect(await renderPage(timeline(entries), memo)).toBe(plain)
    // Each entry, and the page of them under one key.
    expect(memo.size).toBe(entries.length + 1)
    expect(await renderPage(timeline(entries), memo)).toBe(plain)
    expect(memo.size).toBe(entries.length + 1)
    expect(plain).toContain('Ada &lt;Lovelace&gt;')
    expect(plain).toContain('href="/incidents/7?before=20&amp;correct=4#correct-4"')
  })

  it('renders an entry again when anything it shows differs: a name, a time zone, a permission, the page', async () => {
    const memo = createMarkupMemo()
    await renderPage(timeline(entries), memo)
    const renamed = entries.map((e) => (e.actorId === 'u2' ? { ...e, actor: 'Grace H.' } : e))
    const otherZone = entries.map((e) => ({ ...e, at: '7 Dec 2026, 08:15 UTC' }))
    const olderPage = { ...paging, query: 'before=10' }
    for (const [render, expected] of [
      [timeline(renamed), 'Grace H.'],
      [timeline(otherZone), '7 Dec 2026, 08:15 UTC'],
      [timeline(entries, olderPage), 'href="/incidents/7?before=10&amp;correct=4#correct-4"'],
    ] as const) {
      const html = await renderPage(render, memo)
      expect(html).toBe(await renderPage(render, null))
      expect(html).toContain(expected)
    }
    // Someone who may not correct Grace's comment gets no link to do so.
    const html = await renderPage(timeline(entries, paging, 'u1'), memo)
    expect(html).toBe(await renderPage(timeline(entries, paging, 'u1'), null))
    expect(html).not.toContain('Correct this comment')
  })

  it('renders only the new entry when a page of entries gains one, and nothing for a page it holds', async () => {
    const rendered: string[] = []
    const memo = createMarkupMemo({
      render: (element) => {
        const html = renderToString(element)
        rendered.push(html)
        return html
      },
    })
    await renderPage(timeline(entries), memo)
    expect(rendered).toHaveLength(entries.length)
    await renderPage(timeline(entries), memo)
    expect(rendered).toHaveLength(entries.length)
    const newer: TimelineEntry = {
      ...entries[1]!,
      seq: 5,
      hash: 'e'.repeat(64),
      html: '<p>Recovered</p>',
      supersededBy: undefined,
    }
    const longer = [...entries, newer]
    const html = await renderPage(timeline(longer), memo)
    expect(html).toBe(await renderPage(timeline(longer), null))
    expect(rendered).toHaveLength(entries.length + 1)
    expect(rendered.at(-1)).toContain('Recovered')
  })

  it('renders the correction form in the tree (it needs the router), not from the store', async () => {
    const memo = createMarkupMemo()
    const correcting = { ...paging, correcting: 4 }
    const html = await renderPage(timeline(entries, correcting), memo)
    expect(html).toBe(await renderPage(timeline(entries, correcting), null))
    expect(html).toContain('Save correction')
    expect(memo.size).toBe(0)
  })
})

describe('createMarkupMemo', () => {
  const counting = () => {
    const rendered: string[] = []
    const render = (element: ReactElement) => {
      const html = renderToString(element)
      rendered.push(html)
      return html
    }
    return { rendered, render }
  }

  it('renders once per distinct inputs and kind', () => {
    const { rendered, render } = counting()
    const memo = createMarkupMemo({ render })
    const make = (text: string) => () => <b>{text}</b>
    expect(memo.html('a', { text: 'x' }, make('x'))).toBe('<b>x</b>')
    expect(memo.html('a', { text: 'x' }, make('x'))).toBe('<b>x</b>')
    expect(memo.html('a', { text: 'y' }, make('y'))).toBe('<b>y</b>')
    expect(memo.html('b', { text: 'x' }, make('x'))).toBe('<b>x</b>')
    expect(rendered).toHaveLength(3)
  })

  it('never shares markup between organizations, even for equal inputs', () => {
    const { rendered, render } = counting()
    const memo = createMarkupMemo({ render })
    const ours = forOrganization(memo, 'org-a')
    const theirs = forOrganization(memo, 'org-b')
    const make = () => <b>same</b>
    ours.html('row', { n: 1 }, make)
    ours.html('row', { n: 1 }, make)
    expect(rendered).toHaveLength(1)
    theirs.html('row', { n: 1 }, make)
    expect(rendered).toHaveLength(2)
    expect(memo.size).toBe(2)
    let joins = 0
    const join = () => {
      joins++
      return '<b>same</b><b>same</b>'
    }
    expect(ours.joined('rows', [1, 1], join)).toBe('<b>same</b><b>same</b>')
    ours.joined('rows', [1, 1], join)
    expect(joins).toBe(1)
    theirs.joined('rows', [1, 1], join)
    expect(joins).toBe(2)
    expect(memo.size).toBe(4)
  })

  it('keeps at most its bound of characters, dropping the least recently used first', () => {
    const { rendered, render } = counting()
    const memo = createMarkupMemo({ render, maxChars: 45 })
    const make = (text: string) => () => <i>{text}</i>
    memo.html('k', 'one', make('one'))
    memo.html('k', 'two', make('two'))
    memo.html('k', 'one', make('one')) // "one" is now the most recently used
    memo.html('k', 'three', make('three'))
    expect(memo.chars).toBeLessThanOrEqual(45)
    expect(rendered).toHaveLength(3)
    memo.html('k', 'one', make('one'))
    expect(rendered).toHaveLength(3)
    memo.html('k', 'two', make('two'))
    expect(rendered).toHaveLength(4)
    // Larger than the whole bound: rendered every time, never kept.
    const long = 'x'.repeat(100)
    memo.html('k', long, make(long))
    memo.html('k', long, make(long))
    expect(rendered).toHaveLength(6)
    expect(memo.chars).toBeLessThanOrEqual(45)
  })
})
