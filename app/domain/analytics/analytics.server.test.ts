import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { aggregateFacts, decodeFacts } from './analytics.server'
import { durationStats } from './metrics'

const EPOCH_2000 = Date.UTC(2000, 0, 1) / 1000

interface TestRecord {
  declared: Date
  severity?: number
  open?: boolean
  /** SLA code per target: 0 none, 1 met, 2 breached, 3 not reached (with due). */
  sla?: Array<{ code: number; due?: Date }>
  service?: number
  type?: number
  commander?: number
  tta?: number
  ttm?: number
  ttr?: number
  assignees?: number[]
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000) - EPOCH_2000

/** The record layout written by analytics_refresh (db/migrations/0006-analytics.ts). */
function encode(records: TestRecord[]): Uint8Array {
  const parts: number[] = []
  const int4 = (v: number) => {
    const b = Buffer.alloc(4)
    b.writeInt32BE(v)
    parts.push(...b)
  }
  const int2 = (v: number) => {
    const b = Buffer.alloc(2)
    b.writeUInt16BE(v)
    parts.push(...b)
  }
  for (const r of records) {
    const sla = r.sla ?? [{ code: 0 }, { code: 0 }, { code: 0 }]
    int4(seconds(r.declared))
    int2(
      (r.severity ?? 0) |
        ((r.open ? 1 : 0) << 2) |
        (sla[0]!.code << 3) |
        (sla[1]!.code << 5) |
        (sla[2]!.code << 7),
    )
    int4(r.service ?? 0)
    int4(r.type ?? 0)
    int4(r.commander ?? 0)
    int4(r.tta ?? -1)
    int4(r.ttm ?? -1)
    int4(r.ttr ?? -1)
    for (const s of sla) if (s.code === 3) int4(seconds(s.due!))
    int2(r.assignees?.length ?? 0)
    for (const a of r.assignees ?? []) int4(a)
  }
  return Uint8Array.from(parts)
}

const DAY1 = new Date('2026-03-01T00:00:00Z')
const DAY2 = new Date('2026-03-02T00:00:00Z')
const input = { buckets: ['2026-03-01', '2026-03-02'], bucketStarts: [DAY1, DAY2] }

describe('decodeFacts and aggregateFacts', () => {
  it('reads every field of the record layout back', () => {
    const facts = decodeFacts(
      encode([
        {
          declared: new Date('2026-03-01T10:00:00Z'),
          severity: 2,
          open: true,
          sla: [{ code: 1 }, { code: 3, due: new Date('2026-03-01T14:00:00Z') }, { code: 2 }],
          service: 7,
          type: 8,
          commander: 9,
          tta: 60,
          ttr: 7200,
          assignees: [11, 12],
        },
        { declared: new Date('2026-03-02T10:00:00Z') },
      ]),
    )
    expect(facts.n).toBe(2)
    expect(facts.severity[0]).toBe(2)
    expect(facts.open[0]).toBe(1)
    expect([facts.service[0], facts.type[0], facts.commander[0]]).toEqual([7, 8, 9])
    expect([facts.durations.mtta[0], facts.durations.mttm[0], facts.durations.mttr[0]]).toEqual([
      60, -1, 7200,
    ])
    expect(facts.sla.acknowledge.code[0]).toBe(1)
    expect(facts.sla.mitigate.code[0]).toBe(3)
    expect(facts.sla.mitigate.due[0]).toBe(seconds(new Date('2026-03-01T14:00:00Z')))
    expect(facts.sla.resolve.code[0]).toBe(2)
    expect([...facts.assignees.subarray(facts.assigneeStart[0], facts.assigneeStart[1])]).toEqual([
      11, 12,
    ])
    expect(facts.assigneeStart[2]! - facts.assigneeStart[1]!).toBe(0)
  })

  it('counts a target not reached as breached once its due time has passed, else not at all', () => {
    const due = new Date('2026-03-01T14:00:00Z')
    const facts = decodeFacts(
      encode([
        {
          declared: new Date('2026-03-01T10:00:00Z'),
          sla: [{ code: 3, due }, { code: 0 }, { code: 0 }],
        },
      ]),
    )
    const before = aggregateFacts(facts, { ...input, now: new Date(due.getTime() - 1000) })
    expect(before.slaCompliance[0]).toMatchObject({ met: 0, breached: 0, compliance: null })
    const after = aggregateFacts(facts, { ...input, now: due })
    expect(after.slaCompliance[0]).toMatchObject({ met: 0, breached: 1, compliance: 0 })
  })

  it('computes the same mean, median and p90 as durationStats, overall and per bucket', () => {
    const duration = fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 400_000 }))
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), duration, fc.integer({ min: 0, max: 5 })), {
          maxLength: 400,
        }),
        (rows) => {
          const records = rows.map(([second, ttr, service]) => ({
            declared: second ? new Date(DAY2.getTime() + 3600_000) : new Date(DAY1.getTime()),
            ttr,
            service,
          }))
          const result = aggregateFacts(decodeFacts(encode(records)), {
            ...input,
            now: DAY2,
          })
          const expected = (keep: (r: (typeof rows)[number]) => boolean) =>
            durationStats(rows.filter(keep).map((r) => (r[1] < 0 ? null : r[1])))
          const close = (a: ReturnType<typeof durationStats>, b: typeof a) => {
            expect(a.count).toBe(b.count)
            for (const key of ['mean', 'median', 'p90'] as const) {
              if (b[key] === null) expect(a[key]).toBeNull()
              else expect(a[key]).toBeCloseTo(b[key], 6)
            }
          }
          close(
            result.responseTimes.mttr,
            expected(() => true),
          )
          close(
            result.responseTrend[0]!.mttr,
            expected((r) => !r[0]),
          )
          close(
            result.responseTrend[1]!.mttr,
            expected((r) => r[0]),
          )
          for (const group of result.services)
            close(
              group.mttr,
              expected((r) => r[2] === group.no),
            )
        },
      ),
      { numRuns: 200 },
    )
  })
})
