import {
  POSTMORTEM_SECTIONS,
  POSTMORTEM_SECTION_LABELS,
  type PostmortemSection,
  type PostmortemSections,
} from './vocabulary'

/**
 * Line-based differences between two revisions of a postmortem: the longest common subsequence
 * of lines is kept, everything else is removed (only in the older text) or added (only in the
 * newer). Pure and browser-safe.
 */

export type DiffKind = 'added' | 'removed' | 'unchanged'

export interface DiffLine {
  kind: DiffKind
  text: string
}

/**
 * Above this many cells (lines × lines after trimming the common ends) the table would cost too
 * much memory; such a change is shown as the whole old text removed and the new one added.
 */
export const MAX_DIFF_CELLS = 16_000_000

export function splitLines(text: string): string[] {
  if (text === '') return []
  return text.replace(/\r\n?/g, '\n').split('\n')
}

/** The differences between two lists of lines, in reading order, removals before additions. */
export function diffLines(before: readonly string[], after: readonly string[]): DiffLine[] {
  let start = 0
  while (start < before.length && start < after.length && before[start] === after[start]) start++
  let endBefore = before.length
  let endAfter = after.length
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore--
    endAfter--
  }
  const head: DiffLine[] = before.slice(0, start).map((text) => ({ kind: 'unchanged', text }))
  const tail: DiffLine[] = before.slice(endBefore).map((text) => ({ kind: 'unchanged', text }))
  const a = before.slice(start, endBefore)
  const b = after.slice(start, endAfter)
  return [...head, ...diffMiddle(a, b), ...tail]
}

function diffMiddle(a: readonly string[], b: readonly string[]): DiffLine[] {
  const n = a.length
  const m = b.length
  if (n === 0) return b.map((text) => ({ kind: 'added', text }))
  if (m === 0) return a.map((text) => ({ kind: 'removed', text }))
  if ((n + 1) * (m + 1) > MAX_DIFF_CELLS)
    return [
      ...a.map((text): DiffLine => ({ kind: 'removed', text })),
      ...b.map((text): DiffLine => ({ kind: 'added', text })),
    ]
  // lcs[i * (m + 1) + j]: length of the longest common subsequence of a[i..] and b[j..].
  const width = m + 1
  const lcs = new Uint32Array((n + 1) * width)
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * width + j] =
        a[i] === b[j]
          ? lcs[(i + 1) * width + j + 1]! + 1
          : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!)
    }
  }
  const out: DiffLine[] = []
  let i = 0
  let j = 0
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ kind: 'unchanged', text: a[i]! })
      i++
      j++
    } else if (lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!) {
      out.push({ kind: 'removed', text: a[i]! })
      i++
    } else {
      out.push({ kind: 'added', text: b[j]! })
      j++
    }
  }
  while (i < n) out.push({ kind: 'removed', text: a[i++]! })
  while (j < m) out.push({ kind: 'added', text: b[j++]! })
  return out
}

export function diffText(before: string, after: string): DiffLine[] {
  return diffLines(splitLines(before), splitLines(after))
}

export interface DiffCounts {
  added: number
  removed: number
}

export function countChanges(lines: readonly DiffLine[]): DiffCounts {
  let added = 0
  let removed = 0
  for (const line of lines) {
    if (line.kind === 'added') added++
    else if (line.kind === 'removed') removed++
  }
  return { added, removed }
}

export interface SectionDiff {
  key: PostmortemSection | 'timeline'
  label: string
  lines: DiffLine[]
  changed: boolean
}

/**
 * Every section and the timeline choice, in page order (the timeline second, as printed). The
 * timeline is compared as one line per chosen entry.
 */
export function diffRevisions(
  before: { sections: PostmortemSections; timelineLines: readonly string[] },
  after: { sections: PostmortemSections; timelineLines: readonly string[] },
): SectionDiff[] {
  const section = (key: PostmortemSection): SectionDiff => {
    const lines = diffText(before.sections[key] ?? '', after.sections[key] ?? '')
    return {
      key,
      label: POSTMORTEM_SECTION_LABELS[key],
      lines,
      changed: lines.some((l) => l.kind !== 'unchanged'),
    }
  }
  const timelineLines = diffLines(before.timelineLines, after.timelineLines)
  const timeline: SectionDiff = {
    key: 'timeline',
    label: 'Timeline',
    lines: timelineLines,
    changed: timelineLines.some((l) => l.kind !== 'unchanged'),
  }
  const [first, ...rest] = POSTMORTEM_SECTIONS.map(section)
  return [first!, timeline, ...rest]
}
