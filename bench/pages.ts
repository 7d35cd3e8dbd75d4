/**
 * `npm run bench:pages`: the pages people use, under load, on the production build, against a
 * realistic amount of data — and a burst of requests right after the session's once-a-minute
 * touch falls due.
 *
 * 1. Starts a throwaway embedded PostgreSQL (migrated) and fills one organization with
 *    BENCH_INCIDENTS incidents (default 100,000): incidents 1…N-1 built inside PostgreSQL by
 *    bench/generate-incidents.ts `sql` (hash-chained timelines that `npm run audit:verify`
 *    accepts; half the titles say "errors"), then incident N declared and given 1,000 timeline
 *    entries through the application's own domain services (comments, lifecycle steps, a
 *    severity change, an assignment). Its title is the only one that says "reconciliation".
 *    BENCH_VERIFY=1 also runs the audit verification over the whole database. The default stays
 *    at 100,000 because of the machine: BENCH_INCIDENTS=1000000 (what the title search was made
 *    for) spends 5–7 minutes generating here (2,300–3,300 incidents/s on 2 shared cores, 3.8 GB).
 * 2. Starts `node build/server.js` (NODE_ENV=production; run `npm run build` first) on it and
 *    signs in through POST /login (a real session cookie).
 *    BENCH_WEB_CONCURRENCY (1) sets its WEB_CONCURRENCY: 2 runs a web process per core.
 * 3. With autocannon, BENCH_CONNECTIONS (20) connections for BENCH_SECONDS (10) each, after a
 *    BENCH_WARMUP_SECONDS (3) pass over every route: /healthz, the incident list, the detail of
 *    incident N, and title searches for a common term ("errors") and a rare one
 *    ("reconciliation"). Prints requests/s, p50/p99 latency, non-2xx answers and each route's
 *    requests/s as a share of /healthz in the same run. Before each run the bench waits (up to
 *    2 minutes) until the server has answered what the previous run left queued.
 * 4. The burst, BENCH_BURST_ROUNDS (3) times: use the app, make the session's and membership's
 *    `last_seen_at` older than the 60 s touch interval (in the database; BENCH_BURST_WAIT=1
 *    really waits 65 s instead), then send BENCH_BURST (40) page requests at once (list and
 *    detail alternating) and count the 200s that arrive within 10 s.
 *
 * Figures are printed, never asserted.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon, { type Result } from 'autocannon'
import pg from 'pg'
import {
  addComment,
  assignIncident,
  changeSeverity,
  declareIncident,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import { initORM } from '../db/orm'
import { generateIncidents, type GeneratedOrganization } from './generate-incidents'
import { startDatabase, startServer, signIn } from './support/stack'

const count = Number(process.env.BENCH_INCIDENTS ?? 100_000)
const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20)
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 3)
const burstRounds = Number(process.env.BENCH_BURST_ROUNDS ?? 3)
const burstSize = Number(process.env.BENCH_BURST ?? 40)
const burstWait = process.env.BENCH_BURST_WAIT === '1'
/** Web processes of the server under test (its WEB_CONCURRENCY); one unless asked. */
const webProcesses = process.env.BENCH_WEB_CONCURRENCY ?? '1'
const TIMELINE_ENTRIES = 1000
const TOUCH_INTERVAL_SECONDS = 60
const BURST_LIMIT_MS = 10_000
/** How long to wait for the server to finish what a run left queued before the next one. */
const SETTLE_LIMIT_MS = 120_000
const COMMON_TERM = 'errors'
const RARE_TERM = 'reconciliation'
/** The only title with RARE_TERM in it. */
const LONG_TITLE = 'Ledger reconciliation stalled for the nightly batch'

for (const [name, value, min] of [
  ['BENCH_INCIDENTS', count, 2],
  ['BENCH_SECONDS', seconds, 1],
  ['BENCH_CONNECTIONS', connections, 1],
  ['BENCH_WARMUP_SECONDS', warmupSeconds, 0],
  ['BENCH_BURST_ROUNDS', burstRounds, 0],
  ['BENCH_BURST', burstSize, 1],
  ['BENCH_WEB_CONCURRENCY', Number(webProcesses), 1],
] as const) {
  if (!Number.isInteger(value) || value < min) {
    console.error(`${name} must be an integer of at least ${min}`)
    process.exit(2)
  }
}
if (!existsSync('build/server.js')) {
  console.error('Run `npm run build` first (the benchmark measures the production build).')
  process.exit(1)
}

const loadAverage = () =>
  `${os
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')} on ${os.cpus().length} CPUs`

