/**
 * `make dev`: owns the embedded PostgreSQL (unless DATABASE_URL is set), migrates, seeds an
 * empty database, then runs the web server (with Remix live reload) and the worker side by side
 * until Ctrl-C (SIGINT), SIGTERM or SIGHUP, and stops everything in order. A signal during
 * start-up stops what has started so far: the embedded PostgreSQL runs in its own process group,
 * so nothing else stops it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { loadEnvOrExit, webEnvSchema } from '~/utils/env.server'
import { resolveDatabase, describeDatabaseUrl, type DatabaseTarget } from '../database'
import { EmbeddedPostgresError } from '../embedded-postgres'
import { migrate } from '../migrate'
import { initORM } from '../orm'
import { DEMO_PASSWORD, seedDemo } from '../seed'

const env = loadEnvOrExit(webEnvSchema)
const started = performance.now()
// A `make dev` that was killed (SIGKILL, closed terminal) leaves its web and worker process groups
// behind, still holding the port. Their group ids are recorded; stop them before starting again.
const CHILDREN_FILE = path.join(env.DATA_DIR, 'dev-children.json')

function say(line: string) {
  process.stdout.write(`\x1b[36m[dev]\x1b[0m ${line}\n`)
}

function fail(heading: string, detail: string) {
  process.stderr.write(`\n\x1b[31m${heading}\x1b[0m ${detail}\n\n`)
}

async function portIsFree(port: number) {
  return new Promise<boolean>((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

async function waitForHealth(url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${url}/readyz`)
      if (response.ok) return true
    } catch {
      // not listening yet
    }
    await sleep(250)
  }
  return false
}

function processAlive(pid: number) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function groupAlive(pid: number) {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

async function stopGroup(child: ChildProcess) {
  const pid = child.pid
  if (!pid || !groupAlive(pid)) return
  process.kill(-pid, 'SIGTERM')
  const deadline = Date.now() + 30_000
  while (groupAlive(pid) && Date.now() < deadline) await sleep(100)
  if (groupAlive(pid)) process.kill(-pid, 'SIGKILL')
}

async function stopLeftoverChildren() {
  let recorded: { supervisor: number; groups: number[] }
  try {
    recorded = JSON.parse(await readFile(CHILDREN_FILE, 'utf8')) as typeof recorded
  } catch {
    return
  }
  if (processAlive(recorded.supervisor)) return
  const alive = recorded.groups.filter(groupAlive)
  if (alive.length > 0) {
    say(
      `stopping web/worker processes left running by a previous \`make dev\` (groups ${alive.join(', ')})`,
    )
    for (const group of alive) process.kill(-group, 'SIGTERM')
    const deadline = Date.now() + 15_000
    while (alive.some(groupAlive) && Date.now() < deadline) await sleep(100)
    for (const group of alive.filter(groupAlive)) process.kill(-group, 'SIGKILL')
  }
  await rm(CHILDREN_FILE, { force: true })
}

// A closed terminal or pipe must not end the process half-way through stopping the database.
process.stdout.on('error', () => {})
process.stderr.on('error', () => {})

/** A start-up failure already reported to the person at the terminal. */
class Reported extends Error {}

let database: DatabaseTarget | undefined
const children: ChildProcess[] = []
let stopping: Promise<never> | undefined

/**
 * The database, ready for the web server and the worker: started, migrated and seeded. Returns
 * early, with nothing more started, once stopping has begun.
 */
