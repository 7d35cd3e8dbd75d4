/**
 * `npm run bench:sla`: the SLA sweep against a realistic amount of data.
 *
 * Starts a throwaway embedded PostgreSQL, generates INCIDENTS incidents (default 1,000,000; also
 * `--count N` or BENCH_INCIDENTS) in one organization, built inside PostgreSQL with their hashed
 * timelines (bench/generate-incidents.ts `sql` and `bulkLoad`), then gives every incident an SLA
 * policy and a deadline — as a bulk load too: triggers off, secondary indexes rebuilt after, and
 * `sla_deadline` filled in one statement with what its trigger would have written (the analytics
 * facts keep the SLA codes they had before the policy; a breach the sweep records refreshes its
 * incident's fact at the same cost either way):
 *
 *   - GROUPS groups (default 5, `--groups N`) of 1,000 open incidents whose real SLA clock says a
 *     threshold has passed: group 1 due at T (its real next deadline), group k at T + (k-1) min;
 *   - every other incident: a deadline between T + 10 min and T + 30 days.
 *
 * It prints the EXPLAIN ANALYZE of the sweep's due-rows query at T, then times `sweepSla` at
 * T + (k-1) min for each group (1,000 due, plus whatever earlier groups' incidents now wait for),
 * each followed by NOTHING_DUE sweeps at the same time with nothing left to do, and a summary;
 * then replays a sample of the swept incidents' chains through `verifyChain` and `foldEvents`.
 * `--lanes N` and `--chunk N` run the sweeps with N transactions at once and at most N incidents
 * a transaction (default: the sweep's own); `--lanes 2,1` takes the values in turn, group by group,
 * and sums up each, so two settings compare within one run.
 * `--profile` (or SLA_PROFILE=1) adds the time spent in each statement the sweeps sent. Each
 * sweep prints its wall time and the CPU time it took in this process and in PostgreSQL. Figures
 * are printed, never asserted; other processes on the machine slow the sweep down, so only
 * figures from one run compare, and CPU time compares better than wall time.
 * `--pg-setting name=value` (repeatable; or BENCH_PG_SETTINGS, separated by spaces) starts the
 * bench's PostgreSQL with those server settings, e.g. `--pg-setting shared_buffers=6GB`; without
 * them it runs with PostgreSQL's defaults (128 MB of shared buffers). The settings in effect are
 * printed. Each sweep also prints what its PostgreSQL read from and wrote to the operating system
 * (blocks that were not in shared buffers, and evicted dirty blocks) and its processes' minor
 * page faults (a backend's first touch of a shared-buffer page it had not mapped yet is one), and
 * the run ends with the tables and indexes the timed sweeps read from the operating system most.
 * `--hold` keeps the database running at the end, printing its URL, until the bench is
 * interrupted (Ctrl-C or SIGTERM), so `DATABASE_URL=<url> npm run audit:verify` can check every
 * chain of the generated and swept data.
 */
import { readFileSync, readdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { slaClock, nextDeadline } from '~/domain/sla/clock'
import { DEFAULT_SLA_TARGETS } from '~/domain/sla/policy'
import { sweepSla, type SweepResult } from '~/domain/sla/sweep.server'
import type { Severity } from '~/domain/incident/vocabulary'
import { initORM } from '../db/orm'
import { inScope } from '../db/tenant'
import { generateIncidents } from './generate-incidents'
import { checkSample, prepareBulkLoad } from './support/sql-incidents'
import { pgSettings, startDatabase } from './support/stack'

const GROUP = 1000
const MINUTE = 60_000
const SPREAD_SECONDS = 30 * 86_400
const NOTHING_DUE = 10

const { values } = parseArgs({
  options: {
    count: { type: 'string' },
    groups: { type: 'string' },
    lanes: { type: 'string' },
    chunk: { type: 'string' },
    profile: { type: 'boolean' },
    hold: { type: 'boolean' },
    'pg-setting': { type: 'string', multiple: true },
  },
})
const count = Number(
  values.count ?? process.env.INCIDENTS ?? process.env.BENCH_INCIDENTS ?? 1_000_000,
)
const groupCount = Number(values.groups ?? process.env.SLA_GROUPS ?? 5)
const profile = values.profile ?? process.env.SLA_PROFILE === '1'
const laneSettings = values.lanes ? values.lanes.split(',').map(Number) : [undefined]
if (laneSettings.some((n) => n !== undefined && !(Number.isInteger(n) && n >= 1))) {
  console.error('--lanes takes positive integers, comma-separated')
  process.exit(2)
}
const chunk = values.chunk ? Number(values.chunk) : undefined
if (!Number.isInteger(count) || count < 1) {
  console.error('INCIDENTS (or --count) must be a positive integer')
  process.exit(2)
}
if (!Number.isInteger(groupCount) || groupCount < 1 || groupCount > 9) {
  console.error('--groups (or SLA_GROUPS) must be an integer from 1 to 9')
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
  const found: Array<{ id: string; number: number; deadline: Date }> = []
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
      if (deadline && deadline.getTime() <= at.getTime())
        found.push({ id: row.id, number: row.number, deadline })
      if (found.length === wanted) break
    }
    if (rows.length < page) break
  }
  return found
}

