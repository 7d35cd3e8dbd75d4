import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cp, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EMBEDDED_USER,
  EmbeddedPostgresError,
  RELOCATED_DATA_DIR,
  SHARED_BINARIES_DIR,
  connectionUrl,
  sharedBinariesCopy,
  startEmbeddedPostgres,
  type RunningPostgres,
} from '../../db/embedded-postgres'
import { freePort, makeServerTempDir } from '../support/postgres-server'

// These tests start PostgreSQL servers of their own (not the run's shared one), each in a temp
// data directory on a free port.

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

function isAlive(pid: number) {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function postmasterPid(dataDir: string) {
  const text = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')
  return Number(text.split('\n')[0])
}

async function readOwnerPid(dataDir: string) {
  return (JSON.parse(await readFile(`${dataDir}.owner.json`, 'utf8')) as { pid: number }).pid
}

async function sql<R extends pg.QueryResultRow>(port: number, text: string) {
  const client = new pg.Client({ connectionString: connectionUrl(port) })
  await client.connect()
  try {
    return (await client.query<R>(text)).rows
  } finally {
    await client.end()
  }
}

/** Starts a separate process that owns a server in `dataDir` (tests/support/hold-embedded-postgres.ts). */
async function startHolder(dataDir: string, port: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'tests/support/hold-embedded-postgres.ts', dataDir, String(port)],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`holder not ready:\n${output}`)), 45_000)
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('"ready":true')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`holder exited (${code}) before it was ready:\n${output}`))
    })
  })
  return child
}

async function waitForExit(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return
  await new Promise<void>((resolve) => child.once('exit', () => resolve()))
}

let tempDir: string
const cleanups: Array<() => Promise<void>> = []

beforeAll(async () => {
  tempDir = await makeServerTempDir('incidentflow-embedded-test-')
})

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {})
  if (tempDir) await rm(tempDir, { recursive: true, force: true })
})

describe('startEmbeddedPostgres with a data directory another process owns', () => {
  let dataDir: string
  let holder: ChildProcess
  let holderPort: number
  let running: RunningPostgres | undefined

  beforeAll(async () => {
    dataDir = path.join(tempDir, 'owned')
    holderPort = await freePort()
    holder = await startHolder(dataDir, holderPort)
    cleanups.push(async () => {
      if (holder.exitCode === null && holder.signalCode === null) {
        holder.kill('SIGTERM')
        await waitForExit(holder)
      }
    })
    cleanups.push(async () => {
      await running?.stop()
    })
  })

  it('refuses while the owner is alive, naming the owner process, and leaves its server alone', async () => {
    const attempt = startEmbeddedPostgres({ dataDir, port: await freePort(), ephemeral: true })

    const error = await attempt.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(EmbeddedPostgresError)
    expect((error as Error).message).toContain('is already running')
    expect((error as Error).message).toContain(`owned by process ${holder.pid}`)
    expect((error as Error).message).toContain('test holder')
    expect(await readOwnerPid(dataDir)).toBe(holder.pid)
    expect(await sql(holderPort, 'select 1 as up')).toEqual([{ up: 1 }])
  })

  it('takes over a server whose owner was killed: stops it cleanly, starts it again, data intact', async () => {
    await sql(holderPort, 'create table survivor (note text not null)')
    await sql(holderPort, "insert into survivor values ('written before the owner died')")
    const orphanedPostmaster = await postmasterPid(dataDir)

    // SIGKILL gives the owner no chance to stop its server: the postmaster keeps running and the
    // owner record names a dead process.
    holder.kill('SIGKILL')
    await waitForExit(holder)
    expect(isAlive(orphanedPostmaster)).toBe(true)
    expect(isAlive(await readOwnerPid(dataDir))).toBe(false)

    const port = await freePort()
    running = await startEmbeddedPostgres({ dataDir, port, ephemeral: true, ownerLabel: 'test' })

    expect(running.owned).toBe(true)
    expect(isAlive(orphanedPostmaster)).toBe(false)
    expect(await postmasterPid(dataDir)).not.toBe(orphanedPostmaster)
    expect(await readOwnerPid(dataDir)).toBe(process.pid)
    expect(await sql(port, 'select note from survivor')).toEqual([
      { note: 'written before the owner died' },
    ])
  })

  it('keeps data across a stop and a start, and releases ownership on stop', async () => {
    if (!running) throw new Error('needs the server of the previous test')
    await sql(running.port, "insert into survivor values ('written before a clean stop')")

    await running.stop()
    running = undefined
    expect(existsSync(`${dataDir}.owner.json`)).toBe(false)
    expect(existsSync(path.join(dataDir, 'postmaster.pid'))).toBe(false)

    const port = await freePort()
    running = await startEmbeddedPostgres({ dataDir, port, ephemeral: true })
    expect(await sql(port, 'select note from survivor order by note')).toEqual([
      { note: 'written before a clean stop' },
      { note: 'written before the owner died' },
    ])
  })
})

