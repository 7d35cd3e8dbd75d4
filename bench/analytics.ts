/**
 * `npm run bench:analytics`: how fast the analytics dashboard answers for a 90-day period.
 *
 * Starts a throwaway embedded PostgreSQL and, for each size in BENCH_ANALYTICS_SIZES (default
 * "100000,1000000"), generates an organization with that many incidents
 * (bench/generate-incidents.ts), spread over BENCH_ANALYTICS_YEARS (default 2) with the default
 * SLA policy and its recorded breaches (bench/support/analytics-data.ts). Then, per organization:
 *
 * - the first `loadDashboard` for the last 90 days, which stores the day pages;
 * - `loadDashboard` for the last 90 days, BENCH_RUNS times (default 20) after two warm-up runs,
 *   with nothing changed in between, and again with one of today's incidents changed before
 *   each run (so today's page is read from the facts every time, as on a busy day);
 * - GET /analytics (the whole page, production build, signed in as the organization's admin), the
 *   same number of times, one request after another;
 * - p50 and p95 of each, a few other views for comparison (a severity filter, 365 days), and the
 *   EXPLAIN (ANALYZE, BUFFERS) of the heaviest queries as the app runs them: reading the
 *   period's day pages, and reading one day from the facts.
 *
 * Run `npm run build` first. Figures are printed, never asserted.
 */
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { loadDashboard } from '~/domain/analytics/analytics.server'
import { parseAnalyticsFilters } from '~/domain/analytics/filters'
import { initORM } from '../db/orm'
import { inScope } from '../db/tenant'
import { generateIncidents, type GeneratedOrganization } from './generate-incidents'
import { shapeForAnalytics } from './support/analytics-data'
import { startDatabase, startServer, signIn } from './support/stack'

const sizes = (process.env.BENCH_ANALYTICS_SIZES ?? '100000,1000000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0)
const years = Number(process.env.BENCH_ANALYTICS_YEARS ?? 2)
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 20))

if (!existsSync('build/server.js')) {
  console.error('Run `npm run build` first (the benchmark measures the production build).')
  process.exit(1)
}

function summary(label: string, ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!
  return `${label.padEnd(52)} p50 ${at(0.5).toFixed(1).padStart(7)} ms   p95 ${at(0.95)
    .toFixed(1)
    .padStart(7)} ms   (n=${ms.length}, min ${sorted[0]!.toFixed(1)}, max ${sorted[
    sorted.length - 1
  ]!.toFixed(1)})`
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function processCpuSeconds(pid: number) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}

async function time<T>(work: () => Promise<T>, times: number, warmUp = 2, cpuOf = process.pid) {
  for (let i = 0; i < warmUp; i++) await work()
  const ms: number[] = []
  let last: T | undefined
  const cpuBefore = processCpuSeconds(cpuOf)
  for (let i = 0; i < times; i++) {
    const started = performance.now()
    last = await work()
    ms.push(performance.now() - started)
  }
  const cpuMs = ((processCpuSeconds(cpuOf) - cpuBefore) * 1000) / times
  return { ms, last: last as T, cpuMs }
}

const load = () =>
  `load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${os.cpus().length} CPUs`

