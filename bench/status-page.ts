/**
 * `npm run bench:status`: the public status page under load, on the production build, beside
 * `/healthz` in the same run (decision 040 asks for at least 50 % of its requests/s).
 *
 * 1. Starts a throwaway embedded PostgreSQL (migrated) and fills one organization's page through
 *    the application's own domain services: BENCH_COMPONENTS components (default 12) in three
 *    groups, BENCH_INCIDENTS incidents (default 30) with four public updates each spread over the
 *    last 90 days (the last one still open), and one scheduled maintenance — so the page has 90
 *    days of history per component to compute.
 * 2. Starts `node build/server.js` (NODE_ENV=production; run `npm run build` first) on it.
 * 3. With autocannon, BENCH_CONNECTIONS (20) connections for BENCH_SECONDS (10) each, after a
 *    BENCH_WARMUP_SECONDS (3) pass: /healthz, the page as browsers ask for it (Accept-Encoding:
 *    gzip) and uncompressed, its JSON, its Atom feed, and the page with a matching If-None-Match
 *    (304). Prints requests/s, p50/p99 latency and each route's share of /healthz. BENCH_COLD=1
 *    adds the page with its cache emptied by a write every 100 ms (what it costs uncached).
 *
 * Figures are printed, never asserted.
 */
import { existsSync } from 'node:fs'
import os from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon, { type Result } from 'autocannon'
import pg from 'pg'
import { signUp } from '~/domain/access/accounts.server'
import { declareIncident } from '~/domain/incident/incident-service.server'
import { postPublicUpdate } from '~/domain/status/public-updates.server'
import {
  addComponent,
  addComponentGroup,
  saveStatusPageSettings,
  scheduleMaintenance,
} from '~/domain/status/status-admin.server'
import type { ComponentState, PublicStatus } from '~/domain/status/status-vocabulary'
import { startSenderBoss } from '~/queue/send.server'
import { initORM } from '../db/orm'
import { startDatabase, startServer } from './support/stack'

const componentCount = Number(process.env.BENCH_COMPONENTS ?? 12)
const incidentCount = Number(process.env.BENCH_INCIDENTS ?? 30)
const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20)
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 3)
const cold = process.env.BENCH_COLD === '1'
const DAY_MS = 86_400_000

