/**
 * `npm run bench:live`: live pages on one web process (decision 033).
 *
 * 1. Starts a throwaway embedded PostgreSQL (migrated) and `node build/server.js` on it
 *    (NODE_ENV=production, WEB_CONCURRENCY=1: one web process; run `npm run build` first).
 * 2. Append cost of the announcing trigger (migration 0019): after 50 comments to warm up,
 *    BENCH_APPENDS (400) comments through the domain's `addComment`, in blocks of 50 alternating
 *    with the trigger enabled and disabled, while the server LISTENs; prints mean, p50 and p99
 *    per comment for each.
 * 3. Opens BENCH_STREAMS (500) live streams of one incident (`GET /live/incidents/1`) from
 *    BENCH_USERS (100) members, each with its own session (at most 6 streams per session), and
 *    samples the server's RSS (/proc/<pid>/status) and V8 heap (its /metrics) before, after and
 *    once more after step 4: memory per stream = delta ÷ streams. The heap used then includes
 *    garbage not yet collected (each opening checks the session and the incident through the
 *    ORM). BENCH_COLLECT=1 has the server collect it before each sample (it writes a heap snapshot
 *    on SIGUSR2 into the bench's temporary directory, deleted at once): the heap figures are then
 *    what the streams keep, but writing snapshots inflates RSS, so only the heap figures count.
 * 4. BENCH_ROUNDS (20) times: commits one comment, then waits until every stream has its
 *    `change` message; time from the commit returning to each stream's arrival. Prints p50/p99
 *    over all deliveries and p50/p99/max of the last client per round.
 *
 * The streams are read by this process, on the same two cores: arrival times include its own
 * parsing of 500 sockets. Figures are printed, never asserted.
 */
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { createSession } from '~/domain/access/session.server'
import { addComment, declareIncident } from '~/domain/incident/incident-service.server'
import { initORM } from '../db/orm'
import { startDatabase, startServer } from './support/stack'

const streamCount = Number(process.env.BENCH_STREAMS ?? 500)
const userCount = Number(process.env.BENCH_USERS ?? 100)
const rounds = Number(process.env.BENCH_ROUNDS ?? 20)
const appends = Number(process.env.BENCH_APPENDS ?? 400)
/** Collect the server's garbage before each memory sample (heap figures only; see above). */
const collect = process.env.BENCH_COLLECT === '1'
const PER_SESSION = 6
const APPEND_BLOCK = 50

for (const [name, value, min] of [
  ['BENCH_STREAMS', streamCount, 1],
  ['BENCH_USERS', userCount, 1],
  ['BENCH_ROUNDS', rounds, 1],
  ['BENCH_APPENDS', appends, 0],
] as const) {
  if (!Number.isInteger(value) || value < min) {
    console.error(`${name} must be an integer of at least ${min}`)
    process.exit(2)
  }
}
if (Math.ceil(streamCount / userCount) > PER_SESSION) {
  console.error(`BENCH_USERS must be at least BENCH_STREAMS / ${PER_SESSION}`)
  process.exit(2)
}
if (!existsSync('build/server.js')) {
  console.error('Run `npm run build` first (the benchmark measures the production build).')
  process.exit(1)
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
const ms = (n: number) => `${n.toFixed(1)} ms`
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

function rssOf(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024
}

/** Has the server collect its garbage (by writing a heap snapshot), then deletes the snapshot. */
async function collectGarbage(pid: number, dir: string) {
  process.kill(pid, 'SIGUSR2')
  let lastSize = -1
  for (;;) {
    await sleep(250)
    const files = (await readdir(dir)).filter((f) => f.endsWith('.heapsnapshot'))
    if (files.length === 0) continue
    const size = (await stat(path.join(dir, files[0]!))).size
    if (size > 0 && size === lastSize) {
      for (const f of files) await rm(path.join(dir, f), { force: true })
      return
    }
    lastSize = size
  }
}

async function heapOf(baseUrl: string, token: string) {
  const text = await (
    await fetch(`${baseUrl}/metrics`, { headers: { Authorization: `Bearer ${token}` } })
  ).text()
  return Number(/^incidentflow_nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1] ?? NaN)
}

interface Stream {
  arrivals: Map<number, number>
  waiters: Map<number, () => void>
  close: () => void
}

