/**
 * `npm run bench:sla`: the SLA sweep against a realistic amount of data.
 *
 * Starts a throwaway embedded PostgreSQL, generates INCIDENTS incidents (default 1,000,000; also
 * `--count N` or BENCH_INCIDENTS) in one organization with bench/generate-incidents.ts, then gives
 * every incident an SLA policy and a deadline (one UPDATE of `sla_next_deadline`, whose trigger
 * fills `sla_deadline` as in production):
 *
 *   - group A, 1,000 open incidents whose real SLA clock says a threshold has passed at T: their
 *     real next deadline, at or before T, so they are due at T;
 *   - group B, 1,000 more such incidents: due at T + 30 s;
 *   - every other incident: a deadline between T + 2 min and T + 30 days.
 *
 * It prints the EXPLAIN ANALYZE of the sweep's due-rows query at T, then times `sweepSla` at T
 * (1,000 due), at T again (nothing due), at T + 1 min (group B, plus whatever group A's incidents
 * now wait for) and at T + 1 min again. Figures are printed, never asserted.
 */
import os from 'node:os'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { slaClock, nextDeadline } from '../app/domain/sla/clock'
import { DEFAULT_SLA_TARGETS } from '../app/domain/sla/policy'
import type { Severity } from '../app/domain/incident/vocabulary'
import { initORM } from '../db/orm'
import { inScope } from '../db/tenant'
import { sweepSla, type SweepResult } from '../app/domain/sla/sweep.server'
import { generateIncidents } from './generate-incidents'
import { startDatabase } from './support/stack'

const GROUP = 1000
const MINUTE = 60_000
const SPREAD_SECONDS = 30 * 86_400

const { values } = parseArgs({ options: { count: { type: 'string' } } })
const count = Number(
  values.count ?? process.env.INCIDENTS ?? process.env.BENCH_INCIDENTS ?? 1_000_000,
)
if (!Number.isInteger(count) || count < 1) {
  console.error('INCIDENTS (or --count) must be a positive integer')
  process.exit(2)
}

interface OpenIncident {
  id: string
  number: number
  severity: Severity
  impact_started_at: Date
  acknowledged_at: Date | null
  mitigated_at: Date | null
  resolved_at: Date | null
}

/**
 * Open incidents, newest first, whose SLA clock (default targets, nothing signalled yet) has a
 * threshold at or before `at`, with that deadline.
 */
async function dueCandidates(client: pg.PoolClient, at: Date, wanted: number) {
  const found: Array<{ id: string; deadline: Date }> = []
  const page = 20_000
  for (let offset = 0; found.length < wanted; offset += page) {
    const { rows } = await client.query<OpenIncident>(
      `select id, number, severity, impact_started_at, acknowledged_at, mitigated_at, resolved_at
         from incident where status in ('detected', 'investigating', 'mitigated')
        order by number desc limit $1 offset $2`,
      [page, offset],
    )
    for (const row of rows) {
      const clocks = slaClock(
        {
          impactStartedAt: row.impact_started_at,
          acknowledgedAt: row.acknowledged_at,
          mitigatedAt: row.mitigated_at,
          resolvedAt: row.resolved_at,
        },
        DEFAULT_SLA_TARGETS[row.severity],
        at,
      )
      const deadline = nextDeadline(clocks, [])
      if (deadline && deadline.getTime() <= at.getTime()) found.push({ id: row.id, deadline })
      if (found.length === wanted) break
    }
    if (rows.length < page) break
  }
  return found
}

function printSweep(label: string, at: Date, result: SweepResult) {
  console.log(
    `${label.padEnd(34)} at ${at.toISOString()}  ${String(result.ms).padStart(6)} ms  ` +
      `due ${String(result.due).padStart(5)}  warnings ${String(result.warnings).padStart(5)}  ` +
      `breaches ${String(result.breaches).padStart(5)}  organizations ${result.organizations}`,
  )
}