for (const [name, value, min] of [
  ['BENCH_COMPONENTS', componentCount, 1],
  ['BENCH_INCIDENTS', incidentCount, 0],
  ['BENCH_SECONDS', seconds, 1],
  ['BENCH_CONNECTIONS', connections, 1],
  ['BENCH_WARMUP_SECONDS', warmupSeconds, 0],
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

/** One organization with a published page, its components, history and a maintenance. */
async function seed(url: string) {
  const orm = await initORM(url, { pool: { min: 0, max: 2 } })
  const boss = await startSenderBoss(url)
  try {
    const { user, organization } = await signUp(orm, {
      organizationName: 'Bench Status',
      displayName: 'Bench Admin',
      email: 'bench-admin@example.test',
      password: 'Bench-Status-Password-2026',
    })
    const admin = {
      user: { id: user.id, email: user.email, displayName: user.displayName },
      role: 'admin' as const,
      organization: {
        id: organization.id,
        name: organization.name,
        slug: organization.slug,
        timezone: 'UTC',
      },
    }
    const now = new Date()
    const links = {
      pageUrl: 'http://127.0.0.1/status/x',
      secret: 'bench-secret-bench-secret-bench',
    }
    await saveStatusPageSettings(
      orm,
      admin,
      { published: true, title: 'Bench status', intro: 'Measured.', customHost: '' },
      { appHost: '127.0.0.1', now },
    )
    const groups = [
      await addComponentGroup(orm, admin, 'Core'),
      await addComponentGroup(orm, admin, 'Edge'),
      await addComponentGroup(orm, admin, 'Back office'),
    ]
    const components: string[] = []
    for (let i = 0; i < componentCount; i++) {
      components.push(
        await addComponent(orm, admin, {
          name: `Component ${i + 1}`,
          description: `Part ${i + 1} of the product`,
          groupId: groups[i % groups.length]!,
          serviceIds: [],
        }),
      )
    }
    // Components are new; their history starts now, so updates are dated back by the owner.
    const owner = new pg.Client({ connectionString: url })
    await owner.connect()
    await owner.query(`update status_component set created_at = $1 where organization_id = $2`, [
      new Date(now.getTime() - 100 * DAY_MS),
      organization.id,
    ])
    const steps: PublicStatus[] = ['investigating', 'identified', 'monitoring', 'resolved']
    const states: ComponentState[] = ['major_outage', 'partial_outage', 'degraded_performance']
    for (let n = 0; n < incidentCount; n++) {
      const { number } = await declareIncident(orm, admin, {
        title: `Bench incident ${n + 1}`,
        summary: '',
        severity: 'SEV-3',
      })
      const startAt = now.getTime() - ((n + 1) * 89 * DAY_MS) / (incidentCount + 1)
      const last = n === 0 ? 3 : 4
      for (let s = 0; s < last; s++) {
        const { id } = await postPublicUpdate(
          orm,
          boss,
          admin,
          number,
          {
            title: `Bench incident ${n + 1}`,
            status: steps[s]!,
            body: `Update ${s + 1} of incident ${n + 1}: what we know and what we do next.`,
            components: [
              { componentId: components[n % components.length]!, state: states[s % 3]! },
              {
                componentId: components[(n + 5) % components.length]!,
                state: 'degraded_performance',
              },
            ],
          },
          { now, links },
        )
        await owner.query(`update public_update set posted_at = $1 where id = $2`, [
          new Date(startAt + s * 45 * 60_000),
          id,
        ])
      }
    }
    await scheduleMaintenance(
      orm,
      boss,
      admin,
      {
        title: 'Database upgrade',
        message: 'Writes pause for up to a minute.',
        startsAt: new Date(now.getTime() + 2 * DAY_MS),
        endsAt: new Date(now.getTime() + 2 * DAY_MS + 3_600_000),
        componentIds: components.slice(0, 3),
      },
      { now, links },
    )
    await owner.end()
    return { slug: organization.slug, organizationId: organization.id }
  } finally {
    await boss.stop({ graceful: false, wait: true }).catch(() => {})
    await orm.close(true)
  }
}

interface Measured {
  label: string
  result: Result
}

async function run(
  baseUrl: string,
  label: string,
  path: string,
  headers: Record<string, string> = {},
) {
  process.stderr.write(`measuring ${label} for ${seconds} s …\n`)
  const result = await autocannon({
    url: `${baseUrl}${path}`,
    connections,
    duration: seconds,
    timeout: 30,
    headers,
  })
  return { label, result }
}

function printTable(measured: Measured[]) {
  const base = measured.find((m) => m.label === 'GET /healthz')?.result.requests.average ?? 0
  console.table(
    measured.map(({ label, result }) => ({
      route: label,
      'req/s': result.requests.average.toFixed(1),
      'p50 ms': result.latency.p50.toFixed(1),
      'p99 ms': result.latency.p99.toFixed(1),
      '2xx': result['2xx'],
      '304': result.statusCodeStats['304']?.count ?? 0,
      other: result.non2xx - (result.statusCodeStats['304']?.count ?? 0),
      'errors/timeouts': result.errors + result.timeouts,
      'vs /healthz': base ? `${((100 * result.requests.average) / base).toFixed(1)} %` : '–',
    })),
  )
}

async function main() {
  process.stderr.write(`load before: ${loadAverage()}\n`)
  const database = await startDatabase('status')
  let server: Awaited<ReturnType<typeof startServer>> | null = null
  try {
    const { slug, organizationId } = await seed(database.url)
    server = await startServer(database.url, database.dir)
    const page = `/status/${slug}`
    const gzip = { 'Accept-Encoding': 'gzip' }
    const first = await fetch(`${server.baseUrl}${page}`, {
      headers: { 'Accept-Encoding': 'identity' },
    })
    const size = (await first.arrayBuffer()).byteLength
    const zipped = await fetch(`${server.baseUrl}${page}`, { headers: gzip })
    const etag = zipped.headers.get('etag') ?? ''
    const zippedSize = Number(zipped.headers.get('content-length') ?? 0)
    await zipped.arrayBuffer()
    if (first.status !== 200 || !etag) throw new Error(`${page} answered ${first.status}`)
    process.stderr.write(
      `page: ${size} bytes (${zippedSize} gzip), ${componentCount} components, ${incidentCount} incidents\n`,
    )

    const routes: Array<[string, string, Record<string, string>]> = [
      ['GET /healthz', '/healthz', {}],
      [`GET ${page} (gzip, as browsers ask)`, page, gzip],
      [`GET ${page} (identity)`, page, {}],
      [`GET ${page}/status.json (gzip)`, `${page}/status.json`, gzip],
      [`GET ${page}/feed.atom (gzip)`, `${page}/feed.atom`, gzip],
      [`GET ${page} (If-None-Match → 304)`, page, { ...gzip, 'If-None-Match': etag }],
    ]
    if (warmupSeconds > 0) {
      for (const [, path, headers] of routes)
        await autocannon({
          url: `${server.baseUrl}${path}`,
          connections,
          duration: warmupSeconds,
          headers,
        })
    }
    const measured: Measured[] = []
    for (const [label, path, headers] of routes) {
      await sleep(500)
      measured.push(await run(server.baseUrl, label, path, headers))
    }
    if (cold) {
      // Every 100 ms a change to the page's data: each process drops its renderings.
      const writer = new pg.Client({ connectionString: database.url })
      await writer.connect()
      let writing = true
      const writes = (async () => {
        while (writing) {
          await writer.query(
            `update status_page set updated_at = now() where organization_id = $1`,
            [organizationId],
          )
          await sleep(100)
        }
      })()
      measured.push(
        await run(server.baseUrl, `GET ${page} (gzip, cache emptied every 100 ms)`, page, gzip),
      )
      writing = false
      await writes
      await writer.end()
    }
    console.log(
      `\nbench:status — ${connections} connections × ${seconds} s each, production build, load after: ${loadAverage()}`,
    )
    printTable(measured)
  } finally {
    await server?.stop()
    await database.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