/** One SSE client on a plain socket: records when each `change` (by seq) arrives. */
function openStream(baseUrl: string, path: string, cookie: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const stream: Stream = { arrivals: new Map(), waiters: new Map(), close: () => {} }
    const request = http.get(
      `${baseUrl}${path}`,
      { headers: { Cookie: cookie, Accept: 'text/event-stream' }, agent: false },
      (response) => {
        if (response.statusCode !== 200) {
          reject(new Error(`${path} answered ${response.statusCode}`))
          response.resume()
          return
        }
        response.setEncoding('utf8')
        let buffer = ''
        response.on('data', (chunk: string) => {
          const at = performance.now()
          buffer += chunk
          let end: number
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            if (!block.startsWith('event: change')) continue
            const seq = Number(/\nid: (\d+)/.exec(block)?.[1])
            stream.arrivals.set(seq, at)
            stream.waiters.get(seq)?.()
          }
        })
        resolve(stream)
      },
    )
    request.on('error', reject)
    stream.close = () => request.destroy()
  })
}

function arrivalOf(stream: Stream, seq: number): Promise<number> {
  const at = stream.arrivals.get(seq)
  if (at !== undefined) return Promise.resolve(at)
  return new Promise((resolve) =>
    stream.waiters.set(seq, () => {
      stream.waiters.delete(seq)
      resolve(stream.arrivals.get(seq)!)
    }),
  )
}

