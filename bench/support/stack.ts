/**
 * Starts what a benchmark measures: a throwaway embedded PostgreSQL (temporary directory, free
 * port), migrated, and the production web server from `build/` against it, started as production
 * starts it (`node` with the web process's flags, app/server/web-process-flags.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { startEmbeddedPostgres, type RunningPostgres } from '../../db/embedded-postgres'
import { migrate } from '../../db/migrate'
import { webServerArgs } from '../../app/server/web-process-flags'

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))))
    })
  })
}

export interface BenchStack {
  databaseUrl: string
  baseUrl: string
  /** Milliseconds from spawning the web server to its first 200 on /healthz. */
  coldStartMs: number
  stop: () => Promise<void>
}

/**
 * PostgreSQL server settings for a bench: `name=value` items, from BENCH_PG_SETTINGS (separated by
 * spaces) and then from `flags` (e.g. each `--pg-setting`), a later one winning. An item without
 * `=` or with an empty name is refused.
 */
export function pgSettings(flags: readonly string[] = [], env = process.env.BENCH_PG_SETTINGS) {
  const settings: Record<string, string> = {}
  for (const item of [...(env ?? '').split(/\s+/).filter(Boolean), ...flags]) {
    const at = item.indexOf('=')
    if (at < 1) throw new Error(`a PostgreSQL setting is written name=value, not "${item}"`)
    settings[item.slice(0, at)] = item.slice(at + 1)
  }
  return settings
}

/**
 * A throwaway migrated PostgreSQL. `settings` are server settings on top of the throwaway
 * defaults (default: BENCH_PG_SETTINGS, see `pgSettings`); without them the server runs with
 * PostgreSQL's own defaults, e.g. 128 MB of shared buffers.
 */
export async function startDatabase(
  label: string,
  settings: Record<string, string> = pgSettings(),
) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `incidentflow-bench-${label}-`))
  // As root the server runs as the `postgres` user, which must be able to enter the directory.
  await chmod(dir, 0o755)
  const postgres: RunningPostgres = await startEmbeddedPostgres({
    dataDir: path.join(dir, 'pg'),
    port: await freePort(),
    ephemeral: true,
    ownerLabel: `bench ${label}`,
    settings,
  })
  await migrate(postgres.url())
  return {
    dir,
    url: postgres.url(),
    stop: async () => {
      await postgres.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export async function startServer(
  databaseUrl: string,
  dataDir: string,
  extraEnv: Record<string, string> = {},
) {
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  const started = performance.now()
  // The production web server with its production Node flags (decision 047).
  const child: ChildProcess = spawn(process.execPath, webServerArgs(), {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      APP_URL: baseUrl,
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      SESSION_SECRET: randomBytes(36).toString('base64'),
      LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`build/server.js exited with ${child.exitCode}`)
    if (Date.now() > deadline) throw new Error('server did not answer /healthz within 60 s')
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) break
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  const coldStartMs = performance.now() - started
  return {
    baseUrl,
    coldStartMs,
    /** The server process's id, e.g. to sample its memory from /proc/<pid>/status. */
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

export async function startStack(label: string): Promise<BenchStack> {
  const database = await startDatabase(label)
  const server = await startServer(database.url, database.dir)
  return {
    databaseUrl: database.url,
    baseUrl: server.baseUrl,
    coldStartMs: server.coldStartMs,
    stop: async () => {
      await server.stop()
      await database.stop()
    },
  }
}

/** Signs in through the real log-in form and returns the session cookie (`name=value`). */
export async function signIn(baseUrl: string, email: string, password: string) {
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: baseUrl },
    body: new URLSearchParams({ email, password }),
    redirect: 'manual',
  })
  const setCookie = response.headers.get('set-cookie')
  if (response.status !== 302 || !setCookie) {
    throw new Error(
      `POST /login answered ${response.status}: ${(await response.text()).slice(0, 200)}`,
    )
  }
  return setCookie.split(';')[0]!
}
