/**
 * `npm run bench:analytics`: how fast the analytics dashboard answers for a 90-day period.
 *
 * Starts a throwaway embedded PostgreSQL and, for each size in BENCH_ANALYTICS_SIZES (default
 * "100000,1000000"), generates an organization with that many incidents
 * (bench/generate-incidents.ts), spread over BENCH_ANALYTICS_YEARS (default 2) with the default
 * SLA policy and its recorded breaches (bench/support/analytics-data.ts). Then, per organization:
 *
 * - `loadDashboard` for the last 90 days, BENCH_RUNS times (default 20) after two warm-up runs;
 * - GET /analytics (the whole page, production build, signed in as the organization's admin), the
 *   same number of times, one request after another;
 * - p50 and p95 of each, a few other views for comparison (a severity filter, 365 days), and the
 *   EXPLAIN (ANALYZE, BUFFERS) of the heaviest query, the period's facts, as the app runs it.
 *
 * Run `npm run build` first. Figures are printed, never asserted.
 */
import { existsSync } from 'node:fs'
import { loadDashboard } from '../app/domain/analytics/analytics.server'
import { parseAnalyticsFilters } from '../app/domain/analytics/filters'
import { initORM } from '../db/orm'
import { inScope } from '../db/tenant'
import { generateIncidents, type GeneratedOrganization } from './generate-incidents'
import { shapeForAnalytics } from './support/analytics-data'
import { startDatabase, startServer } from './support/stack'

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
  return `${label.padEnd(44)} p50 ${at(0.5).toFixed(1).padStart(7)} ms   p95 ${at(0.95)
    .toFixed(1)
    .padStart(7)} ms   (n=${ms.length}, min ${sorted[0]!.toFixed(1)}, max ${sorted[
    sorted.length - 1
  ]!.toFixed(1)})`
}

async function time<T>(work: () => Promise<T>, times: number, warmUp = 2) {
  for (let i = 0; i < warmUp; i++) await work()
  const ms: number[] = []
  let last: T | undefined
  for (let i = 0; i < times; i++) {
    const started = performance.now()
    last = await work()
    ms.push(performance.now() - started)
  }
  return { ms, last: last as T }
}

async function signIn(baseUrl: string, email: string, password: string) {
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: baseUrl },
    body: new URLSearchParams({ email, password }),
    redirect: 'manual',
  })
  const setCookie = response.headers.get('set-cookie')
  if (response.status !== 302 || !setCookie)
    throw new Error(`POST /login answered ${response.status}`)
  return setCookie.split(';')[0]!
}

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
    console.log(`\nnode ${process.version}, ${runs} runs each after 2 warm-up runs`)
    for (const generated of organizations) {
      const organizationId = generated.organizationId
      const now = new Date()
      const filters = (query: string) =>
        parseAnalyticsFilters(new URLSearchParams(query), 'UTC', now)
      const dashboard = () => loadDashboard(orm, organizationId, filters(''), now)
      const { ms, last } = await time(dashboard, runs)
      console.log(
        `\n${generated.incidents.toLocaleString('en')} incidents in the organization, ` +
          `${last.totals.incidents.toLocaleString('en')} declared in the last 90 days ` +
          `(${last.totals.open.toLocaleString('en')} of them open), MTTR median ${last.responseTimes.mttr.median} s`,
      )
      console.log(summary('loadDashboard, 90 days', ms))
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
      const http = await time(page, runs)
      console.log(summary(`GET /analytics (${Math.round(http.last / 1024)} KB of HTML)`, http.ms))

      const f = filters('')
      const plan = await inScope(orm, { organizationId }, async (em) => {
        await em.execute(`select set_config('work_mem', '64MB', true)`)
        return em.execute<Array<{ 'QUERY PLAN': string }>>(
          `explain (analyze, buffers)
           select encode(string_agg(i.record, ''::bytea), 'base64') as records
             from analytics_fact i
            where i.organization_id = ? and i.declared_at >= ? and i.declared_at < ?`,
          [organizationId, f.from, f.to],
        )
      })
      console.log('\nEXPLAIN (ANALYZE, BUFFERS) of the period’s facts, as the app role:')
      for (const line of plan) console.log(`  ${line['QUERY PLAN']}`)
    }
  } finally {
    await server.stop()
    await orm.close()
  }
} finally {
  await database.stop()
}
