import type { ServerBuild } from '@remix-run/node'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  INCIDENT_CSV_COLUMNS,
  loadDashboard,
  streamIncidentExport,
} from '~/domain/analytics/analytics.server'
import { parseAnalyticsFilters } from '~/domain/analytics/filters'
import type { Dashboard, ExportIncident } from '~/domain/analytics/types'
import { createMember, signIn, type TestMember } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'
import { parseCsv } from '../support/csv'

/**
 * A small hand-made organization in Europe/Berlin whose every dashboard number is worked out by
 * hand below, plus a second organization whose incidents must never show up.
 */
const db = setUpTestDatabase('analytics')

const ZONE = 'Europe/Berlin'
/** 31 March 2026, 11:00 in Berlin. */
const NOW = new Date('2026-03-31T09:00:00Z')
/** 1–31 March 2026 in Berlin: 2026-02-28T23:00Z to 2026-03-31T22:00Z. */
const MARCH = 'period=custom&from=2026-03-01&to=2026-03-31'

const MIN = 60
const HOUR = 3600
const DAY = 86_400

/** Targets in seconds; SEV-3 has none, SEV-4 no mitigation target. */
const TARGETS = {
  'SEV-1': { acknowledge: 15 * MIN, mitigate: HOUR, resolve: 4 * HOUR, warningPercent: 75 },
  'SEV-2': { acknowledge: 30 * MIN, mitigate: 4 * HOUR, resolve: DAY, warningPercent: 75 },
  'SEV-3': { acknowledge: null, mitigate: null, resolve: null, warningPercent: 75 },
  'SEV-4': { acknowledge: DAY, mitigate: null, resolve: 7 * DAY, warningPercent: 75 },
}

let organizationId: string
let otherOrganizationId: string
let manager: TestMember
let engineer: TestMember
let admin: TestMember
let policyId: string
const services: Record<string, string> = {}
const types: Record<string, string> = {}
const incidentIds: Record<number, string> = {}

interface Row {
  number: number
  title?: string
  severity: string
  status: string
  service?: string | null
  type?: string | null
  commander?: string | null
  assignees?: string[]
  impact: string
  declared?: string
  ack?: string | null
  mit?: string | null
  res?: string | null
  closed?: string | null
  policy?: boolean
}

async function insertIncident(org: string, row: Row) {
  const [inserted] = await db.query<{ id: string }>(
    `insert into incident (organization_id, number, title, severity, status, service_id,
                           incident_type_id, commander_id, assignee_ids, impact_started_at,
                           declared_at, acknowledged_at, mitigated_at, resolved_at, closed_at,
                           sla_policy_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9::uuid[], $10, $11, $12, $13, $14, $15, $16)
     returning id`,
    [
      org,
      row.number,
      row.title ?? `Incident ${row.number}`,
      row.severity,
      row.status,
      row.service ?? null,
      row.type ?? null,
      row.commander ?? null,
      row.assignees ?? [],
      row.impact,
      row.declared ?? row.impact,
      row.ack ?? null,
      row.mit ?? null,
      row.res ?? null,
      row.closed ?? null,
      row.policy === false ? null : policyId,
    ],
  )
  return inserted!.id
}

async function dashboard(query: string, org = organizationId, now = NOW): Promise<Dashboard> {
  return loadDashboard(
    db.orm,
    org,
    parseAnalyticsFilters(new URLSearchParams(query), ZONE, now),
    now,
  )
}