/** The organization's admin, as the domain services take an actor. */
function adminOf(generated: GeneratedOrganization) {
  const admin = generated.members[0]!
  return {
    user: { id: admin.id, email: admin.email, displayName: 'Bench Admin' },
    role: 'admin' as const,
    organization: {
      id: generated.organizationId,
      name: 'Bench',
      slug: generated.slug,
      timezone: 'UTC',
    },
  }
}

/**
 * Incident N with 1,000 timeline entries, each appended by the domain service a person would
 * use, one transaction each, as they would arrive over the life of a long incident.
 */
async function longIncident(url: string, generated: GeneratedOrganization) {
  const orm = await initORM(url, { pool: { min: 0, max: 2 } })
  try {
    const admin = adminOf(generated)
    const { number } = await declareIncident(orm, admin, {
      title: LONG_TITLE,
      summary: 'Settlement files stopped matching the ledger after the 02:00 run.',
      severity: 'SEV-2',
    })
    const comments = [
      'Rolled back `ledger-worker@2026.03.1`; watching the **p99** dashboards.',
      'Connection pool saturated on the replica, scaling it up.',
      'Provider confirms degraded service on their side: https://status.example.test',
      'Error rate back under 1% for 15 minutes.',
      'Customer support reports fewer tickets now.',
      'Added an alert for this signal so it pages earlier next time.',
    ]
    const others = generated.members.slice(1, 3).map((m) => m.id)
    const steps: Record<number, () => Promise<unknown>> = {
      100: () => transitionIncident(orm, admin, number, { action: 'start-investigating' }),
      300: () =>
        changeSeverity(orm, admin, number, {
          severity: 'SEV-1',
          reason: 'Customers are affected.',
        }),
      500: () =>
        assignIncident(orm, admin, number, { commanderId: admin.user.id, assigneeIds: others }),
      800: () => transitionIncident(orm, admin, number, { action: 'mark-mitigated' }),
    }
    // The declaration is entry 1.
    for (let entry = 2; entry <= TIMELINE_ENTRIES; entry++) {
      const step = steps[entry]
      if (step) await step()
      else
        await addComment(orm, admin, number, {
          body: `${comments[entry % comments.length]} (update ${entry})`,
        })
    }
    return number
  } finally {
    await orm.close(true)
  }
}

/** Runs `work` as the database owner under the organization's (and user's) settings. */
async function asOwner<T>(
  url: string,
  scope: { organizationId: string; userId?: string },
  work: (client: pg.Client) => Promise<T>,
) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('begin')
    await client.query(
      `select set_config('app.organization_id', $1, true), set_config('app.user_id', $2, true)`,
      [scope.organizationId, scope.userId ?? ''],
    )
    const result = await work(client)
    await client.query('commit')
    return result
  } finally {
    await client.end()
  }
}

/**
 * Waits until the server has worked off what an earlier run left queued (autocannon stops
 * sending, the server still answers what it received): /healthz quick again and a page
 * answering 200. At most SETTLE_LIMIT_MS; returns the seconds it took, or null if it never did.
 */
async function settle(baseUrl: string, headers: Record<string, string>) {
  const started = performance.now()
  while (performance.now() - started < SETTLE_LIMIT_MS) {
    try {
      const t0 = performance.now()
      const health = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) })
      await health.arrayBuffer()
      if (health.ok && performance.now() - t0 < 100) {
        const page = await fetch(`${baseUrl}/incidents`, {
          headers,
          redirect: 'manual',
          signal: AbortSignal.timeout(10_000),
        })
        await page.arrayBuffer()
        if (page.status === 200) return (performance.now() - started) / 1000
      }
    } catch {
      // still busy
    }
    await sleep(500)
  }
  return null
}

async function settleAndSay(baseUrl: string, headers: Record<string, string>, before: string) {
  const took = await settle(baseUrl, headers)
  if (took === null) {
    process.stderr.write(`server still busy ${SETTLE_LIMIT_MS / 1000} s after ${before}\n`)
  } else if (took > 2) {
    process.stderr.write(`server settled ${took.toFixed(1)} s after ${before}\n`)
  }
  return took
}

interface Measured {
  label: string
  result: Result
  /** Seconds waited for the server to work off the previous run (null: it never did). */
  settled: number | null
}

async function measure(
  baseUrl: string,
  routes: Array<[string, string]>,
  headers: Record<string, string>,
) {
  if (warmupSeconds > 0) {
    process.stderr.write(`warm-up: ${warmupSeconds} s per route …\n`)
    for (const [label, path] of routes) {
      await autocannon({ url: `${baseUrl}${path}`, connections, duration: warmupSeconds, headers })
      await settleAndSay(baseUrl, headers, `the warm-up of ${label}`)
    }
  }
  const measured: Measured[] = []
  for (const [label, path] of routes) {
    const settled = await settleAndSay(baseUrl, headers, 'the previous run')
    process.stderr.write(`measuring ${label} for ${seconds} s …\n`)
    const result = await autocannon({
      url: `${baseUrl}${path}`,
      connections,
      duration: seconds,
      timeout: 30,
      headers,
    })
    measured.push({ label, result, settled })
  }
  return measured
}