async function setUpDatabase(): Promise<Awaited<ReturnType<typeof seedDemo>>['users']> {
  try {
    database = await resolveDatabase(env, 'own', 'make dev')
  } catch (error) {
    // A signal during start-up also reaches initdb (same process group): no failure to report.
    if (stopping) return []
    if (!(error instanceof EmbeddedPostgresError)) throw error
    fail('Cannot start:', error.message)
    throw new Reported()
  }
  if (stopping) return []
  await stopLeftoverChildren()
  if (!(await portIsFree(env.PORT))) {
    fail(
      'Cannot start:',
      `port ${env.PORT} is already in use (another \`make dev\` or server?). ` +
        'Stop it, or run with PORT set to a free port.',
    )
    throw new Reported()
  }
  if (stopping) return []

  const relativeDataDir = database.dataDir && path.relative(process.cwd(), database.dataDir)
  const shownDataDir =
    relativeDataDir && !relativeDataDir.startsWith('..') ? relativeDataDir : database.dataDir
  say(
    `database: ${describeDatabaseUrl(database.url)}${shownDataDir ? ` (embedded, data in ${shownDataDir})` : ''}`,
  )
  try {
    await migrate(database.url, say)
    if (stopping) return []
    const orm = await initORM(database.url, { pool: { min: 0, max: 2 } })
    try {
      const seeded = await seedDemo(orm)
      say(
        seeded.created ? `seeded demo organization "${seeded.organization}"` : 'existing data kept',
      )
      return seeded.users
    } finally {
      await orm.close(true)
    }
  } catch (error) {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error)
    fail('Setting up the database failed:', detail)
    throw new Reported()
  }
}

const settingUp = setUpDatabase()

/** Stops the web and worker groups, then the database, then exits; only the first call counts. */
function stop(code: number): Promise<never> {
  stopping ??= (async () => {
    if (children.length > 0) {
      say('stopping web and worker…')
      await Promise.all(children.map(stopGroup))
      await rm(CHILDREN_FILE, { force: true })
    } else {
      say('stopping…')
    }
    // A migration or the seed in progress finishes first: stopping the server under their
    // connections would end this process with a connection error, and leave the server running.
    await settingUp.catch(() => {})
    await database?.stop()
    process.exit(code)
  })()
  return stopping
}
process.on('SIGINT', () => void stop(0))
process.on('SIGTERM', () => void stop(0))
process.on('SIGHUP', () => void stop(0))

const demoUsers = await settingUp.catch(async (error: unknown) => {
  if (!(error instanceof Reported)) {
    fail('Cannot start:', error instanceof Error ? (error.stack ?? error.message) : String(error))
  }
  return stop(1)
})
// Once stopping has begun, start nothing more: `stop` exits the process.
const ready = stopping || !database ? await stop(0) : database

const childEnv: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: ready.url,
  NODE_ENV: 'development',
  FORCE_COLOR: '1',
}
// Each child leads its own process group, so stopping it reaches everything it started
// (remix's compiler, tsx's watcher and the server it runs) and nothing is left behind.
function run(command: string, args: string[]) {
  return spawn(`node_modules/.bin/${command}`, args, {
    stdio: 'inherit',
    env: childEnv,
    detached: true,
  })
}
children.push(
  run('remix', [
    'dev',
    '--manual',
    '-c',
    'tsx watch --clear-screen=false --exclude ./build/index.js server.ts',
  ]),
  run('tsx', ['watch', '--clear-screen=false', 'jobs/worker.ts']),
)

await mkdir(env.DATA_DIR, { recursive: true })
await writeFile(
  CHILDREN_FILE,
  JSON.stringify({ supervisor: process.pid, groups: children.map((c) => c.pid).filter(Boolean) }),
)

for (const child of children) {
  child.once('exit', (code) => {
    if (!stopping) {
      say(`a child process exited (code ${code}); stopping`)
      void stop(code ?? 1)
    }
  })
}

const url = `http://localhost:${env.PORT}`
if (await waitForHealth(url, 180_000)) {
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  say(`\x1b[1mIncidentFlow is running at ${url}\x1b[0m (ready in ${seconds}s; Ctrl-C stops it)`)
  say(`e-mails stay in the outbox: ${url}/dev/outbox`)
  say(`demo logins (organization "Acme", password ${DEMO_PASSWORD}):`)
  for (const user of demoUsers) say(`  ${user.role.padEnd(9)} ${user.email}`)
} else {
  say('the web server did not become ready within 3 minutes; see the output above')
}