beforeAll(async () => {
  organizationId = db.organizationId
  await db.query(`update organization set timezone = $1 where id = $2`, [ZONE, organizationId])
  otherOrganizationId = await db.createOrganization('Other org')
  manager = await createMember(db, { role: 'manager', displayName: 'Mara Manager' })
  engineer = await createMember(db, { role: 'engineer', displayName: 'Erin Engineer' })
  admin = await createMember(db, { role: 'admin', displayName: 'Ada Admin' })
  for (const name of ['Checkout', 'Search']) {
    const [s] = await db.query<{ id: string }>(
      'insert into service (organization_id, name) values ($1, $2) returning id',
      [organizationId, name],
    )
    services[name] = s!.id
  }
  for (const name of ['Outage', 'Degradation']) {
    const [t] = await db.query<{ id: string }>(
      'insert into incident_type (organization_id, name) values ($1, $2) returning id',
      [organizationId, name],
    )
    types[name] = t!.id
  }
  const [policy] = await db.query<{ id: string }>(
    `insert into sla_policy (organization_id, version, targets) values ($1, 1, $2) returning id`,
    [organizationId, JSON.stringify(TARGETS)],
  )
  policyId = policy!.id
  const M = manager.userId
  const E = engineer.userId
  const A = admin.userId
  const rows: Row[] = [
    // SEV-1, every target met: MTTA 600, MTTM 2400, MTTR 7200.
    {
      number: 1,
      severity: 'SEV-1',
      status: 'closed',
      service: services.Checkout,
      type: types.Outage,
      commander: M,
      assignees: [E],
      impact: '2026-03-10T10:00:00Z',
      declared: '2026-03-10T10:01:00Z',
      ack: '2026-03-10T10:10:00Z',
      mit: '2026-03-10T10:40:00Z',
      res: '2026-03-10T12:00:00Z',
      closed: '2026-03-11T09:00:00Z',
    },
    // SEV-1, acknowledged and mitigated late: 1200 > 900, 5400 > 3600; resolved in time (7200).
    {
      number: 2,
      severity: 'SEV-1',
      status: 'resolved',
      service: services.Checkout,
      type: types.Outage,
      commander: M,
      impact: '2026-03-11T08:00:00Z',
      declared: '2026-03-11T08:05:00Z',
      ack: '2026-03-11T08:20:00Z',
      mit: '2026-03-11T09:30:00Z',
      res: '2026-03-11T10:00:00Z',
    },
    // SEV-2, still investigating: acknowledged in 600 s; mitigation and resolution overdue.
    {
      number: 3,
      severity: 'SEV-2',
      status: 'investigating',
      service: services.Search,
      type: types.Degradation,
      commander: E,
      assignees: [M, E],
      impact: '2026-03-12T09:00:00Z',
      ack: '2026-03-12T09:10:00Z',
    },
    // SEV-2, never acknowledged, impact 23 h ago: acknowledge and mitigate overdue, resolve running.
    {
      number: 4,
      severity: 'SEV-2',
      status: 'detected',
      service: services.Search,
      commander: M,
      impact: '2026-03-30T10:00:00Z',
    },
    // SEV-1 whose impact start was edited to after the acknowledgement: MTTA negative, left
    // out; MTTM 1800, MTTR 3600. A breach of "resolve" was recorded (below) and stands.
    {
      number: 5,
      severity: 'SEV-1',
      status: 'closed',
      impact: '2026-03-15T12:00:00Z',
      ack: '2026-03-15T11:30:00Z',
      mit: '2026-03-15T12:30:00Z',
      res: '2026-03-15T13:00:00Z',
      closed: '2026-03-16T10:00:00Z',
    },
    // SEV-2, reopened after its first resolution at 11:00 and resolved again later: the stored
    // first resolution counts. MTTA 300, MTTM 1800, MTTR 3600. Its title is a formula.
    {
      number: 6,
      title: '=HYPERLINK("http://evil.example","click")',
      severity: 'SEV-2',
      status: 'resolved',
      service: services.Checkout,
      commander: E,
      impact: '2026-03-20T10:00:00Z',
      ack: '2026-03-20T10:05:00Z',
      mit: '2026-03-20T10:30:00Z',
      res: '2026-03-20T11:00:00Z',
    },
    // Declared in February: outside the period.
    {
      number: 7,
      severity: 'SEV-1',
      status: 'closed',
      service: services.Checkout,
      commander: M,
      impact: '2026-02-15T10:00:00Z',
      ack: '2026-02-15T10:01:00Z',
      mit: '2026-02-15T10:02:00Z',
      res: '2026-02-15T10:03:00Z',
      closed: '2026-02-16T10:00:00Z',
    },
    // 1 March, 00:30 in Berlin (still 28 February in UTC): the period's first day. No policy.
    {
      number: 8,
      severity: 'SEV-3',
      status: 'detected',
      service: services.Search,
      commander: M,
      impact: '2026-02-28T23:30:00Z',
      policy: false,
    },
    // 30 March, 00:30 CEST, the night after the DST change (29 March in UTC). SEV-4.
    {
      number: 9,
      severity: 'SEV-4',
      status: 'closed',
      commander: A,
      impact: '2026-03-29T22:00:00Z',
      declared: '2026-03-29T22:30:00Z',
      ack: '2026-03-29T22:30:00Z',
      mit: '2026-03-29T23:00:00Z',
      res: '2026-03-30T00:00:00Z',
      closed: '2026-03-30T08:00:00Z',
    },
  ]
  for (const row of rows) incidentIds[row.number] = await insertIncident(organizationId, row)
  await db.query(
    `insert into sla_signal (organization_id, incident_id, target, kind, event_seq, signalled_at)
     values ($1, $2, 'resolve', 'breached', 1, '2026-03-15T12:45:00Z')`,
    [organizationId, incidentIds[5]],
  )

  // Another organization's incidents in the same period, with the same services' names.
  const [otherService] = await db.query<{ id: string }>(
    `insert into service (organization_id, name) values ($1, 'Checkout') returning id`,
    [otherOrganizationId],
  )
  for (let number = 1; number <= 3; number++)
    await insertIncident(otherOrganizationId, {
      number,
      title: `Other organization secret ${number}`,
      severity: 'SEV-1',
      status: 'detected',
      service: otherService!.id,
      impact: `2026-03-1${number}T10:00:00Z`,
      policy: false,
    })
})