async function main() {
  const database = await startDatabase('live')
  const secret = randomBytes(36).toString('base64')
  const metricsToken = randomBytes(24).toString('hex')
  // SIGUSR2 makes the server write a heap snapshot, which collects its garbage first: the heap
  // figures are then what the streams keep, not what opening them left behind.
  const snapshots = path.join(database.dir, 'snapshots')
  await mkdir(snapshots, { recursive: true })
  const server = await startServer(database.url, database.dir, {
    ...(collect
      ? { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshots}` }
      : {}),
    WEB_CONCURRENCY: '1',
    SESSION_SECRET: secret,
    METRICS_TOKEN: metricsToken,
  })
  const orm = await initORM(database.url, { pool: { min: 0, max: 4 } })
  const owner = new pg.Pool({ connectionString: database.url, max: 2 })
  const streams: Stream[] = []
  try {
    const [organization] = (
      await owner.query<{ id: string; name: string; slug: string; timezone: string }>(
        `insert into organization (name, slug) values ('Bench', 'bench-live')
         returning id, name, slug, timezone`,
      )
    ).rows
    const users: string[] = []
    for (let i = 0; i < userCount; i++) {
      const { rows } = await owner.query<{ id: string }>(
        `insert into app_user (email, display_name) values ($1, $2) returning id`,
        [`viewer-${i}@bench.test`, `Viewer ${i}`],
      )
      await owner.query(
        `insert into membership (organization_id, user_id, role, active)
         values ($1, $2, 'engineer', true)`,
        [organization!.id, rows[0]!.id],
      )
      users.push(rows[0]!.id)
    }
    const { rows: adminRows } = await owner.query<{ id: string }>(
      `insert into app_user (email, display_name) values ('admin@bench.test', 'Admin') returning id`,
    )
    await owner.query(
      `insert into membership (organization_id, user_id, role, active) values ($1, $2, 'admin', true)`,
      [organization!.id, adminRows[0]!.id],
    )
    const admin = {
      user: { id: adminRows[0]!.id, email: 'admin@bench.test', displayName: 'Admin' },
      role: 'admin' as const,
      organization: organization!,
    }
    const { number } = await declareIncident(orm, admin, {
      title: 'Fan-out bench',
      summary: 'One change, every stream',
      severity: 'SEV-3',
    })

    // 2. What the trigger costs an append (after a warm-up block that is not counted).
    for (let i = 0; i < APPEND_BLOCK && appends > 0; i++) {
      await addComment(orm, admin, number, { body: `warm-up ${i}` })
    }
    const times = { on: [] as number[], off: [] as number[] }
    for (let block = 0; block * APPEND_BLOCK < appends; block++) {
      const enabled = block % 2 === 0
      await owner.query(
        `alter table incident_event ${enabled ? 'enable' : 'disable'} trigger incident_event_announce`,
      )
      for (let i = 0; i < APPEND_BLOCK && block * APPEND_BLOCK + i < appends; i++) {
        const started = performance.now()
        await addComment(orm, admin, number, { body: `append ${block}.${i}` })
        times[enabled ? 'on' : 'off'].push(performance.now() - started)
      }
    }
    await owner.query(`alter table incident_event enable trigger incident_event_announce`)
    const describe = (list: number[]) => {
      const sorted = [...list].sort((a, b) => a - b)
      const mean = list.reduce((a, b) => a + b, 0) / Math.max(1, list.length)
      return `mean ${ms(mean)}, p50 ${ms(quantile(sorted, 0.5))}, p99 ${ms(quantile(sorted, 0.99))} (${list.length})`
    }
    if (appends > 0) {
      console.log(`addComment with the announcing trigger:    ${describe(times.on)}`)
      console.log(`addComment without it (trigger disabled): ${describe(times.off)}`)
    }

    // 3. Open the streams.
    const env = {
      APP_URL: server.baseUrl,
      NODE_ENV: 'production',
      SESSION_SECRET: secret,
      SESSION_IDLE_MINUTES: 60,
      SESSION_MAX_DAYS: 1,
    }
    const cookies: string[] = []
    for (const userId of users) {
      const { setCookie } = await createSession(orm, env, {
        userId,
        organizationId: organization!.id,
      })
      cookies.push(setCookie.split(';')[0]!)
    }
    await sleep(500)
    if (collect) await collectGarbage(server.pid, snapshots)
    const rssBefore = rssOf(server.pid)
    const heapBefore = await heapOf(server.baseUrl, metricsToken)
    for (let i = 0; i < streamCount; i++) {
      streams.push(
        await openStream(server.baseUrl, `/live/incidents/${number}`, cookies[i % userCount]!),
      )
    }
    // Let the presence messages of all those joins settle (and their garbage go) before measuring.
    await sleep(5_000)
    if (collect) await collectGarbage(server.pid, snapshots)
    const rssAfter = rssOf(server.pid)
    const heapAfter = await heapOf(server.baseUrl, metricsToken)

    // 4. One change, every stream.
    const all: number[] = []
    const lasts: number[] = []
    for (let round = 0; round < rounds; round++) {
      const before = (
        await owner.query<{ last_event_seq: number }>(
          'select last_event_seq from incident where organization_id = $1 and number = $2',
          [organization!.id, number],
        )
      ).rows[0]!.last_event_seq
      const seq = before + 1
      const committed = performance.now()
      await addComment(orm, admin, number, { body: `round ${round}` })
      const arrivals = await Promise.all(streams.map((s) => arrivalOf(s, seq)))
      const after = arrivals.map((at) => at - committed)
      all.push(...after)
      lasts.push(Math.max(...after))
      await sleep(200)
    }
    all.sort((a, b) => a - b)
    lasts.sort((a, b) => a - b)
    if (collect) await collectGarbage(server.pid, snapshots)
    const rssEnd = rssOf(server.pid)
    const heapEnd = await heapOf(server.baseUrl, metricsToken)

    console.log(
      `\n${streamCount} streams on one web process (${userCount} members), ${rounds} changes`,
    )
    console.log(
      `commit → client, every delivery: p50 ${ms(quantile(all, 0.5))}, p99 ${ms(quantile(all, 0.99))}`,
    )
    console.log(
      `commit → last client, per change: p50 ${ms(quantile(lasts, 0.5))}, p99 ${ms(quantile(lasts, 0.99))}, max ${ms(lasts.at(-1)!)}`,
    )
    console.log(
      `server RSS ${mb(rssBefore)} → ${mb(rssAfter)}: ${((rssAfter - rssBefore) / streamCount / 1024).toFixed(1)} KB per stream`,
    )
    console.log(
      `server V8 heap used ${mb(heapBefore)} → ${mb(heapAfter)}: ${((heapAfter - heapBefore) / streamCount / 1024).toFixed(1)} KB per stream`,
    )
    console.log(
      `after the changes: RSS ${mb(rssEnd)} (${((rssEnd - rssBefore) / streamCount / 1024).toFixed(1)} KB per stream), heap ${mb(heapEnd)} (${((heapEnd - heapBefore) / streamCount / 1024).toFixed(1)} KB per stream)`,
    )
    console.log(
      `load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    )
  } finally {
    for (const s of streams) s.close()
    await orm.close(true)
    await owner.end()
    await server.stop()
    await database.stop()
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
