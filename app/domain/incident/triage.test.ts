import { describe, expect, it } from 'vitest'
import {
  DEFAULT_TRIAGE_MATRIX,
  IMPACTS,
  URGENCIES,
  isHigher,
  severityRank,
  triage,
  type TriageMatrix,
} from './triage'
import { SEVERITIES } from './vocabulary'

// IMPACTS and URGENCIES run from the most to the least: a lower index is more.
const cells = IMPACTS.flatMap((impact, i) =>
  URGENCIES.map((urgency, u) => ({ impact, urgency, i, u })),
)

describe('the default triage matrix', () => {
  it('orders impacts and urgencies from most to least', () => {
    expect(IMPACTS).toEqual(['extensive', 'significant', 'moderate', 'minor'])
    expect(URGENCIES).toEqual(['critical', 'high', 'medium', 'low'])
  })

  it('has a severity for every impact × urgency', () => {
    for (const { impact, urgency } of cells) {
      expect(SEVERITIES).toContain(triage(DEFAULT_TRIAGE_MATRIX, impact, urgency))
    }
  })

  it.each(cells.filter((c) => c.i > 0))(
    'never lowers severity when impact rises from $impact (urgency $urgency)',
    ({ impact, urgency, i }) => {
      const more = IMPACTS[i - 1]!
      expect(severityRank(triage(DEFAULT_TRIAGE_MATRIX, more, urgency))).toBeLessThanOrEqual(
        severityRank(triage(DEFAULT_TRIAGE_MATRIX, impact, urgency)),
      )
    },
  )

  it.each(cells.filter((c) => c.u > 0))(
    'never lowers severity when urgency rises from $urgency (impact $impact)',
    ({ impact, urgency, u }) => {
      const more = URGENCIES[u - 1]!
      expect(severityRank(triage(DEFAULT_TRIAGE_MATRIX, impact, more))).toBeLessThanOrEqual(
        severityRank(triage(DEFAULT_TRIAGE_MATRIX, impact, urgency)),
      )
    },
  )

  it('rates extensive × critical SEV-1 and minor × low SEV-4', () => {
    expect(triage(DEFAULT_TRIAGE_MATRIX, 'extensive', 'critical')).toBe('SEV-1')
    expect(triage(DEFAULT_TRIAGE_MATRIX, 'minor', 'low')).toBe('SEV-4')
  })

  it('uses every severity somewhere, so no level is unreachable by triage', () => {
    const used = new Set(cells.map((c) => triage(DEFAULT_TRIAGE_MATRIX, c.impact, c.urgency)))
    expect([...used].sort()).toEqual([...SEVERITIES])
  })
})

describe('triage with an organization’s own matrix', () => {
  it('reads the given matrix, not the default', () => {
    const allLow = Object.fromEntries(
      IMPACTS.map((i) => [i, Object.fromEntries(URGENCIES.map((u) => [u, 'SEV-4']))]),
    ) as TriageMatrix
    expect(triage(allLow, 'extensive', 'critical')).toBe('SEV-4')
  })
})

describe('severity order', () => {
  it('ranks SEV-1 … SEV-4 as 1 … 4', () => {
    expect(SEVERITIES.map(severityRank)).toEqual([1, 2, 3, 4])
  })

  it('calls a lower number higher, and nothing higher than itself', () => {
    expect(isHigher('SEV-1', 'SEV-2')).toBe(true)
    expect(isHigher('SEV-3', 'SEV-4')).toBe(true)
    expect(isHigher('SEV-2', 'SEV-1')).toBe(false)
    expect(isHigher('SEV-4', 'SEV-1')).toBe(false)
    for (const s of SEVERITIES) expect(isHigher(s, s)).toBe(false)
  })

  it('is a strict total order over the four severities', () => {
    for (const a of SEVERITIES) {
      for (const b of SEVERITIES) {
        if (a === b) continue
        expect(isHigher(a, b)).toBe(!isHigher(b, a))
        expect(isHigher(a, b)).toBe(SEVERITIES.indexOf(a) < SEVERITIES.indexOf(b))
      }
    }
  })
})