const stats = (count: number, mean: number | null, median: number | null, p90: number | null) => ({
  count,
  mean,
  median,
  p90,
})

describe('loadDashboard over the hand-made month', () => {
  let d: Dashboard
  beforeAll(async () => {
    d = await dashboard(MARCH)
  })

  it('counts the period’s incidents by severity and how many are still open', () => {
    expect(d.filters).toMatchObject({
      from: '2026-02-28T23:00:00.000Z',
      to: '2026-03-31T22:00:00.000Z',
      bucket: 'day',
    })
    expect(d.definitionsVersion).toBe('2')
    expect(d.countingRuleVersion).toBe('1')
    expect(d.organization).toMatchObject({ id: organizationId, timezone: ZONE })
    expect(d.totals).toEqual({
      incidents: 8,
      open: 3,
      bySeverity: { 'SEV-1': 3, 'SEV-2': 3, 'SEV-3': 1, 'SEV-4': 1 },
    })
  })

  it('puts each incident in its Berlin day, every day of the month listed', () => {
    expect(d.volume).toHaveLength(31)
    const nonZero = d.volume.filter((v) => v.total > 0)
    expect(nonZero.map((v) => [v.bucket, v.counts])).toEqual([
      ['2026-03-01', { 'SEV-1': 0, 'SEV-2': 0, 'SEV-3': 1, 'SEV-4': 0 }],
      ['2026-03-10', { 'SEV-1': 1, 'SEV-2': 0, 'SEV-3': 0, 'SEV-4': 0 }],
      ['2026-03-11', { 'SEV-1': 1, 'SEV-2': 0, 'SEV-3': 0, 'SEV-4': 0 }],
      ['2026-03-12', { 'SEV-1': 0, 'SEV-2': 1, 'SEV-3': 0, 'SEV-4': 0 }],
      ['2026-03-15', { 'SEV-1': 1, 'SEV-2': 0, 'SEV-3': 0, 'SEV-4': 0 }],
      ['2026-03-20', { 'SEV-1': 0, 'SEV-2': 1, 'SEV-3': 0, 'SEV-4': 0 }],
      ['2026-03-30', { 'SEV-1': 0, 'SEV-2': 1, 'SEV-3': 0, 'SEV-4': 1 }],
    ])
  })

  it('gives MTTA, MTTM and MTTR over the incidents that reached each point', () => {
    // MTTA: 300, 600, 600, 1200, 1800 (never acknowledged and negative left out).
    // p90 at rank 3.6: 1200 + 0.6 × 600.
    expect(d.responseTimes.mtta).toEqual(stats(5, 900, 600, 1560))
    // MTTM: 1800, 1800, 2400, 3600, 5400; p90: 3600 + 0.6 × 1800.
    expect(d.responseTimes.mttm).toEqual(stats(5, 3000, 2400, 4680))
    // MTTR: 3600, 3600, 7200, 7200, 7200 (the reopened incident's first resolution).
    expect(d.responseTimes.mttr).toEqual(stats(5, 5760, 7200, 7200))
  })

  it('gives the same per bucket for the trend', () => {
    const day = (bucket: string) => d.responseTrend.find((t) => t.bucket === bucket)!
    expect(day('2026-03-11').mtta).toEqual(stats(1, 1200, 1200, 1200))
    expect(day('2026-03-15')).toMatchObject({
      mtta: stats(0, null, null, null),
      mttm: stats(1, 1800, 1800, 1800),
      mttr: stats(1, 3600, 3600, 3600),
    })
    expect(day('2026-03-30').mttr).toEqual(stats(1, 7200, 7200, 7200))
    expect(day('2026-03-02').mttr).toEqual(stats(0, null, null, null))
  })

  it('counts SLA compliance per target and severity from outcomes and recorded breaches', () => {
    const sla = (target: string, severity: string) =>
      d.slaCompliance.find((c) => c.target === target && c.severity === severity)
    // SEV-1: #2 acknowledged and mitigated late; #5's recorded resolve breach stands.
    expect(sla('acknowledge', 'SEV-1')).toMatchObject({ met: 2, breached: 1 })
    expect(sla('mitigate', 'SEV-1')).toMatchObject({ met: 2, breached: 1 })
    expect(sla('resolve', 'SEV-1')).toMatchObject({ met: 2, breached: 1 })
    expect(sla('resolve', 'SEV-1')!.compliance).toBeCloseTo(2 / 3, 12)
    // SEV-2: #4 never acknowledged (overdue); #3 and #4 not mitigated (overdue); #3 not
    // resolved (overdue) while #4's resolve target is still running and not counted.
    expect(sla('acknowledge', 'SEV-2')).toMatchObject({ met: 2, breached: 1 })
    expect(sla('mitigate', 'SEV-2')).toMatchObject({ met: 1, breached: 2 })
    expect(sla('resolve', 'SEV-2')).toMatchObject({ met: 1, breached: 1, compliance: 0.5 })
    // SEV-3 has no targets (and #8 no policy); SEV-4 has no mitigation target.
    for (const target of ['acknowledge', 'mitigate', 'resolve'])
      expect(sla(target, 'SEV-3')).toMatchObject({ met: 0, breached: 0, compliance: null })
    expect(sla('acknowledge', 'SEV-4')).toMatchObject({ met: 1, breached: 0, compliance: 1 })
    expect(sla('mitigate', 'SEV-4')).toMatchObject({ met: 0, breached: 0, compliance: null })
    expect(sla('resolve', 'SEV-4')).toMatchObject({ met: 1, breached: 0, compliance: 1 })
    expect(d.slaCompliance).toHaveLength(12)
  })

  it('lists services and incident types by count, with their MTTR', () => {
    expect(d.topServices).toEqual([
      { id: services.Checkout, name: 'Checkout', count: 3, mttr: stats(3, 6000, 7200, 7200) },
      { id: services.Search, name: 'Search', count: 3, mttr: stats(0, null, null, null) },
      // #5 and #9: 3600 and 7200; p90 at rank 0.9: 3600 + 0.9 × 3600.
      { id: null, name: 'No service', count: 2, mttr: stats(2, 5400, 5400, 6840) },
    ])
    expect(d.topIncidentTypes).toEqual([
      // #4, #5, #6, #8, #9; MTTR 3600, 3600, 7200: p90 at rank 1.8 is 3600 + 0.8 × 3600.
      { id: null, name: 'No type', count: 5, mttr: stats(3, 4800, 3600, 6480) },
      { id: types.Outage, name: 'Outage', count: 2, mttr: stats(2, 7200, 7200, 7200) },
      { id: types.Degradation, name: 'Degradation', count: 1, mttr: stats(0, null, null, null) },
    ])
  })

  it('counts incidents commanded and assigned per member, with the MTTR of those commanded', () => {
    expect(d.people).toEqual([
      {
        userId: manager.userId,
        name: 'Mara Manager',
        commanded: 4,
        assigned: 1,
        mttr: stats(2, 7200, 7200, 7200),
      },
      {
        userId: engineer.userId,
        name: 'Erin Engineer',
        commanded: 2,
        assigned: 2,
        mttr: stats(1, 3600, 3600, 3600),
      },
      {
        userId: admin.userId,
        name: 'Ada Admin',
        commanded: 1,
        assigned: 0,
        mttr: stats(1, 7200, 7200, 7200),
      },
    ])
  })

  it('counts open incidents by the time since impact started, whatever the period', async () => {
    const counts = Object.fromEntries(d.openByAge.map((a) => [a.label, a.count]))
    expect(counts).toEqual({ '< 1 h': 0, '1–4 h': 0, '4–24 h': 1, '1–7 d': 0, '> 7 d': 2 })
    const lastWeek = await dashboard('period=7d')
    expect(lastWeek.openByAge).toEqual(d.openByAge)
  })

  it('buckets by Berlin week (Monday) when asked', async () => {
    const weeks = await dashboard(`${MARCH}&bucket=week`)
    expect(weeks.volume.map((v) => [v.bucket, v.total])).toEqual([
      ['2026-02-23', 1],
      ['2026-03-02', 0],
      ['2026-03-09', 4],
      ['2026-03-16', 1],
      ['2026-03-23', 0],
      ['2026-03-30', 2],
    ])
  })
})

