import { describe, expect, it } from 'vitest'
import {
  MAX_DIFF_CELLS,
  countChanges,
  diffLines,
  diffRevisions,
  diffText,
  splitLines,
  type DiffLine,
} from './diff'
import type { PostmortemSections } from './vocabulary'

/** Rebuilds both sides from a diff: the old text is everything not added, the new not removed. */
const sides = (lines: DiffLine[]) => ({
  before: lines.filter((l) => l.kind !== 'added').map((l) => l.text),
  after: lines.filter((l) => l.kind !== 'removed').map((l) => l.text),
})

const sections = (over: Partial<PostmortemSections> = {}): PostmortemSections => ({
  summary: '',
  customerImpact: '',
  rootCause: '',
  wentWell: '',
  wentPoorly: '',
  lessons: '',
  ...over,
})

describe('splitLines', () => {
  it('gives no lines for empty text and normalises line endings', () => {
    expect(splitLines('')).toEqual([])
    expect(splitLines('a\r\nb\rc\nd')).toEqual(['a', 'b', 'c', 'd'])
    expect(splitLines('a\n')).toEqual(['a', ''])
  })
})

describe('diffLines', () => {
  it('marks every line unchanged for equal texts', () => {
    expect(diffLines(['a', 'b'], ['a', 'b'])).toEqual([
      { kind: 'unchanged', text: 'a' },
      { kind: 'unchanged', text: 'b' },
    ])
  })

  it('finds a line added in the middle', () => {
    expect(diffLines(['a', 'c'], ['a', 'b', 'c'])).toEqual([
      { kind: 'unchanged', text: 'a' },
      { kind: 'added', text: 'b' },
      { kind: 'unchanged', text: 'c' },
    ])
  })

  it('finds a removed line and shows a replaced line as removed before added', () => {
    expect(diffLines(['a', 'b', 'c', 'd'], ['a', 'x', 'd'])).toEqual([
      { kind: 'unchanged', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'removed', text: 'c' },
      { kind: 'added', text: 'x' },
      { kind: 'unchanged', text: 'd' },
    ])
  })

  it('handles an empty side', () => {
    expect(diffLines([], ['a', 'b']).map((l) => l.kind)).toEqual(['added', 'added'])
    expect(diffLines(['a'], []).map((l) => l.kind)).toEqual(['removed'])
    expect(diffLines([], [])).toEqual([])
  })

  it('keeps the longest common subsequence, not just the first match', () => {
    // LCS of A B C B D A B and B D C A B A has length 4 (e.g. B C B A or B D A B).
    const lines = diffLines('ABCBDAB'.split(''), 'BDCABA'.split(''))
    expect(lines.filter((l) => l.kind === 'unchanged')).toHaveLength(4)
    expect(sides(lines)).toEqual({ before: 'ABCBDAB'.split(''), after: 'BDCABA'.split('') })
  })

  it('rebuilds both texts from any diff (sampled pairs)', () => {
    // A fixed pseudo-random sequence so the test is the same on every run.
    let state = 7
    const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31)
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: next() % 12 }, () => String.fromCharCode(97 + (next() % 4)))
      const b = Array.from({ length: next() % 12 }, () => String.fromCharCode(97 + (next() % 4)))
      const lines = diffLines(a, b)
      expect(sides(lines)).toEqual({ before: a, after: b })
      // Minimal: what is unchanged is a longest common subsequence.
      expect(lines.filter((l) => l.kind === 'unchanged').length).toBe(lcsLength(a, b))
    }
  })

  it('falls back to all removed then all added when the table would be too large', () => {
    const size = Math.ceil(Math.sqrt(MAX_DIFF_CELLS)) + 1
    const a = Array.from({ length: size }, (_, i) => `old ${i}`)
    const b = Array.from({ length: size }, (_, i) => `new ${i}`)
    const lines = diffLines(['same', ...a, 'end'], ['same', ...b, 'end'])
    expect(lines[0]).toEqual({ kind: 'unchanged', text: 'same' })
    expect(lines.at(-1)).toEqual({ kind: 'unchanged', text: 'end' })
    expect(countChanges(lines)).toEqual({ added: size, removed: size })
    expect(lines[1]!.kind).toBe('removed')
    expect(lines[size + 1]!.kind).toBe('added')
  })
})

describe('diffText and countChanges', () => {
  it('counts added and removed lines of two texts', () => {
    const lines = diffText('one\ntwo\nthree', 'one\n2\nthree\nfour')
    expect(countChanges(lines)).toEqual({ added: 2, removed: 1 })
  })
})

describe('diffRevisions', () => {
  it('lists the summary, the timeline, then the other sections, and marks what changed', () => {
    const result = diffRevisions(
      { sections: sections({ summary: 'Disk full', lessons: 'Alert sooner' }), timelineLines: [] },
      {
        sections: sections({ summary: 'Disk full on db-1', lessons: 'Alert sooner' }),
        timelineLines: ['#1 Ada declared the incident as SEV-2'],
      },
    )
    expect(result.map((s) => s.key)).toEqual([
      'summary',
      'timeline',
      'customerImpact',
      'rootCause',
      'wentWell',
      'wentPoorly',
      'lessons',
    ])
    expect(result.map((s) => s.label)).toEqual([
      'Summary',
      'Timeline',
      'Customer impact',
      'Root cause and contributing factors',
      'What went well',
      'What went poorly',
      'Lessons',
    ])
    const byKey = Object.fromEntries(result.map((s) => [s.key, s]))
    expect(byKey.summary!.lines).toEqual([
      { kind: 'removed', text: 'Disk full' },
      { kind: 'added', text: 'Disk full on db-1' },
    ])
    expect(byKey.timeline!.lines).toEqual([
      { kind: 'added', text: '#1 Ada declared the incident as SEV-2' },
    ])
    expect(byKey.lessons!.changed).toBe(false)
    expect(byKey.rootCause!.changed).toBe(false)
    expect(byKey.summary!.changed).toBe(true)
  })
})

function lcsLength(a: string[], b: string[]): number {
  const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0))
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      table[i]![j] =
        a[i - 1] === b[j - 1]
          ? table[i - 1]![j - 1]! + 1
          : Math.max(table[i - 1]![j]!, table[i]![j - 1]!)
  return table[a.length]![b.length]!
}