function printTable(measured: Measured[]) {
  const health = measured.find((m) => m.label.startsWith('GET /healthz'))
  const base = health?.result.requests.average ?? 0
  console.table(
    measured.map(({ label, result, settled }) => ({
      route: label,
      'req/s': result.requests.average.toFixed(1),
      'p50 ms': result.latency.p50.toFixed(1),
      'p99 ms': result.latency.p99.toFixed(1),
      'non-2xx': result.non2xx,
      'errors/timeouts': result.errors + result.timeouts,
      'vs /healthz': base ? `${((100 * result.requests.average) / base).toFixed(2)} %` : '–',
      'waited s': settled === null ? 'not settled' : settled.toFixed(1),
    })),
  )
}

/**
 * One burst: the session and membership were last touched more than the touch interval ago, so
 * every request of the burst is due to write `last_seen_at`. Counts 200s within 10 s.
 */
async function burst(
  baseUrl: string,
  url: string,
  cookie: string,
  generated: GeneratedOrganization,
  detail: number,
) {
  const userId = generated.members[0]!.id
  // Use the app first (a server still stuck from an earlier round shows up here).
  let before: string
  try {
    const response = await fetch(`${baseUrl}/incidents`, {
      headers: { Cookie: cookie },
      redirect: 'manual',
      signal: AbortSignal.timeout(BURST_LIMIT_MS),
    })
    await response.arrayBuffer()
    before = String(response.status)
  } catch (error) {
    before = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'error'
  }
  if (burstWait) {
    process.stderr.write(`waiting ${TOUCH_INTERVAL_SECONDS + 5} s for the touch interval …\n`)
    await sleep((TOUCH_INTERVAL_SECONDS + 5) * 1000)
  } else {
    await asOwner(url, { organizationId: generated.organizationId, userId }, async (client) => {
      const age = `${TOUCH_INTERVAL_SECONDS + 5} seconds`
      await client.query(
        `update user_session set last_seen_at = now() - $2::interval where user_id = $1`,
        [userId, age],
      )
      await client.query(
        `update membership set last_seen_at = now() - $2::interval
          where user_id = $1 and organization_id = $3`,
        [userId, age, generated.organizationId],
      )
    })
  }
  const started = performance.now()
  const outcomes = await Promise.all(
    Array.from({ length: burstSize }, async (_, i) => {
      const path = i % 2 === 0 ? '/incidents' : `/incidents/${detail}`
      const t0 = performance.now()
      try {
        const response = await fetch(`${baseUrl}${path}`, {
          headers: { Cookie: cookie },
          redirect: 'manual',
          signal: AbortSignal.timeout(BURST_LIMIT_MS),
        })
        await response.arrayBuffer()
        return { status: String(response.status), ms: performance.now() - t0 }
      } catch (error) {
        const name = error instanceof Error ? error.name : 'error'
        return { status: name === 'TimeoutError' ? 'timeout' : name, ms: performance.now() - t0 }
      }
    }),
  )
  const ok = outcomes.filter((o) => o.status === '200' && o.ms <= BURST_LIMIT_MS)
  const others = new Map<string, number>()
  for (const o of outcomes) {
    if (o.status !== '200') others.set(o.status, (others.get(o.status) ?? 0) + 1)
  }
  const slowest = Math.max(...outcomes.map((o) => o.ms))
  return {
    before,
    ok: ok.length,
    others: [...others].map(([status, n]) => `${status} ×${n}`).join(', ') || 'none',
    slowestMs: slowest,
    wallMs: performance.now() - started,
  }
}