describe('filters narrow every table', () => {
  it('by severity', async () => {
    const d = await dashboard(`${MARCH}&severity=SEV-1`)
    expect(d.totals.incidents).toBe(3)
    expect(d.responseTimes.mtta).toEqual(stats(2, 900, 900, 1140))
    expect(d.slaCompliance.filter((c) => c.severity !== 'SEV-1' && c.met + c.breached > 0)).toEqual(
      [],
    )
    const open = await dashboard(`${MARCH}&severity=SEV-2&severity=SEV-4`)
    expect(open.totals).toMatchObject({ incidents: 4, open: 2 })
    expect(Object.fromEntries(open.openByAge.map((a) => [a.label, a.count]))).toMatchObject({
      '4–24 h': 1,
      '> 7 d': 1,
    })
  })

  it('by service, incident type and commander', async () => {
    const search = await dashboard(`${MARCH}&service=${services.Search}`)
    expect(search.totals.incidents).toBe(3)
    expect(search.topServices.map((s) => s.name)).toEqual(['Search'])
    const outage = await dashboard(`${MARCH}&type=${types.Outage}`)
    expect(outage.totals.incidents).toBe(2)
    expect(outage.responseTimes.mttr).toEqual(stats(2, 7200, 7200, 7200))
    const erin = await dashboard(`${MARCH}&commander=${engineer.userId}`)
    expect(erin.totals.incidents).toBe(2)
    // Erin is also assigned to #1, but Mara commands that one.
    expect(erin.people.find((p) => p.userId === engineer.userId)).toMatchObject({
      commanded: 2,
      assigned: 1,
    })
    // Mara is assigned to #3, which Erin commands.
    expect(erin.people.find((p) => p.userId === manager.userId)).toMatchObject({
      commanded: 0,
      assigned: 1,
    })
  })

  it('by period: nothing in the following month', async () => {
    const april = await dashboard('period=custom&from=2026-04-01&to=2026-04-30')
    expect(april.totals.incidents).toBe(0)
    expect(april.responseTimes.mttr).toEqual(stats(0, null, null, null))
    expect(april.volume).toHaveLength(30)
  })
})

