import { describe, expect, it } from 'vitest'
import { secondsToHours, slaComplianceOf, slaCompliancePercent } from './dashboard-figures'

const dashboard = {
  slaCompliance: [
    { target: 'acknowledge', severity: 'SEV-1', met: 2, breached: 1, compliance: 2 / 3 },
    { target: 'resolve', severity: 'SEV-1', met: 0, breached: 0, compliance: null },
  ] as const,
}

describe('dashboard figures', () => {
  it('gives hours with two decimals, and a gap for no value', () => {
    expect(secondsToHours(5400)).toBe(1.5)
    expect(secondsToHours(1000)).toBe(0.28)
    expect(secondsToHours(null)).toBeNull()
  })

  it('finds the compliance of one target and severity, in percent with one decimal', () => {
    const copy = { slaCompliance: [...dashboard.slaCompliance] }
    expect(slaComplianceOf(copy, 'acknowledge', 'SEV-1')?.met).toBe(2)
    expect(slaCompliancePercent(copy, 'acknowledge', 'SEV-1')).toBe(66.7)
    expect(slaCompliancePercent(copy, 'resolve', 'SEV-1')).toBeNull()
    expect(slaComplianceOf(copy, 'mitigate', 'SEV-2')).toBeUndefined()
    expect(slaCompliancePercent(copy, 'mitigate', 'SEV-2')).toBeNull()
  })
})
