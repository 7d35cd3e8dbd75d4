import type { Dashboard, DurationStats } from '~/domain/analytics/types'

/**
 * A small, hand-made dashboard for tests of what is rendered from one (the PDF report): figures
 * chosen so their words are known ("1 h 30 min"), names with non-Latin letters and arrows.
 */

export const stats = (
  count: number,
  mean: number | null,
  median: number | null,
  p90: number | null,
) => ({ count, mean, median, p90 }) satisfies DurationStats
const none = stats(0, null, null, null)

export function fixtureDashboard(overrides: Partial<Dashboard> = {}): Dashboard {
  return {
    organization: {
      id: '0b8f8c1e-0000-4000-8000-000000000001',
      name: 'Zürich → Köln Ops',
      timezone: 'Europe/Zurich',
    },
    filters: {
      from: '2026-01-01T23:00:00.000Z',
      to: '2026-01-04T23:00:00.000Z',
      period: 'custom',
      bucket: 'day',
      severities: [],
      serviceId: null,
      incidentTypeId: null,
      commanderId: null,
    },
    definitionsVersion: '2026-07-fixture',
    countingRuleVersion: '1',
    generatedAt: '2026-01-05T08:30:00.000Z',
    totals: {
      incidents: 7,
      open: 2,
      bySeverity: { 'SEV-1': 1, 'SEV-2': 2, 'SEV-3': 3, 'SEV-4': 1 },
    },
    volume: [
      {
        bucket: '2026-01-02',
        counts: { 'SEV-1': 1, 'SEV-2': 1, 'SEV-3': 0, 'SEV-4': 0 },
        total: 2,
      },
      {
        bucket: '2026-01-03',
        counts: { 'SEV-1': 0, 'SEV-2': 1, 'SEV-3': 2, 'SEV-4': 0 },
        total: 3,
      },
      {
        bucket: '2026-01-04',
        counts: { 'SEV-1': 0, 'SEV-2': 0, 'SEV-3': 1, 'SEV-4': 1 },
        total: 2,
      },
    ],
    responseTimes: {
      mtta: stats(6, 420, 300, 900),
      mttm: stats(5, 3600, 2700, 7200),
      // 1 h 30 min, 1 h 15 min and 3 h 20 min: the figures the test looks for.
      mttr: stats(4, 5400, 4500, 12_000),
    },
    responseTrend: [
      {
        bucket: '2026-01-02',
        mtta: stats(2, 300, 300, 300),
        mttm: stats(2, 3600, 3600, 3600),
        mttr: stats(2, 5400, 5400, 5400),
      },
      {
        bucket: '2026-01-03',
        mtta: stats(3, 480, 420, 600),
        mttm: stats(2, 3000, 3000, 3000),
        mttr: stats(1, 4500, 4500, 4500),
      },
      { bucket: '2026-01-04', mtta: stats(1, 900, 900, 900), mttm: none, mttr: none },
    ],
    slaCompliance: [
      { target: 'acknowledge', severity: 'SEV-1', met: 1, breached: 0, compliance: 1 },
      { target: 'resolve', severity: 'SEV-2', met: 1, breached: 1, compliance: 0.5 },
      { target: 'resolve', severity: 'SEV-3', met: 0, breached: 0, compliance: null },
    ],
    topServices: [
      { id: 's1', name: 'Zahlungsdienst Süd', count: 4, mttr: stats(3, 5000, 4500, 7000) },
      { id: null, name: 'No service', count: 3, mttr: none },
    ],
    topIncidentTypes: [{ id: 't1', name: 'Outage', count: 7, mttr: stats(4, 5400, 4500, 12_000) }],
    people: [
      {
        userId: 'u1',
        name: 'Ada Ødegård',
        commanded: 5,
        assigned: 2,
        mttr: stats(3, 6000, 5400, 9000),
      },
    ],
    openByAge: [
      { label: 'Under 1 day', minSeconds: 0, maxSeconds: 86_400, count: 1 },
      { label: '1–7 days', minSeconds: 86_400, maxSeconds: 604_800, count: 1 },
      { label: 'Over 7 days', minSeconds: 604_800, maxSeconds: null, count: 0 },
    ],
    ...overrides,
  }
}