describe('keeping the facts in step with changes', () => {
  it('counts a status change and a recorded breach as soon as they commit', async () => {
    const org = await db.createOrganization('Changing org')
    const id = await insertIncident(org, {
      number: 1,
      severity: 'SEV-2',
      status: 'investigating',
      impact: '2026-03-05T10:00:00Z',
      ack: '2026-03-05T10:05:00Z',
      policy: false,
    })
    const before = await dashboard(MARCH, org)
    expect(before.responseTimes.mttm.count).toBe(0)
    expect(before.totals.open).toBe(1)
    expect(before.openByAge.map((a) => a.count)).toEqual([0, 0, 0, 0, 1])

    await db.query(
      `update incident set status = 'resolved', mitigated_at = '2026-03-05T10:20:00Z',
                           resolved_at = '2026-03-05T11:00:00Z' where id = $1`,
      [id],
    )
    const after = await dashboard(MARCH, org)
    expect(after.responseTimes.mttm).toEqual(stats(1, 1200, 1200, 1200))
    expect(after.responseTimes.mttr).toEqual(stats(1, 3600, 3600, 3600))
    expect(after.totals.open).toBe(0)
    expect(after.openByAge.map((a) => a.count)).toEqual([0, 0, 0, 0, 0])

    // The organization's policy arrives, then a recorded breach of "acknowledge".
    const [policy] = await db.query<{ id: string }>(
      `insert into sla_policy (organization_id, version, targets) values ($1, 1, $2) returning id`,
      [org, JSON.stringify(TARGETS)],
    )
    await db.query('update incident set sla_policy_id = $1 where id = $2', [policy!.id, id])
    const met = await dashboard(MARCH, org)
    expect(
      met.slaCompliance.find((c) => c.target === 'acknowledge' && c.severity === 'SEV-2'),
    ).toMatchObject({ met: 1, breached: 0 })
    await db.query(
      `insert into sla_signal (organization_id, incident_id, target, kind, event_seq, signalled_at)
       values ($1, $2, 'acknowledge', 'breached', 2, now())`,
      [org, id],
    )
    const breached = await dashboard(MARCH, org)
    expect(
      breached.slaCompliance.find((c) => c.target === 'acknowledge' && c.severity === 'SEV-2'),
    ).toMatchObject({ met: 0, breached: 1 })
  })

  it('reads a day again when a change commits after its page was stored, even one in progress then', async () => {
    const org = await db.createOrganization('Paging org')
    const id = await insertIncident(org, {
      number: 1,
      severity: 'SEV-3',
      status: 'investigating',
      impact: '2026-03-05T10:00:00Z',
      ack: '2026-03-05T10:10:00Z',
      policy: false,
    })
    expect((await dashboard(MARCH, org)).responseTimes.mtta.count).toBe(1)
    const [stored] = await db.query<{ pages: number; changes: number }>(
      `select (select count(*)::int from analytics_page where organization_id = $1) as pages,
              (select count(*)::int from analytics_page_change where organization_id = $1) as changes`,
      [org],
    )
    // Every UTC day the Berlin month touches has a page; the changes they cover are gone.
    expect(stored).toEqual({ pages: 32, changes: 0 })

    // A committed change makes the day's page out of date …
    await db.query(`update incident set severity = 'SEV-4' where id = $1`, [id])
    // … and another transaction changes the incident again, still uncommitted while the
    // dashboard reads that day afresh and stores its page.
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    try {
      await client.query('begin')
      await client.query(
        `update incident set status = 'mitigated', mitigated_at = '2026-03-05T10:40:00Z' where id = $1`,
        [id],
      )
      const during = await dashboard(MARCH, org)
      expect(during.totals.bySeverity['SEV-4']).toBe(1)
      expect(during.responseTimes.mttm.count).toBe(0)
      await client.query('commit')
    } finally {
      await client.end()
    }
    const after = await dashboard(MARCH, org)
    expect(after.responseTimes.mttm).toEqual(stats(1, 2400, 2400, 2400))
    // And the page stored now is current: read once more, the same.
    expect((await dashboard(MARCH, org)).responseTimes.mttm.count).toBe(1)
  })

  it('keeps every incident’s facts, and only its own organization’s', async () => {
    const [row] = await db.query<{ facts: number; incidents: number; foreign: number }>(
      `select (select count(*)::int from analytics_fact) as facts,
              (select count(*)::int from incident) as incidents,
              (select count(*)::int from analytics_fact f join incident i on i.id = f.incident_id
                where i.organization_id <> f.organization_id) as foreign`,
    )
    expect(row!.facts).toBe(row!.incidents)
    expect(row!.foreign).toBe(0)
  })
})

