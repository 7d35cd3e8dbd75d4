import { describe, expect, it } from 'vitest'
import { markdownToText } from './postmortem-pdf.server'

describe('markdownToText', () => {
  it('drops emphasis and heading marks and keeps paragraphs apart', () => {
    expect(markdownToText('## Root cause\n\nThe **cache** was *stale* and ~~warm~~.')).toBe(
      'Root cause\n\nThe cache was stale and warm.',
    )
  })

  it('keeps bullets, numbers and nesting of lists', () => {
    expect(markdownToText('- one\n- two\n  - two a\n\n3. third\n4. fourth')).toBe(
      '• one\n• two\n  • two a\n\n3. third\n4. fourth',
    )
  })

  it('shows where links go, and names images', () => {
    expect(
      markdownToText(
        'See [the runbook](https://example.test/rb) or https://example.test/x ![graph](https://example.test/g.png)',
      ),
    ).toBe('See the runbook (https://example.test/rb) or https://example.test/x [image: graph]')
  })

  it('prints code as written and characters as typed, without HTML entities', () => {
    expect(markdownToText('Run `a < b && c`:\n\n```\nif (x > 1) {\n  go()\n}\n```')).toBe(
      'Run a < b && c:\n\nif (x > 1) {\n  go()\n}',
    )
    expect(markdownToText('Zürich → 東京 "quoted" & \'single\'')).toBe(
      'Zürich → 東京 "quoted" & \'single\'',
    )
  })

  it('drops raw HTML tags but keeps their text', () => {
    expect(markdownToText('<script>alert(1)</script>\n\nHello <b>world</b>')).toBe(
      'alert(1)\n\nHello world',
    )
  })

  it('marks task items, quotes and tables', () => {
    expect(markdownToText('- [x] done\n- [ ] todo')).toBe('[x] done\n[ ] todo')
    expect(markdownToText('> quoted\n> text')).toBe('> quoted\n> text')
    expect(markdownToText('| a | b |\n|---|---|\n| 1 | 2 |')).toBe('a | b\n1 | 2')
  })

  it('is empty for an empty section', () => {
    expect(markdownToText('')).toBe('')
    expect(markdownToText('\n\n  \n')).toBe('')
  })
})