const database = await startDatabase('pages')
try {
  console.log(`generating ${(count - 1).toLocaleString('en')} incidents inside PostgreSQL …`)
  const generated = await generateIncidents(database.url, {
    count: count - 1,
    sql: true,
    bulkLoad: true,
  })
  console.log(
    `generated ${generated.incidents.toLocaleString('en')} incidents, ${generated.events.toLocaleString('en')} events ` +
      `in ${generated.seconds.toFixed(1)} s (${Math.round(generated.incidents / generated.seconds).toLocaleString('en')} incidents/s)`,
  )
  const timelineStarted = performance.now()
  const detail = await longIncident(database.url, generated)
  console.log(
    `INC-${detail}: ${TIMELINE_ENTRIES.toLocaleString('en')} timeline entries through the domain services in ` +
      `${((performance.now() - timelineStarted) / 1000).toFixed(1)} s`,
  )
  const facts = await asOwner(
    database.url,
    { organizationId: generated.organizationId },
    async (client) =>
      (
        await client.query<{
          size: string
          incidents: number
          events: number
          common: number
          rare: number
        }>(
          `select pg_size_pretty(pg_database_size(current_database())) as size,
                  (select count(*)::int from incident where organization_id = $1) as incidents,
                  (select count(*)::int from incident_event where organization_id = $1) as events,
                  (select count(*)::int from incident
                    where organization_id = $1 and lower(title) like $2) as common,
                  (select count(*)::int from incident
                    where organization_id = $1 and lower(title) like $3) as rare`,
          [generated.organizationId, `%${COMMON_TERM}%`, `%${RARE_TERM}%`],
        )
      ).rows[0]!,
  )
  console.log(
    `database: ${facts.size}, ${facts.incidents.toLocaleString('en')} incidents, ` +
      `${facts.events.toLocaleString('en')} timeline entries in the organization; ` +
      `"${COMMON_TERM}" in ${facts.common.toLocaleString('en')} titles, "${RARE_TERM}" in ${facts.rare}`,
  )
  if (process.env.BENCH_VERIFY === '1') {
    const started = performance.now()
    const verify = spawnSync(process.execPath, ['--import', 'tsx', 'db/cli/audit-verify.ts'], {
      env: { ...process.env, DATABASE_URL: database.url },
      encoding: 'utf8',
    })
    console.log(
      `audit:verify exit ${verify.status} in ${((performance.now() - started) / 1000).toFixed(1)} s: ` +
        `${(verify.stdout + verify.stderr).trim()}`,
    )
  }

  const server = await startServer(database.url, database.dir, {
    WEB_CONCURRENCY: webProcesses,
  })
  try {
    console.log(`cold start (spawn → first 200 on /healthz): ${server.coldStartMs.toFixed(0)} ms`)
    const cookie = await signIn(server.baseUrl, generated.email, generated.password)
    const headers = { Cookie: cookie }
    for (const [path, expected] of [
      [`/incidents/${detail}`, LONG_TITLE],
      [`/incidents?q=${RARE_TERM}`, LONG_TITLE],
      [`/incidents?q=${COMMON_TERM}`, COMMON_TERM],
    ] as const) {
      const response = await fetch(`${server.baseUrl}${path}`, { headers, redirect: 'manual' })
      const page = await response.text()
      if (response.status !== 200 || !page.includes(expected)) {
        throw new Error(`GET ${path} answered ${response.status} without "${expected}"`)
      }
    }

    console.log(
      `load: autocannon, ${connections} connections, ${seconds} s per route after a ${warmupSeconds} s warm-up, ` +
        `${webProcesses} web process${webProcesses === '1' ? '' : 'es'}, node ${process.version}, load average ${loadAverage()}`,
    )
    const measured = await measure(
      server.baseUrl,
      [
        ['GET /healthz', '/healthz'],
        ['GET /incidents', '/incidents'],
        [`GET /incidents/${detail} (${TIMELINE_ENTRIES} entries)`, `/incidents/${detail}`],
        [`GET /incidents?q=${COMMON_TERM} (common)`, `/incidents?q=${COMMON_TERM}`],
        [`GET /incidents?q=${RARE_TERM} (rare)`, `/incidents?q=${RARE_TERM}`],
      ],
      headers,
    )
    printTable(measured)
    console.log(`load average after the runs ${loadAverage()}`)

    if (burstRounds > 0) {
      console.log(
        `burst after the touch interval: ${burstSize} page requests at once (list and INC-${detail} alternating), ` +
          `last_seen_at ${burstWait ? 'left to age for 65 s' : 'set 65 s back in the database'}`,
      )
      for (let round = 1; round <= burstRounds; round++) {
        const settled = await settleAndSay(server.baseUrl, headers, 'the previous run')
        if (settled === null) console.log(`  (the server had not settled before round ${round})`)
        const result = await burst(server.baseUrl, database.url, cookie, generated, detail)
        console.log(
          `  round ${round}: ${result.ok}/${burstSize} answered 200 within ${BURST_LIMIT_MS / 1000} s ` +
            `(GET /incidents just before: ${result.before}); ` +
            `other answers: ${result.others}; slowest ${result.slowestMs.toFixed(0)} ms, ` +
            `burst over after ${result.wallMs.toFixed(0)} ms`,
        )
      }
    }
  } finally {
    await server.stop()
  }
} finally {
  await database.stop()
}