const database = await startDatabase('analytics')
try {
  const organizations: GeneratedOrganization[] = []
  for (const count of sizes) {
    console.log(`generating ${count.toLocaleString('en')} incidents …`)
    const generated = await generateIncidents(database.url, { count })
    console.log(
      `  generated in ${generated.seconds.toFixed(1)} s (${Math.round(count / generated.seconds).toLocaleString('en')} incidents/s, analytics facts included)`,
    )
    const shaped = await shapeForAnalytics(database.url, generated.organizationId, {
      years,
      log: () => {},
    })
    console.log(
      `  spread over ${years} years, SLA policy and breaches recorded in ${shaped.seconds.toFixed(1)} s`,
    )
    organizations.push(generated)
  }

  const orm = await initORM(database.url, { pool: { min: 0, max: 4 } })
  const server = await startServer(database.url, database.dir)
  try {
    console.log(`\nnode ${process.version}, ${runs} runs each after 2 warm-up runs, ${load()}`)
    for (const generated of organizations) {
      const organizationId = generated.organizationId
      const now = new Date()
      const filters = (query: string) =>
        parseAnalyticsFilters(new URLSearchParams(query), 'UTC', now)
      const dashboard = () => loadDashboard(orm, organizationId, filters(''), now)
      const first = await time(dashboard, 1, 0)
      const { ms, last, cpuMs } = await time(dashboard, runs)
      console.log(
        `\n${generated.incidents.toLocaleString('en')} incidents in the organization, ` +
          `${last.totals.incidents.toLocaleString('en')} declared in the last 90 days ` +
          `(${last.totals.open.toLocaleString('en')} of them open), MTTR median ${last.responseTimes.mttr.median} s`,
      )
      console.log(summary('loadDashboard, 90 days, first view (stores pages)', first.ms))
      console.log(`${summary('loadDashboard, 90 days', ms)}   node CPU ${cpuMs.toFixed(0)} ms/run`)
      // A busy day: one of today's incidents changes before every view.
      const [today] = await inScope(orm, { organizationId }, (em) =>
        em.execute<Array<{ id: string; severity: string }>>(
          `select id, severity from incident where organization_id = ? order by declared_at desc limit 1`,
          [organizationId],
        ),
      )
      let flip = false
      const changed = await time(async () => {
        flip = !flip
        await inScope(orm, { organizationId }, (em) =>
          em.execute(`update incident set severity = ? where id = ?`, [
            flip ? 'SEV-1' : today!.severity,
            today!.id,
          ]),
        )
        return dashboard()
      }, runs)
      console.log(summary('loadDashboard, 90 days, today changed each time', changed.ms))
      for (const [label, query] of [
        ['loadDashboard, 90 days, SEV-1 and SEV-2', 'severity=SEV-1&severity=SEV-2'],
        ['loadDashboard, 365 days (weeks)', 'period=365d'],
      ] as const) {
        const other = await time(
          () => loadDashboard(orm, organizationId, filters(query), now),
          runs,
        )
        console.log(summary(label, other.ms))
      }

      const cookie = await signIn(server.baseUrl, generated.email, generated.password)
      const page = async () => {
        const response = await fetch(`${server.baseUrl}/analytics`, { headers: { Cookie: cookie } })
        const html = await response.text()
        if (response.status !== 200 || !html.includes('Incidents over time'))
          throw new Error(`GET /analytics answered ${response.status}`)
        return html.length
      }
      const http = await time(page, runs, 2, server.pid)
      console.log(
        `${summary(`GET /analytics (${Math.round(http.last / 1024)} KB of HTML)`, http.ms)}   server CPU ${http.cpuMs.toFixed(0)} ms/request`,
      )
      console.log(`(${load()})`)

      const f = filters('')
      const explain = (sql: string, params: unknown[]) =>
        inScope(orm, { organizationId }, (em) =>
          em.execute<Array<{ 'QUERY PLAN': string }>>(`explain (analyze, buffers) ${sql}`, params),
        )
      const pages = await explain(
        `select to_char(p.day, 'YYYY-MM-DD') as day, encode(p.records, 'base64') as records
           from analytics_page p
          where p.organization_id = ? and p.day >= ?::date and p.day <= ?::date
            and not exists (select 1 from analytics_page_change c
                             where c.organization_id = p.organization_id and c.day = p.day
                               and not pg_visible_in_snapshot(c.xid, p.snapshot))`,
        [organizationId, f.from.slice(0, 10), f.to.slice(0, 10)],
      )
      console.log('\nEXPLAIN (ANALYZE, BUFFERS), as the app role: the period’s day pages')
      for (const line of pages) console.log(`  ${line['QUERY PLAN']}`)
      const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10)
      const facts = await explain(
        `select encode(string_agg(f.record, ''::bytea), 'base64') from analytics_fact f
          where f.organization_id = ? and f.declared_at >= ?::date::timestamp at time zone 'UTC'
            and f.declared_at < (?::date + 1)::timestamp at time zone 'UTC'`,
        [organizationId, day, day],
      )
      console.log('EXPLAIN (ANALYZE, BUFFERS), as the app role: one day read from the facts')
      for (const line of facts) console.log(`  ${line['QUERY PLAN']}`)
    }
  } finally {
    await server.stop()
    await orm.close()
  }
} finally {
  await database.stop()
}
