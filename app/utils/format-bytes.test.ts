import { describe, expect, it } from 'vitest'
import { formatBytes, formatEvidenceBytes } from './format-bytes'

describe('formatBytes', () => {
  it('formats sizes', () => {
    expect(formatBytes(null)).toBe('—')
    expect(formatBytes(900)).toBe('900 B')
    expect(formatBytes(420_000)).toBe('410 KB')
    expect(formatBytes(2_500_000)).toBe('2.4 MB')
  })

  it('shows kilobytes to one decimal for evidence, and bytes and megabytes as reports do', () => {
    expect(formatEvidenceBytes(1023)).toBe('1023 B')
    expect(formatEvidenceBytes(1536)).toBe('1.5 KB')
    expect(formatEvidenceBytes(420_000)).toBe('410.2 KB')
    expect(formatEvidenceBytes(2_500_000)).toBe('2.4 MB')
    expect(formatBytes(1536)).toBe('2 KB')
  })
})