describe('startEmbeddedPostgres on a port that is taken', () => {
  let blocker: Server

  beforeAll(async () => {
    blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())))
  })

  it('rejects with a message naming the port, and claims nothing', async () => {
    const address = blocker.address()
    const port = typeof address === 'object' && address ? address.port : 0
    const dataDir = path.join(tempDir, 'port-taken')

    const error = await startEmbeddedPostgres({ dataDir, port, ephemeral: true }).catch(
      (e: unknown) => e,
    )

    expect(error).toBeInstanceOf(EmbeddedPostgresError)
    expect((error as Error).message).toContain(`Port ${port} on 127.0.0.1 is already in use`)
    expect(existsSync(`${dataDir}.owner.json`)).toBe(false)
  })
})

describe('startEmbeddedPostgres with server settings', () => {
  it('starts the server with them, after (and so over) its own', async () => {
    const dataDir = path.join(tempDir, 'settings')
    const port = await freePort()
    const server = await startEmbeddedPostgres({
      dataDir,
      port,
      ephemeral: true,
      settings: { shared_buffers: '16MB', effective_cache_size: '64MB', fsync: 'on' },
    })
    cleanups.push(() => server.stop())
    expect(
      await sql(
        port,
        `select current_setting('shared_buffers') as shared_buffers,
                current_setting('effective_cache_size') as effective_cache_size,
                current_setting('fsync') as fsync, current_setting('timezone') as timezone`,
      ),
    ).toEqual([
      { shared_buffers: '16MB', effective_cache_size: '64MB', fsync: 'on', timezone: 'UTC' },
    ])
  })

  it('refuses a malformed setting name before starting anything, and claims nothing', async () => {
    const dataDir = path.join(tempDir, 'bad-setting')
    const error = await startEmbeddedPostgres({
      dataDir,
      port: await freePort(),
      ephemeral: true,
      settings: { 'shared_buffers=1GB -c fsync': 'off' },
    }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(EmbeddedPostgresError)
    expect((error as Error).message).toContain('is not a PostgreSQL setting name')
    expect(existsSync(`${dataDir}.owner.json`)).toBe(false)
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(false)
  })
})

const runningAsRoot = process.getuid?.() === 0
const ONLY_AS_ROOT =
  'only as root does PostgreSQL run as another OS user (postgres), one a mode-700 directory shuts out'

/** The installed package's `native/` directory (bin/, lib/, share/). */
async function installedNativeDir() {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`
  const { postgres } = (await import(/* @vite-ignore */ pkg)) as { postgres: string }
  return path.dirname(path.dirname(postgres))
}

function serverUser() {
  const id = (flag: string) =>
    Number(spawnSync('id', [flag, EMBEDDED_USER], { encoding: 'utf8' }).stdout.trim())
  return { uid: id('-u'), gid: id('-g') }
}

/** Whether the `postgres` OS user can search/run `target` (every directory on the way included). */
function serverUserCanRun(target: string) {
  return spawnSync('test', ['-x', target], { ...serverUser(), cwd: '/' }).status === 0
}

describe('as root, a checkout in a directory other users cannot enter (mode 700)', () => {
  let closed: string
  let running: RunningPostgres | undefined
  let relocated: string | undefined

  beforeAll(async () => {
    // mkdtemp makes the directory 0700, as `mktemp -d` does for a clone inside it.
    closed = await mkdtemp(path.join(os.tmpdir(), 'incidentflow-closed-'))
    cleanups.push(async () => {
      await running?.stop()
      if (relocated) await rm(relocated, { recursive: true, force: true })
      await rm(closed, { recursive: true, force: true })
    })
  })

  it('starts PostgreSQL from binaries and a data directory inside it, answers a query, and keeps its data', async ({
    skip,
  }) => {
    skip(!runningAsRoot, ONLY_AS_ROOT)
    expect((await stat(closed)).mode & 0o777).toBe(0o700)
    // The checkout's own copy of the package, as `npm ci` leaves it in its node_modules.
    const installed = path.dirname(await installedNativeDir())
    const packageDir = path.join(closed, 'node_modules', path.basename(installed))
    await cp(installed, packageDir, { recursive: true, verbatimSymlinks: true })
    const nativeDir = path.join(packageDir, 'native')
    const dataDir = path.join(closed, '.data', 'postgres')
    expect(serverUserCanRun(path.join(nativeDir, 'bin', 'postgres'))).toBe(false)

    const options = { dataDir, nativeDir, ephemeral: true, ownerLabel: 'closed checkout' }
    running = await startEmbeddedPostgres({ ...options, port: await freePort() })
    relocated = path.dirname(running.dataDir)
    expect(running.dataDir).toBe(path.join(relocated, 'postgres'))
    expect(path.dirname(relocated)).toBe(RELOCATED_DATA_DIR)
    expect(await readFile(path.join(relocated, 'origin'), 'utf8')).toBe(`${dataDir}\n`)

    expect(await sql(running.port, 'select current_user as who, 6 * 7 as answer')).toEqual([
      { who: EMBEDDED_USER, answer: 42 },
    ])
    // The server runs as the unprivileged user, from the shared copy of the same binaries.
    const postmaster = await postmasterPid(running.dataDir)
    expect((await stat(`/proc/${postmaster}`)).uid).toBe(serverUser().uid)
    const executable = await readlink(`/proc/${postmaster}/exe`)
    expect(path.dirname(path.dirname(path.dirname(executable)))).toBe(SHARED_BINARIES_DIR)

    await sql(running.port, 'create table kept (note text not null)')
    await sql(running.port, "insert into kept values ('written from a closed checkout')")
    await running.stop()
    running = await startEmbeddedPostgres({ ...options, port: await freePort() })
    expect(path.dirname(running.dataDir)).toBe(relocated)
    expect(await sql(running.port, 'select note from kept')).toEqual([
      { note: 'written from a closed checkout' },
    ])
  })

  it('copies the binaries once when several starters race, runs the copy, and repairs a damaged one', async ({
    skip,
  }) => {
    skip(!runningAsRoot, ONLY_AS_ROOT)
    const nativeDir = await installedNativeDir()
    const baseDir = path.join(await makeServerTempDir('incidentflow-copies-'), 'copies')
    cleanups.push(() => rm(path.dirname(baseDir), { recursive: true, force: true }))

    const copies = await Promise.all([1, 2, 3].map(() => sharedBinariesCopy(nativeDir, baseDir)))
    const copy = copies[0]!
    expect(new Set(copies)).toEqual(new Set([copy]))
    // Only the finished copy: no half-made directory is left behind.
    expect(await readdir(baseDir)).toEqual([path.basename(copy)])
    expect((await stat(baseDir)).mode & 0o777).toBe(0o755)
    const version = spawnSync(path.join(copy, 'bin', 'postgres'), ['--version'], {
      ...serverUser(),
      cwd: '/',
      encoding: 'utf8',
    })
    expect(version.stdout).toMatch(/^postgres \(PostgreSQL\) \d+/)

    await rm(path.join(copy, 'bin', 'initdb'))
    expect(await sharedBinariesCopy(nativeDir, baseDir)).toBe(copy)
    expect(serverUserCanRun(path.join(copy, 'bin', 'initdb'))).toBe(true)
    expect(await readdir(baseDir)).toEqual([path.basename(copy)])
  })
})

describe('`make dev` stopped with SIGTERM', () => {
  it(
    'during start-up returns only once its PostgreSQL has stopped',
    { timeout: 60_000 },
    async ({ skip }) => {
      skip(spawnSync('make', ['--version']).status !== 0, 'make is not installed')
      const dir = await makeServerTempDir('incidentflow-dev-signal-')
      const dataDir = path.join(dir, 'data')
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        NODE_ENV: 'development',
        DATA_DIR: dataDir,
        EMBEDDED_POSTGRES_PORT: String(await freePort()),
        PORT: String(await freePort()),
      }
      delete env.DATABASE_URL
      // Its own process group, signalled as a whole: what `timeout` and Ctrl-C in a terminal do.
      // `-o` keeps make from reinstalling node_modules whatever their age.
      const make = spawn(
        'make',
        ['--no-print-directory', '-o', 'node_modules/.package-lock.json', 'dev'],
        {
          cwd: repoRoot,
          env,
          detached: true,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      )
      const postgresDir = path.join(dataDir, 'postgres')
      cleanups.push(async () => {
        if (make.exitCode === null && make.signalCode === null) process.kill(-make.pid!, 'SIGKILL')
        const left = await postmasterPid(postgresDir).catch(() => undefined)
        if (left && isAlive(left)) process.kill(left, 'SIGINT')
        await rm(dir, { recursive: true, force: true })
      })
      let output = ''
      const exited = new Promise<void>((resolve) => make.once('exit', () => resolve()))
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString()
          // In the middle of the migrations: the database is running and in use. The web server
          // and the worker (which would build into build/) start only after the seed.
          if (output.includes('[dev]\x1b[0m Applied migration')) resolve()
        }
        make.stdout?.on('data', onData)
        make.stderr?.on('data', onData)
        void exited.then(() => reject(new Error(`make dev exited early:\n${output}`)))
      })
      const postmaster = await postmasterPid(postgresDir)
      expect(isAlive(postmaster)).toBe(true)

      process.kill(-make.pid!, 'SIGTERM')
      await exited
      // Checked the moment make returns: nothing of the database is left running.
      expect(isAlive(postmaster), output).toBe(false)
      expect(existsSync(`${postgresDir}.owner.json`)).toBe(false)
      expect(output).toContain('Stopped embedded PostgreSQL (make dev).')
    },
  )
})
