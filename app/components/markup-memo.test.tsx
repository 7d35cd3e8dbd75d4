import type { ReactElement } from 'react'
import { renderToString } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { createMarkupMemo, forOrganization } from '~/utils/markup-memo.server'

// The timeline's and the incident list's markup: timeline-markup.server.test.tsx and
// incident/incident-rows.server.test.tsx.

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