describe('open incidents by age', () => {
  it('puts an incident open for exactly 1 h, 4 h, 24 h and 7 d in the bucket that starts there', async () => {
    const org = await db.createOrganization('Ages org')
    const ages = [0, 59 * MIN, HOUR, 4 * HOUR - 1, 4 * HOUR, DAY, 7 * DAY - 1, 7 * DAY, 30 * DAY]
    for (const [n, age] of ages.entries())
      await insertIncident(org, {
        number: n + 1,
        severity: 'SEV-3',
        status: n % 2 ? 'investigating' : 'mitigated',
        impact: new Date(NOW.getTime() - age * 1000).toISOString(),
        ack: n % 2 ? NOW.toISOString() : null,
        policy: false,
      })
    // Closed ones never count.
    await insertIncident(org, {
      number: 99,
      severity: 'SEV-3',
      status: 'closed',
      impact: new Date(NOW.getTime() - 3 * DAY * 1000).toISOString(),
      policy: false,
    })
    const d = await dashboard('period=7d', org)
    expect(Object.fromEntries(d.openByAge.map((a) => [a.label, a.count]))).toEqual({
      '< 1 h': 2,
      '1–4 h': 2,
      '4–24 h': 1,
      '1–7 d': 2,
      '> 7 d': 2,
    })
  })
})