/** Time per statement kind, summed over what the sweeps send (`--profile`). */
const statements = new Map<string, { calls: number; ms: number }>()
let recording = false
if (profile) {
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const result = query.apply(this, args)
    if (!recording || !(result instanceof Promise)) return result
    const text = typeof args[0] === 'string' ? args[0] : String((args[0] as pg.QueryConfig).text)
    const label = text.replace(/\s+/g, ' ').trim().slice(0, 70)
    const started = performance.now()
    return result.finally(() => {
      const entry = statements.get(label) ?? { calls: 0, ms: 0 }
      entry.calls += 1
      entry.ms += performance.now() - started
      statements.set(label, entry)
    })
  } as typeof pg.Client.prototype.query
}

/**
 * CPU time (ms) of this process and of the bench's PostgreSQL (the postmaster and its children,
 * from /proc/<pid>/schedstat, in nanoseconds): unlike wall time, it hardly moves with the load
 * other processes put on the machine. Null where /proc is not there.
 */
function cpuMeter(dataDir: string) {
  let postmaster: number
  try {
    postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
  } catch {
    return null
  }
  /**
   * Minor page faults (`minflt`, the tenth field of /proc/<pid>/stat): among them, a backend's
   * first touch of each page of the shared buffers it had not mapped yet.
   */
  const minorFaults = (pid: string) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7])
  }
  const onCpu = (pid: string) =>
    Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0])
  /**
   * The postmaster's children: from its `children` file where the kernel has one (a few reads,
   * so the meter leaves little garbage for the sweep's own collections), else by reading every
   * process's parent.
   */
  const childrenFile = `/proc/${postmaster}/task/${postmaster}/children`
  const children = () => {
    try {
      return readFileSync(childrenFile, 'utf8').split(' ').filter(Boolean)
    } catch {
      const found: string[] = []
      for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
          // The parent pid is the second field after the command name in parentheses.
          const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
          if (parent === postmaster) found.push(pid)
        } catch {
          // The process ended meanwhile.
        }
      }
      return found
    }
  }
  /**
   * Per process of the cluster: CPU time (ms) and the bytes it read and wrote through system calls
   * (`rchar`, `wchar` of /proc/<pid>/io). PostgreSQL reads a block from the operating system only
   * when it is not in shared buffers, and writes one when it evicts or flushes it, so at 8 KB a
   * block these count shared-buffer misses and dirty evictions (plus the WAL and socket traffic).
   */
  const postgres = () => {
    const byProcess = new Map<
      string,
      { cpu: number; read: number; written: number; faults: number }
    >()
    for (const pid of [String(postmaster), ...children()]) {
      try {
        const io = readFileSync(`/proc/${pid}/io`, 'utf8')
        byProcess.set(pid, {
          cpu: onCpu(pid) / 1e6,
          read: Number(/rchar: (\d+)/.exec(io)?.[1] ?? 0),
          written: Number(/wchar: (\d+)/.exec(io)?.[1] ?? 0),
          faults: minorFaults(pid),
        })
      } catch {
        // The process ended meanwhile.
      }
    }
    return byProcess
  }
  const node = () => {
    const usage = process.cpuUsage()
    return (usage.user + usage.system) / 1000
  }
  type Snapshot = { node: number; postgres: ReturnType<typeof postgres> }
  // Reading /proc costs this process CPU: it happens outside the span measured.
  return {
    start: (): Snapshot => {
      const postgresNow = postgres()
      return { node: node(), postgres: postgresNow }
    },
    /**
     * What was used since `before`, per process: a process started meanwhile counts whole, one
     * that ended meanwhile (an autovacuum worker, say) counts nothing, rather than its whole past.
     */
    stop: (before: Snapshot): Cpu => {
      const nodeMs = node()
      const used: Cpu = { node: nodeMs - before.node, postgres: 0, read: 0, written: 0, faults: 0 }
      for (const [pid, after] of postgres()) {
        const then = before.postgres.get(pid) ?? { cpu: 0, read: 0, written: 0, faults: 0 }
        used.postgres += after.cpu - then.cpu
        used.read += after.read - then.read
        used.written += after.written - then.written
        used.faults += after.faults - then.faults
      }
      return used
    },
  }
}

