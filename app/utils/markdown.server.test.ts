import { describe, expect, it } from 'vitest'
import { XSS_CORPUS, startTags, unsafeParts, urlScheme } from '../../tests/support/xss'
import { renderMarkdown } from './markdown.server'

describe('the XSS checker itself', () => {
  it('flags what a browser would run', () => {
    expect(unsafeParts('<script>alert(1)</script>')).not.toEqual([])
    expect(unsafeParts('<img src="x" onerror="alert(1)">')).not.toEqual([])
    expect(unsafeParts('<a href="&#106;ava&#x73;cript&colon;alert(1)">x</a>')).not.toEqual([])
    expect(unsafeParts('<a href=" java\tscript:alert(1)">x</a>')).not.toEqual([])
    expect(unsafeParts('<img src="data:image/svg+xml;base64,AAAA">')).not.toEqual([])
    expect(unsafeParts('<iframe src="https://ok.example/"></iframe>')).not.toEqual([])
    expect(unsafeParts('<p style="color:red">x</p>')).not.toEqual([])
  })

  it('passes escaped text and ordinary links', () => {
    expect(unsafeParts('<p>&lt;script&gt;alert(1)&lt;/script&gt; onerror=x</p>')).toEqual([])
    expect(
      unsafeParts('<a href="https://ok.example/?a=1&amp;b=2">x</a><a href="/x">y</a>'),
    ).toEqual([])
    expect(urlScheme('mailto:a@b.example')).toBe('mailto')
    expect(urlScheme('/relative:path')).toBeNull()
  })
})

/** The sanitiser's allow-list, restated: anything else in the output is a regression. */
const ALLOWED_TAGS = (
  'p br strong em del s code pre blockquote ul ol li a hr h1 h2 h3 h4 h5 h6 ' +
  'table thead tbody tr th td img input'
).split(' ')

describe('renderMarkdown on an XSS corpus', () => {
  it('has at least 15 attacks', () => {
    expect(XSS_CORPUS.length).toBeGreaterThanOrEqual(15)
  })

  it.each(XSS_CORPUS)('renders %j inert', (attack) => {
    const html = renderMarkdown(attack)
    expect(unsafeParts(html)).toEqual([])
    expect(html).not.toMatch(/<script/i)
    expect(html).not.toMatch(/<(iframe|object|embed|style|svg|math)\b/i)
    expect(html).not.toMatch(/(href|src)\s*=\s*["']?\s*(javascript|data|vbscript):/i)
    for (const tag of startTags(html)) {
      expect(ALLOWED_TAGS).toContain(tag.name)
      // Event handlers would be attributes of a real tag (text such as "onerror=" is harmless).
      expect(tag.attributes.filter((a) => /^on/.test(a.name))).toEqual([])
    }
  })

  it('renders the whole corpus as one document inert', () => {
    const html = renderMarkdown(XSS_CORPUS.join('\n\n'))
    expect(unsafeParts(html)).toEqual([])
  })

  it('allows images from https only', () => {
    for (const tag of startTags(renderMarkdown(XSS_CORPUS.join('\n\n')))) {
      if (tag.name !== 'img') continue
      const src = tag.attributes.find((a) => a.name === 'src')?.value ?? ''
      expect(urlScheme(src)).toBe('https')
    }
    expect(renderMarkdown('![chart](https://ok.example/c.png)')).toContain(
      '<img src="https://ok.example/c.png" alt="chart" />',
    )
    expect(renderMarkdown('![chart](http://ok.example/c.png)')).not.toContain('<img')
    // A relative image would make every viewer's browser request a URL of this application.
    expect(renderMarkdown('![x](/logout) <img src="x" onerror="alert(1)">')).not.toContain('<img')
  })
})

describe('renderMarkdown on ordinary comments', () => {
  it('keeps emphasis, code, lists and tables', () => {
    const html = renderMarkdown(
      '**bold** _it_ `code`\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```sql\nselect 1\n```',
    )
    expect(html).toContain('<strong>bold</strong>')
    expect(html).toContain('<em>it</em>')
    expect(html).toContain('<code>code</code>')
    expect(html).toContain('<li>one</li>')
    expect(html).toContain('<td>1</td>')
    expect(html).toContain('<code class="language-sql">select 1\n</code>')
  })

  it('gives every link rel="nofollow noopener noreferrer" and a new tab', () => {
    const html = renderMarkdown(
      '[docs](https://ok.example/docs) <https://ok.example/auto> https://ok.example/bare ' +
        '<a href="https://ok.example/raw" rel="opener" target="_self">raw</a> [mail](mailto:a@ok.example)',
    )
    const links = startTags(html).filter((t) => t.name === 'a')
    expect(links).toHaveLength(5)
    for (const link of links) {
      const attrs = Object.fromEntries(link.attributes.map((a) => [a.name, a.value]))
      expect(attrs.rel).toBe('nofollow noopener noreferrer')
      expect(attrs.target).toBe('_blank')
      expect(['https', 'mailto']).toContain(urlScheme(attrs.href ?? ''))
    }
  })

  it('drops the href of a javascript: link but keeps its text', () => {
    const html = renderMarkdown('[click me](javascript:alert(1))')
    expect(html).toContain('click me')
    expect(html).not.toContain('javascript')
  })

  it('turns task lists into disabled checkboxes and nothing else', () => {
    const html = renderMarkdown('- [x] done\n- [ ] todo')
    const inputs = startTags(html).filter((t) => t.name === 'input')
    expect(inputs).toHaveLength(2)
    for (const input of inputs) {
      expect(input.attributes.map((a) => a.name).sort()).toEqual(
        input.attributes.some((a) => a.name === 'checked')
          ? ['checked', 'disabled', 'type']
          : ['disabled', 'type'],
      )
    }
  })
})