describe('tenant isolation', () => {
  it('never shows another organization’s incidents in the dashboard', async () => {
    const other = await dashboard(MARCH, otherOrganizationId)
    expect(other.totals.incidents).toBe(3)
    const mine = await dashboard(MARCH)
    expect(mine.topServices.find((s) => s.name === 'Checkout')!.count).toBe(3)
    expect(mine.totals.bySeverity['SEV-1']).toBe(3)
  })

  it('never exports another organization’s incidents', async () => {
    const all: ExportIncident[] = []
    const filters = parseAnalyticsFilters(new URLSearchParams(MARCH), ZONE, NOW)
    for await (const batch of streamIncidentExport(
      db.orm,
      organizationId,
      filters,
      admin.userId,
      3,
    ))
      all.push(...batch)
    expect(all.map((i) => i.number)).toEqual([8, 1, 2, 3, 5, 6, 9, 4])
    expect(all.some((i) => i.title.includes('Other organization'))).toBe(false)
  })
})

describe('over HTTP', () => {
  let build: ServerBuild
  let app: RunningApp
  const cookies: Record<string, string> = {}
  const EXPORTS = ['incidents.csv', 'incidents.json', 'metrics.csv', 'metrics.json']

  beforeAll(async () => {
    build = await loadRemixBuild()
    app = await startInProcessApp(db, build)
    for (const [role, member] of Object.entries({ manager, engineer, admin }))
      cookies[role] = (await signIn(db, member)).cookie
  })
  afterAll(async () => {
    await app?.close()
  })

  it('shows managers and admins the dashboard tables with the definitions version', async () => {
    for (const role of ['manager', 'admin']) {
      const response = await app.get(`/analytics?${MARCH}`, { cookie: cookies[role] })
      expect(response.status, role).toBe(200)
      const html = await response.text()
      for (const heading of [
        'Incidents over time',
        'Response times',
        'SLA compliance',
        'Recurring problems',
        'People',
        'Open incidents by age',
      ])
        expect(html).toContain(`>${heading}</h2>`)
      expect(html).toContain('Metric definitions version 2')
      expect(html).toContain('Counting rule version 1: Declined incidents')
      expect(html).toContain('Mara Manager')
      expect(html).not.toContain('Other organization')
      expect(html).toContain(
        `href="/reports/print?period=custom&amp;from=2026-03-01&amp;to=2026-03-31`,
      )
    }
  })

  it('refuses engineers the dashboard and every export with 403', async () => {
    const page = await app.get(`/analytics?${MARCH}`, { cookie: cookies.engineer })
    expect(page.status).toBe(403)
    for (const file of EXPORTS) {
      const response = await app.get(`/analytics/${file}?${MARCH}`, { cookie: cookies.engineer })
      expect(response.status, file).toBe(403)
    }
  })

  it('sends a signed-out visitor to log in', async () => {
    const response = await app.get(`/analytics/incidents.csv?${MARCH}`)
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toMatch(/^\/login\?redirectTo=/)
  })

  it('exports the filtered incidents as CSV with a dated name, formulas neutralised', async () => {
    const response = await app.get(`/analytics/incidents.csv?${MARCH}`, {
      cookie: cookies.manager,
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="[a-z0-9-]+-incidents-2026-03-01-to-2026-03-31\.csv"/,
    )
    const rows = parseCsv(await response.text())
    expect(rows[0]).toEqual([...INCIDENT_CSV_COLUMNS])
    expect(rows).toHaveLength(9)
    const byNumber = new Map(rows.slice(1).map((r) => [r[0], r]))
    expect(byNumber.get('1')).toEqual([
      '1',
      'Incident 1',
      'SEV-1',
      'closed',
      'Checkout',
      'Outage',
      'Mara Manager',
      '2026-03-10T10:00:00.000Z',
      '2026-03-10T10:01:00.000Z',
      '2026-03-10T10:10:00.000Z',
      '2026-03-10T10:40:00.000Z',
      '2026-03-10T12:00:00.000Z',
      '2026-03-11T09:00:00.000Z',
      '600',
      '2400',
      '7200',
      'incident',
      '',
      '',
      '',
    ])
    expect(byNumber.get('6')![1]).toBe(`'=HYPERLINK("http://evil.example","click")`)
    expect(byNumber.get('5')!.slice(13, 16)).toEqual(['', '1800', '3600'])
    expect(rows.some((r) => r[1]!.includes('Other organization'))).toBe(false)
  })

  it('exports the incidents as JSON with the filters and definitions version', async () => {
    const response = await app.get(`/analytics/incidents.json?${MARCH}&severity=SEV-2`, {
      cookie: cookies.admin,
    })
    expect(response.status).toBe(200)
    const body = (await response.json()) as {
      definitionsVersion: string
      filters: { severities: string[]; from: string }
      incidents: ExportIncident[]
    }
    expect(body.definitionsVersion).toBe('2')
    expect(body.filters).toMatchObject({ severities: ['SEV-2'], from: '2026-02-28T23:00:00.000Z' })
    expect(body.incidents.map((i) => i.number)).toEqual([3, 6, 4])
  })

  it('exports the metric tables as CSV and JSON', async () => {
    const csv = await app.get(`/analytics/metrics.csv?${MARCH}`, { cookie: cookies.manager })
    expect(csv.status).toBe(200)
    expect(csv.headers.get('content-disposition')).toMatch(
      /-metrics-2026-03-01-to-2026-03-31\.csv"/,
    )
    const rows = parseCsv(await csv.text())
    expect(rows[0]).toEqual([
      'definitions_version',
      'section',
      'group',
      'severity',
      'measure',
      'value',
    ])
    expect(rows).toContainEqual(['2', 'period', 'counting_rule', '', 'version', '1'])
    expect(rows).toContainEqual([
      '2',
      'response_times',
      'period',
      '',
      'mttr_median_seconds',
      '7200',
    ])
    expect(rows).toContainEqual(['2', 'sla_compliance', 'resolve', 'SEV-1', 'breached', '1'])

    const json = await app.get(`/analytics/metrics.json?${MARCH}`, { cookie: cookies.manager })
    const body = (await json.json()) as Dashboard & { definitions: unknown[] }
    expect(body.definitionsVersion).toBe('2')
    expect(body.countingRuleVersion).toBe('1')
    expect(body.filters.period).toBe('custom')
    expect(body.totals.incidents).toBe(8)
    expect(body.definitions.length).toBeGreaterThan(5)
  })
})
