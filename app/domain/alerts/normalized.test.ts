import { describe, expect, it } from 'vitest'
import { boundedKey, clip, mostSevere, severityFromWord } from './normalized'

describe('severityFromWord', () => {
  it('maps the documented words, ignoring case and spaces', () => {
    expect(severityFromWord(' Critical ')).toBe('SEV-1')
    expect(severityFromWord('ERROR')).toBe('SEV-2')
    expect(severityFromWord('high')).toBe('SEV-2')
    expect(severityFromWord('warning')).toBe('SEV-3')
    expect(severityFromWord('info')).toBe('SEV-4')
    expect(severityFromWord('low')).toBe('SEV-4')
    expect(severityFromWord('sev3')).toBe('SEV-3')
    expect(severityFromWord('SEV-4')).toBe('SEV-4')
    expect(severityFromWord('p4')).toBe('SEV-4')
    expect(severityFromWord('P5')).toBe('SEV-4')
  })

  it('knows nothing else', () => {
    for (const value of ['SEV-5', 'sev-0', 'P0', 'page', '', undefined, null, 1])
      expect(severityFromWord(value)).toBeNull()
  })
})

describe('helpers', () => {
  it('picks the most severe', () => {
    expect(mostSevere([null, 'SEV-3', 'SEV-2', null])).toBe('SEV-2')
    expect(mostSevere([null])).toBeNull()
  })

  it('clips with an ellipsis and keeps short keys as they are', () => {
    expect(clip('abcdef', 4)).toBe('abc…')
    expect(clip('  abc  ', 4)).toBe('abc')
    expect(boundedKey('k')).toBe('k')
    expect(boundedKey('k'.repeat(501))).toMatch(/^sha256:/)
  })
})
