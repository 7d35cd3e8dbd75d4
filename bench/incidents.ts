/**
 * `npm run bench:incidents`: the incident pages under load with a realistic amount of data.
 *
 * Starts a throwaway embedded PostgreSQL, generates BENCH_INCIDENTS incidents (default 100 000)
 * in one organization with bench/generate-incidents.ts, starts the production server from
 * `build/` (run `npm run build` first), signs in through POST /login, then measures, one after
 * another with BENCH_CONNECTIONS (20) connections for BENCH_SECONDS (10) each: /healthz, the
 * default incident list, the list of all incidents, a title search, and the detail page of a
 * random incident per request. BENCH_VERIFY=1 also times `npm run audit:verify` on the data.
 * Figures are printed, never asserted.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { generateIncidents } from './generate-incidents'
import { printResults, runLoad, type LoadResult } from './support/load'
import { startDatabase, startServer, signIn } from './support/stack'

const count = Number(process.env.BENCH_INCIDENTS ?? 100_000)
const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20)

if (!existsSync('build/server.js')) {
  console.error('Run `npm run build` first (the benchmark measures the production build).')
  process.exit(1)
}

const database = await startDatabase('incidents')
try {
  console.log(`generating ${count.toLocaleString('en')} incidents …`)
  const generated = await generateIncidents(database.url, { count })
  console.log(
    `generated ${generated.incidents.toLocaleString('en')} incidents, ${generated.events.toLocaleString('en')} events ` +
      `in ${generated.seconds.toFixed(1)} s (${Math.round(generated.incidents / generated.seconds).toLocaleString('en')} incidents/s)`,
  )
  if (process.env.BENCH_VERIFY === '1') {
    const started = performance.now()
    const verify = spawnSync('npx', ['tsx', 'db/cli/audit-verify.ts'], {
      env: { ...process.env, DATABASE_URL: database.url },
      encoding: 'utf8',
    })
    console.log(
      `audit:verify exit ${verify.status} in ${((performance.now() - started) / 1000).toFixed(1)} s: ${verify.stdout.trim()}`,
    )
  }

  const server = await startServer(database.url, database.dir)
  try {
    console.log(`cold start (spawn → first 200 on /healthz): ${server.coldStartMs.toFixed(0)} ms`)
    const cookie = await signIn(server.baseUrl, generated.email, generated.password)
    const headers = { Cookie: cookie }
    const check = await fetch(`${server.baseUrl}/incidents/1`, { headers })
    const page = await check.text()
    if (check.status !== 200 || !page.includes('INC-1')) {
      throw new Error(`GET /incidents/1 answered ${check.status} without the incident`)
    }

    console.log(
      `load: ${connections} connections, ${seconds} s per endpoint, node ${process.version}`,
    )
    const endpoints: Array<[string, string | (() => string)]> = [
      ['GET /healthz', '/healthz'],
      ['GET /incidents (open, page 1)', '/incidents'],
      ['GET /incidents?status=all', '/incidents?status=all'],
      ['GET /incidents?status=all&q=checkout', '/incidents?status=all&q=checkout'],
      ['GET /incidents/<random n>', () => `/incidents/${1 + Math.floor(Math.random() * count)}`],
    ]
    const results: LoadResult[] = []
    for (const [label, path] of endpoints) {
      results.push(
        await runLoad({
          label,
          url:
            typeof path === 'string'
              ? `${server.baseUrl}${path}`
              : () => `${server.baseUrl}${path()}`,
          connections,
          seconds,
          headers,
        }),
      )
    }
    printResults(results)
  } finally {
    await server.stop()
  }
} finally {
  await database.stop()
}