type Cpu = { node: number; postgres: number; read: number; written: number; faults: number }
const mb = (bytes: number) => (bytes / 1048576).toFixed(1)

function printSweep(label: string, at: Date, result: SweepResult, cpu: Cpu | null) {
  console.log(
    `${label.padEnd(34)} at ${at.toISOString()}  ${String(result.ms).padStart(6)} ms  ` +
      (cpu
        ? `(CPU: node ${cpu.node.toFixed(0).padStart(4)} ms, postgres ${cpu.postgres.toFixed(0).padStart(4)} ms; ` +
          `read ${mb(cpu.read).padStart(5)} MB, written ${mb(cpu.written).padStart(5)} MB, ` +
          `${String(cpu.faults).padStart(6)} page faults)  `
        : '') +
      `due ${String(result.due).padStart(5)}  warnings ${String(result.warnings).padStart(5)}  ` +
      `breaches ${String(result.breaches).padStart(5)}  organizations ${result.organizations}`,
  )
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

let settings: Record<string, string>
try {
  settings = pgSettings(values['pg-setting'] ?? [])
} catch (error) {
  console.error(String(error instanceof Error ? error.message : error))
  process.exit(2)
}
const database = await startDatabase('sla', settings)
try {
  console.log(`generating ${count.toLocaleString('en')} incidents …`)
  const generated = await generateIncidents(database.url, { count, sql: true, bulkLoad: true })
  console.log(
    `generated ${generated.incidents.toLocaleString('en')} incidents, ${generated.events.toLocaleString('en')} events ` +
      `in ${generated.seconds.toFixed(1)} s`,
  )

  const at = new Date()
  const swept: number[] = []
  const pool = new pg.Pool({ connectionString: database.url, max: 2 })
  try {
    const started = performance.now()
    const bulk = await prepareBulkLoad(pool, ['incident', 'sla_deadline'])
    const client = await pool.connect()
    const groups: number[] = []
    try {
      await client.query('begin')
      // FORCE row-level security applies to the owner too: work under the organization. Triggers
      // are off for this transaction (a superuser's bulk load); sla_deadline is filled below.
      await client.query(
        `select set_config('app.organization_id', $1, true),
                set_config('session_replication_role', 'replica', true)`,
        [generated.organizationId],
      )
      const policy = await client.query<{ id: string }>(
        `insert into sla_policy (organization_id, version, targets) values ($1, 1, $2) returning id`,
        [generated.organizationId, JSON.stringify(DEFAULT_SLA_TARGETS)],
      )
      const candidates = await dueCandidates(client, at, groupCount * GROUP)
      // Everyone first (a spread of future deadlines), then the due groups.
      await client.query(
        `update incident
            set sla_policy_id = $1,
                sla_next_deadline = $2::timestamptz + make_interval(secs => 600 + (number::bigint * 7919) % $3)`,
        [policy.rows[0]!.id, at, SPREAD_SECONDS],
      )
      const due: Array<{ id: string; deadline: string }> = []
      for (let k = 0; k < groupCount; k++) {
        const group = candidates.slice(k * GROUP, (k + 1) * GROUP)
        groups.push(group.length)
        for (const c of group) {
          const deadline = k === 0 ? c.deadline : new Date(at.getTime() + k * MINUTE - 30_000)
          due.push({ id: c.id, deadline: deadline.toISOString() })
        }
        swept.push(...group.slice(0, 10).map((c) => c.number))
      }
      await client.query(
        `update incident i set sla_next_deadline = d.deadline
           from unnest($1::uuid[], $2::timestamptz[]) as d(id, deadline) where i.id = d.id`,
        [due.map((d) => d.id), due.map((d) => d.deadline)],
      )
      await client.query(
        `insert into sla_deadline (incident_id, tenant_id, due_at)
         select id, organization_id, sla_next_deadline from incident
          where sla_next_deadline is not null`,
      )
      await client.query('commit')
    } catch (error) {
      await client.query('rollback').catch(() => {})
      throw error
    } finally {
      client.release()
    }
    await bulk.restore()
    await pool.query('vacuum analyze incident, sla_deadline')
    // The load's dirty pages are written now rather than by a checkpoint during the timings.
    await pool.query('checkpoint')
    const { rows: counts } = await pool.query<{ deadlines: string; due: string }>(
      `select count(*) as deadlines, count(*) filter (where due_at <= $1) as due from sla_deadline`,
      [at],
    )
    console.log(
      `SLA deadlines set in ${((performance.now() - started) / 1000).toFixed(1)} s: ` +
        `${Number(counts[0]!.deadlines).toLocaleString('en')} rows in sla_deadline, ` +
        `${Number(counts[0]!.due).toLocaleString('en')} due at T (groups ${groups.join(', ')})`,
    )
  } finally {
    await pool.end()
  }

  /** Incident row updates so far, and how many kept to their page (HOT: no index entry). */
  const updates = async () => {
    const stats = new pg.Pool({ connectionString: database.url, max: 1 })
    try {
      const { rows } = await stats.query<{ updated: string; hot: string }>(
        `select n_tup_upd as updated, n_tup_hot_upd as hot from pg_stat_user_tables
          where relid = 'incident'::regclass`,
      )
      return { updated: Number(rows[0]!.updated), hot: Number(rows[0]!.hot) }
    } finally {
      await stats.end()
    }
  }
  const updatesBefore = await updates()

  /**
   * Blocks read from the operating system (not in shared buffers) and found in shared buffers, per
   * table (its heap) and per index, with each one's size, from the cumulative statistics.
   */
  const blockStats = async () => {
    const stats = new pg.Pool({ connectionString: database.url, max: 1 })
    try {
      const { rows } = await stats.query<{
        name: string
        read: string
        hit: string
        bytes: string
      }>(
        `select relname as name, coalesce(heap_blks_read, 0) as read, coalesce(heap_blks_hit, 0) as hit,
                pg_relation_size(relid) as bytes
           from pg_statio_user_tables
         union all
         select relname || ' / ' || indexrelname, idx_blks_read, idx_blks_hit, pg_relation_size(indexrelid)
           from pg_statio_user_indexes`,
      )
      return new Map(
        rows.map((r) => [
          r.name,
          { read: Number(r.read), hit: Number(r.hit), bytes: Number(r.bytes) },
        ]),
      )
    } finally {
      await stats.end()
    }
  }
  {
    const shown = new pg.Pool({ connectionString: database.url, max: 1 })
    try {
      const names = [
        ...new Set(['shared_buffers', 'effective_cache_size', ...Object.keys(settings)]),
      ]
      const { rows } = await shown.query<{ name: string; value: string }>(
        `select name, current_setting(name) as value from unnest($1::text[]) as name`,
        [names],
      )
      console.log(
        `PostgreSQL settings: ${rows.map((r) => `${r.name}=${r.value}`).join(', ')}` +
          (Object.keys(settings).length ? ' (set for this run)' : ' (PostgreSQL defaults)'),
      )
    } finally {
      await shown.end()
    }
  }
  const blocksBefore = await blockStats()

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

    const load = os.loadavg().map((n) => n.toFixed(1))
    console.log(`load average ${load.join(' ')} on ${os.cpus().length} CPUs`)
    // A first sweep at a time before every deadline warms the pool and the code paths.
    await sweepSla(orm, new Date('2000-01-01T00:00:00Z'))
    recording = true
    const meter = cpuMeter(path.join(database.dir, 'pg'))
    const dueRuns: number[] = []
    const dueCpu: number[] = []
    const idleRuns: number[] = []
    const perLanes = new Map<number, { ms: number[]; cpu: number[] }>()
    for (let k = 0; k < groupCount; k++) {
      const when = new Date(at.getTime() + k * MINUTE)
      const before = meter?.start()
      const lanes = laneSettings[k % laneSettings.length]
      const result = await sweepSla(orm, when, { lanes, chunk })
      const cpu = meter && before ? meter.stop(before) : null
      printSweep(
        `sweep at T + ${k} min (group ${k + 1} due)` + (lanes ? `, ${lanes} lane(s)` : ''),
        when,
        result,
        cpu,
      )
      dueRuns.push(result.ms)
      if (cpu) dueCpu.push(cpu.node + cpu.postgres)
      const byLanes = perLanes.get(lanes ?? 0) ?? { ms: [], cpu: [] }
      byLanes.ms.push(result.ms)
      if (cpu) byLanes.cpu.push(cpu.node + cpu.postgres)
      perLanes.set(lanes ?? 0, byLanes)
      const idle: number[] = []
      for (let i = 0; i < NOTHING_DUE; i++) {
        const started = performance.now()
        const again = await sweepSla(orm, when, { lanes, chunk })
        idle.push(performance.now() - started)
        if (again.due !== 0) printSweep('  again (something was due)', when, again, null)
      }
      idleRuns.push(...idle)
      console.log(
        `${'  again, nothing due'.padEnd(34)} ${NOTHING_DUE} sweeps: median ${median(idle).toFixed(2)} ms, ` +
          `max ${Math.max(...idle).toFixed(2)} ms`,
      )
    }
    recording = false
    if (perLanes.size > 1)
      for (const [n, { ms, cpu }] of perLanes)
        console.log(
          `${n} lane(s): sweep median ${median(ms)} ms (min ${Math.min(...ms)}, max ${Math.max(...ms)})` +
            (cpu.length ? `, CPU per sweep median ${median(cpu).toFixed(0)} ms` : '') +
            ` over ${ms.length} sweeps`,
        )
    console.log(
      `\nsummary at ${count.toLocaleString('en')} incidents: sweep with ~${GROUP} due ` +
        `median ${median(dueRuns)} ms (min ${Math.min(...dueRuns)}, max ${Math.max(...dueRuns)}); ` +
        `nothing due median ${median(idleRuns).toFixed(2)} ms (max ${Math.max(...idleRuns).toFixed(2)})` +
        (dueCpu.length
          ? `; CPU per sweep with ~${GROUP} due, median ${median(dueCpu).toFixed(0)} ms`
          : ''),
    )
    if (profile) {
      console.log('\nstatements sent during the timed sweeps (time from send to result):')
      const rows = [...statements.entries()].sort((a, b) => b[1].ms - a[1].ms)
      for (const [label, { calls, ms }] of rows)
        console.log(`  ${ms.toFixed(1).padStart(9)} ms  ${String(calls).padStart(5)}×  ${label}`)
    }
  } finally {
    await orm.close(true)
  }

  // Closing the ORM's connections flushed their statistics.
  const updatesAfter = await updates()
  const blocksAfter = await blockStats()
  const blocks = [...blocksAfter].map(([name, after]) => {
    const before = blocksBefore.get(name) ?? { read: 0, hit: 0 }
    return { name, read: after.read - before.read, hit: after.hit - before.hit, bytes: after.bytes }
  })
  const totalRead = blocks.reduce((sum, b) => sum + b.read, 0)
  const totalHit = blocks.reduce((sum, b) => sum + b.hit, 0)
  console.log(
    `\nblocks the sweeps read from the OS (not in shared buffers) / found in shared buffers: ` +
      `${totalRead} / ${totalHit}; the relations read most:`,
  )
  for (const b of blocks
    .filter((b) => b.read + b.hit > 0)
    .sort((a, b) => b.read - a.read || b.hit - a.hit)
    .slice(0, 20))
    console.log(
      `  ${String(b.read).padStart(7)} read  ${String(b.hit).padStart(8)} hit  ` +
        `${mb(b.bytes).padStart(8)} MB  ${b.name}`,
    )
  console.log(
    `incident rows updated by the sweeps: ${updatesAfter.updated - updatesBefore.updated}, ` +
      `of which in place (HOT) ${updatesAfter.hot - updatesBefore.hot}`,
  )

  // The appended chains replay: every event's hash and link, and the fold equals the row.
  const check = new pg.Pool({ connectionString: database.url, max: 1 })
  try {
    await checkSample(check, generated.organizationId, swept)
    console.log(`chains of ${swept.length} swept incidents replayed: OK`)
  } finally {
    await check.end()
  }
  if (values.hold) {
    console.log(`\nholding the database until interrupted: DATABASE_URL=${database.url}`)
    // Signal listeners alone do not keep Node's event loop alive; the interval does.
    const alive = setInterval(() => {}, 60_000)
    await new Promise((resolve) => {
      process.once('SIGINT', resolve)
      process.once('SIGTERM', resolve)
    })
    clearInterval(alive)
  }
} finally {
  await database.stop()
}
