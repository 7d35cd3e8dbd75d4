import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises'
import { request } from 'node:http'
import { connect } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addCatalogEntry } from '~/domain/incident/catalog.server'
import { WEB_PROCESS_FLAGS, webServerArgs } from '~/server/web-process-flags'
import { startEmbeddedPostgres } from '../../db/embedded-postgres'
import { migrate } from '../../db/migrate'
import { actorOf, createMember } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { freePort } from '../support/postgres-server'
import { loadRemixBuild } from '../support/remix-build'
import { waitFor } from '../support/worker-process'

// The production server (server.ts bundled as `npm run build` bundles it, with the app's Remix
// build) started with WEB_CONCURRENCY=2: one supervising process and two web processes sharing
// the port. Which process answered a request is read from its log line (pino writes the pid).

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const db = setUpTestDatabase('web_processes')
const PASSWORD = 'correct horse battery staple 42'
const METRICS_TOKEN = `metrics-${randomBytes(12).toString('hex')}`

/** GET `url` on a connection of its own (the cluster may hand it to any web process). */
function getOnce(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(url, { agent: false, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

interface LogLine {
  pid: number
  msg: string
  embedded?: boolean
  req?: { id?: string }
}

interface Answer {
  status: number
  body: string
  headers: Record<string, string | string[] | undefined>
  pid: number
}

/** The production web server run from `dir`, its output collected, and ways to talk to it. */
async function startServer(dir: string, env: Record<string, string>) {
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  let output = ''
  const exits: Array<{ code: number | null; signal: NodeJS.Signals | null }> = []
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'production',
    WEB_CONCURRENCY: '2',
    PORT: String(port),
    HOST: '127.0.0.1',
    APP_URL: baseUrl,
    SESSION_SECRET: randomBytes(36).toString('base64url'),
    LOG_LEVEL: 'info',
    RESEND_API_KEY: '',
    ...env,
  }
  if (!env.DATABASE_URL) delete childEnv.DATABASE_URL
  // As `npm start` starts it: with the web process's Node flags.
  const primary: ChildProcess = spawn(process.execPath, webServerArgs(), {
    cwd: dir,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  primary.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  primary.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  primary.once('exit', (code, signal) => exits.push({ code, signal }))

  const logLines = (): LogLine[] =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine)

  /** Pids of the processes that announced they listen, oldest first. */
  const webPids = () => [
    ...new Set(
      logLines()
        .filter((l) => l.msg.startsWith('IncidentFlow listening'))
        .map((l) => l.pid),
    ),
  ]

  /**
   * One request on a connection of its own (no keep-alive), so the cluster may hand it to either
   * web process; resolves with the pid of the process that answered, read from its log line.
   */
  const send = async (
    method: 'GET' | 'POST',
    url: string,
    options: { cookie?: string; form?: Record<string, string> } = {},
  ): Promise<Answer> => {
    const id = `test-${randomBytes(8).toString('hex')}`
    const body = options.form ? new URLSearchParams(options.form).toString() : undefined
    const answer = await new Promise<Omit<Answer, 'pid'>>((resolve, reject) => {
      const req = request(
        `${baseUrl}${url}`,
        {
          method,
          agent: false,
          headers: {
            'X-Request-Id': id,
            ...(options.cookie ? { Cookie: options.cookie } : {}),
            ...(body
              ? { 'Content-Type': 'application/x-www-form-urlencoded', Origin: baseUrl }
              : {}),
          },
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (text += chunk))
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: text, headers: res.headers }),
          )
        },
      )
      req.on('error', reject)
      req.end(body)
    })
    const pid = await waitFor(
      `the log line of request ${id}`,
      () => logLines().find((l) => l.req?.id === id)?.pid,
      { timeoutMs: 5_000, intervalMs: 10 },
    )
    return { ...answer, pid }
  }

  /** Sends `GET url` until each of `pids` has answered it; each one's first answer. */
  const fromEach = async (pids: number[], url: string, cookie = '') => {
    const answers = new Map<number, Answer>()
    await waitFor(`an answer from each of ${pids.join(', ')}`, async () => {
      const answer = await send('GET', url, { cookie })
      if (!answers.has(answer.pid)) answers.set(answer.pid, answer)
      return pids.every((pid) => answers.has(pid)) || undefined
    })
    return answers
  }

  const stop = async () => {
    if (exits.length === 0) primary.kill('SIGTERM')
    return waitFor('the server to exit', () => exits[0], { timeoutMs: 40_000, intervalMs: 50 })
  }

  /** Leaves nothing running, whatever happened. */
  const kill = () => {
    for (const pid of [primary.pid, ...webPids()]) {
      try {
        if (pid) process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }

  await waitFor(
    'both web processes to listen',
    () => {
      if (exits.length) throw new Error('the server exited')
      // The supervisor's line and the web processes' own lines come in no set order.
      return (
        (logLines().some((l) => l.msg === 'all web processes listening') &&
          webPids().length === 2) ||
        undefined
      )
    },
    { timeoutMs: 60_000, intervalMs: 50 },
  ).catch((error: unknown) => {
    kill()
    throw new Error(`${String(error)}\n--- server output ---\n${output}`)
  })

  return { primary, baseUrl, exits, logLines, webPids, send, fromEach, stop, kill }
}

/** The Node flags a process was started with: its command line before the script. */
async function nodeFlagsOf(pid: number) {
  const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').slice(1)
  return args.slice(
    0,
    args.findIndex((arg) => arg.endsWith('server.js')),
  )
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

let dir: string

beforeAll(async () => {
  await loadRemixBuild()
  dir = await mkdtemp(path.join(os.tmpdir(), 'incidentflow-web-processes-'))
  // The embedded PostgreSQL runs as an unprivileged OS user when tests run as root.
  await chmod(dir, 0o755)
  // The production server bundle, built as `npm run build:server` does, beside the app's Remix
  // build: server.ts imports `build/index.js` from its working directory.
  await mkdir(path.join(dir, 'build'))
  await build({
    entryPoints: [path.join(root, 'server.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    keepNames: true,
    outfile: path.join(dir, 'build/server.js'),
    logLevel: 'silent',
  })
  await symlink(path.join(root, 'build/index.js'), path.join(dir, 'build/index.js'))
  await symlink(path.join(root, 'node_modules'), path.join(dir, 'node_modules'))
  await symlink(path.join(root, 'public'), path.join(dir, 'public'))
}, 180_000)

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('npm start with WEB_CONCURRENCY=2 on a PostgreSQL server', () => {
  let server: Awaited<ReturnType<typeof startServer>>
  let checkoutId: string
  let adminEmail: string
  let metricsPort: number

  beforeAll(async () => {
    const admin = await createMember(db, { role: 'admin', password: PASSWORD })
    adminEmail = admin.email
    checkoutId = await addCatalogEntry(db.orm, actorOf(admin), 'service', 'Checkout', '')
    metricsPort = await freePort()
    server = await startServer(dir, {
      DATABASE_URL: db.url,
      DATA_DIR: path.join(dir, 'data'),
      METRICS_TOKEN,
      METRICS_PORT: String(metricsPort),
    })
  }, 120_000)
  afterAll(() => server?.kill())

  async function signIn(email: string) {
    const answer = await server.send('POST', '/login', { form: { email, password: PASSWORD } })
    expect(answer.status, answer.body.slice(0, 300)).toBe(302)
    return [answer.headers['set-cookie'] ?? []].flat()[0]!.split(';')[0]!
  }

  it('runs two web processes behind one port, and both answer', async () => {
    const pids = server.webPids()
    expect(pids).toHaveLength(2)
    expect(pids).not.toContain(server.primary.pid)
    const answers = await server.fromEach(pids, '/login')
    for (const answer of answers.values()) expect(answer.status).toBe(200)
  })

  it('runs the supervisor and every web process with the web process flags', async () => {
    expect(WEB_PROCESS_FLAGS).toContain('--max-semi-space-size=64')
    expect(await nodeFlagsOf(server.primary.pid!)).toEqual(WEB_PROCESS_FLAGS)
    const pids = server.webPids()
    expect(pids).toHaveLength(2)
    for (const pid of pids) expect(await nodeFlagsOf(pid)).toEqual(WEB_PROCESS_FLAGS)
  })

  it('answers /metrics for both web processes together, through either of them and the supervisor’s METRICS_PORT', async () => {
    const pids = server.webPids()
    // Requests of a route no other test asks for, until each process has answered some.
    const answeredBy = new Map<number, number>()
    while (pids.some((pid) => !answeredBy.has(pid)) || answeredBy.size < 2) {
      const answer = await server.send('GET', '/no-such-page-for-metrics')
      expect(answer.status).toBe(404)
      answeredBy.set(answer.pid, (answeredBy.get(answer.pid) ?? 0) + 1)
      expect([...answeredBy.values()].reduce((a, b) => a + b, 0)).toBeLessThan(50)
    }
    const sent = [...answeredBy.values()].reduce((a, b) => a + b, 0)
    const series =
      'incidentflow_http_request_duration_seconds_count{method="GET",route="routes/$",status="404"}'
    const counted = (body: string) =>
      Number(
        body
          .split('\n')
          .find((line) => line.startsWith(`${series} `))
          ?.slice(series.length + 1),
      )

    expect((await getOnce(`${server.baseUrl}/metrics`)).status).toBe(401)
    // Several scrapes on fresh connections reach both processes; each answers for both.
    for (let i = 0; i < 4; i += 1) {
      const scrape = await getOnce(`${server.baseUrl}/metrics`, {
        Authorization: `Bearer ${METRICS_TOKEN}`,
      })
      expect(scrape.status).toBe(200)
      expect(counted(scrape.body)).toBe(sent)
    }
    const supervisor = await getOnce(`http://127.0.0.1:${metricsPort}/metrics`, {
      Authorization: `Bearer ${METRICS_TOKEN}`,
    })
    expect(supervisor.status).toBe(200)
    expect(counted(supervisor.body)).toBe(sent)
    // The queue gauges, read by each process from the same database, are not added up.
    expect(supervisor.body).toMatch(/^incidentflow_job_queue_stats_up 1$/m)
  })

  it('shows an admin change made through one process in the other, which had the old data cached', async () => {
    const pids = server.webPids()
    const cookie = await signIn(adminEmail)
    const before = await server.fromEach(pids, '/incidents/new', cookie)
    for (const answer of before.values()) expect(answer.body).toContain('>Checkout</option>')

    // Renamed with the notification switched off: both processes keep showing what they
    // cached, so what follows is the cache being invalidated, not a page read afresh anyway.
    await db.query('alter table service disable trigger service_reference_changed')
    await db.query(`update service set name = 'Quietly renamed' where id = $1`, [checkoutId])
    await db.query('alter table service enable trigger service_reference_changed')
    const cached = await server.fromEach(pids, '/incidents/new', cookie)
    for (const answer of cached.values()) {
      expect(answer.body).toContain('>Checkout</option>')
      expect(answer.body).not.toContain('Quietly renamed')
    }

    const retired = await server.send('POST', '/admin/services', {
      cookie,
      form: { intent: 'retire', kind: 'service', id: checkoutId },
    })
    expect(retired.status).toBe(302)
    const other = pids.find((pid) => pid !== retired.pid)!
    const changedAt = Date.now()
    const after = await server.fromEach([other], '/incidents/new', cookie)
    // The first answer from the other process already shows it (about 0.1 s here).
    expect(Date.now() - changedAt).toBeLessThan(2_000)
    expect(after.get(other)!.body).not.toContain('>Checkout</option>')
    expect(after.get(other)!.body).not.toContain('Quietly renamed')
    const again = await server.fromEach(pids, '/incidents/new', cookie)
    for (const answer of again.values()) expect(answer.body).not.toContain('Checkout')
  })

  it('starts another web process when one dies, and keeps answering', async () => {
    const [victim, survivor] = server.webPids()
    process.kill(victim!, 'SIGKILL')
    await waitFor(
      'a new web process',
      () => server.webPids().filter((pid) => pid !== victim).length === 2 || undefined,
      { timeoutMs: 30_000, intervalMs: 50 },
    )
    const replacement = server.webPids().find((pid) => pid !== victim && pid !== survivor)!
    const answers = await server.fromEach([survivor!, replacement], '/login')
    for (const answer of answers.values()) expect(answer.status).toBe(200)
    expect(server.logLines().some((l) => l.msg === 'a web process exited; starting another')).toBe(
      true,
    )
  })

  it('stops every web process on SIGTERM, then itself', async () => {
    const pids = server.webPids().filter(isRunning)
    expect(pids).toHaveLength(2)
    expect(await server.stop()).toEqual({ code: 0, signal: null })
    for (const pid of pids) expect(isRunning(pid)).toBe(false)
    expect(
      server
        .logLines()
        .filter((l) => l.msg === 'stopped')
        .map((l) => l.pid),
    ).toEqual(expect.arrayContaining([...pids, server.primary.pid]))
  })
})

describe('npm start with WEB_CONCURRENCY=2 and the embedded PostgreSQL', () => {
  let server: Awaited<ReturnType<typeof startServer>>
  let dataDir: string
  let port: number

  beforeAll(async () => {
    dataDir = path.join(dir, 'embedded')
    port = await freePort()
    // A migrated embedded database, stopped again: `npm start` starts it, it does not migrate.
    const running = await startEmbeddedPostgres({
      dataDir: path.join(dataDir, 'postgres'),
      port,
      ephemeral: true,
      ownerLabel: 'web-processes test setup',
    })
    try {
      await migrate(running.url())
    } finally {
      await running.stop()
    }
    server = await startServer(dir, { DATA_DIR: dataDir, EMBEDDED_POSTGRES_PORT: String(port) })
  }, 120_000)
  afterAll(() => server?.kill())

  it('starts the database once, in the supervisor; the web processes connect to it', async () => {
    const lines = server.logLines()
    const [primaryLine] = lines.filter((l) => l.msg === 'starting web processes')
    expect(primaryLine).toMatchObject({ pid: server.primary.pid, embedded: true })
    const connecting = lines.filter((l) => l.msg === 'connecting to database')
    expect(connecting.map((l) => l.pid).sort()).toEqual([...server.webPids()].sort())
    // Given the supervisor's URL, they attach; none of them owns (or will stop) the server.
    for (const line of connecting) expect(line.embedded).toBe(false)
    const answers = await server.fromEach(server.webPids(), '/login')
    for (const answer of answers.values()) expect(answer.status).toBe(200)
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200)
  })

  it('stops the web processes, then the database, on SIGTERM', async () => {
    expect(await server.stop()).toEqual({ code: 0, signal: null })
    expect(await isListening(port)).toBe(false)
  })
})

/** Whether anything accepts TCP connections on 127.0.0.1:port. */
function isListening(port: number) {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