const database = await startDatabase('sla')
try {
  console.log(`generating ${count.toLocaleString('en')} incidents …`)
  const generated = await generateIncidents(database.url, { count })
  console.log(
    `generated ${generated.incidents.toLocaleString('en')} incidents, ${generated.events.toLocaleString('en')} events ` +
      `in ${generated.seconds.toFixed(1)} s`,
  )

  const at = new Date()
  const pool = new pg.Pool({ connectionString: database.url, max: 1 })
  try {
    const client = await pool.connect()
    const started = performance.now()
    let groups: { a: number; b: number }
    try {
      await client.query('begin')
      // FORCE row-level security applies to the owner too: work under the organization.
      await client.query(`select set_config('app.organization_id', $1, true)`, [
        generated.organizationId,
      ])
      const policy = await client.query<{ id: string }>(
        `insert into sla_policy (organization_id, version, targets) values ($1, 1, $2) returning id`,
        [generated.organizationId, JSON.stringify(DEFAULT_SLA_TARGETS)],
      )
      const candidates = await dueCandidates(client, at, 2 * GROUP)
      const groupA = candidates.slice(0, GROUP)
      const groupB = candidates.slice(GROUP, 2 * GROUP)
      groups = { a: groupA.length, b: groupB.length }
      // Everyone first (a spread of future deadlines), then the two due groups.
      await client.query(
        `update incident
            set sla_policy_id = $1,
                sla_next_deadline = $2::timestamptz + make_interval(secs => 120 + (number::bigint * 7919) % $3)`,
        [policy.rows[0]!.id, at, SPREAD_SECONDS],
      )
      const due = [
        ...groupA.map((c) => ({ id: c.id, deadline: c.deadline.toISOString() })),
        ...groupB.map((c) => ({
          id: c.id,
          deadline: new Date(at.getTime() + 30_000).toISOString(),
        })),
      ]
      await client.query(
        `update incident i set sla_next_deadline = d.deadline
           from unnest($1::uuid[], $2::timestamptz[]) as d(id, deadline) where i.id = d.id`,
        [due.map((d) => d.id), due.map((d) => d.deadline)],
      )
      await client.query('commit')
    } catch (error) {
      await client.query('rollback').catch(() => {})
      throw error
    } finally {
      client.release()
    }
    await pool.query('vacuum analyze incident')
    await pool.query('vacuum analyze sla_deadline')
    // The load's dirty pages are written now rather than by a checkpoint during the timings.
    await pool.query('checkpoint')
    const { rows: counts } = await pool.query<{ deadlines: string; due: string }>(
      `select count(*) as deadlines, count(*) filter (where due_at <= $1) as due from sla_deadline`,
      [at],
    )
    console.log(
      `SLA deadlines set in ${((performance.now() - started) / 1000).toFixed(1)} s: ` +
        `${Number(counts[0]!.deadlines).toLocaleString('en')} rows in sla_deadline, ` +
        `${Number(counts[0]!.due).toLocaleString('en')} due at T (group A ${groups.a}, group B ${groups.b})`,
    )
  } finally {
    await pool.end()
  }

  const orm = await initORM(database.url)
  try {
    // The sweep's own query text, run the way the sweep runs it (application role, no tenant).
    const plan = await inScope(orm, {}, (em) =>
      em.execute<Array<{ 'QUERY PLAN': string }>>(
        `explain (analyze, buffers) select incident_id, tenant_id from sla_deadline where due_at <= ? order by due_at limit ?`,
        [at, 5000],
      ),
    )
    console.log('\nEXPLAIN ANALYZE of the due-rows query at T:')
    for (const row of plan) console.log(`  ${row['QUERY PLAN']}`)
    console.log('')

    // Other processes on the machine slow the sweep down; the figures carry the load they ran under.
    const load = os.loadavg().map((n) => n.toFixed(1))
    console.log(`load average ${load.join(' ')} on ${os.cpus().length} CPUs`)
    const later = new Date(at.getTime() + MINUTE)
    const runs: Array<[string, Date]> = [
      ['sweep at T (group A due)', at],
      ['sweep at T again (nothing due)', at],
      ['sweep at T + 1 min (group B due)', later],
      ['sweep at T + 1 min again', later],
    ]
    for (const [label, when] of runs) printSweep(label, when, await sweepSla(orm, when))
  } finally {
    await orm.close(true)
  }
} finally {
  await database.stop()
}
