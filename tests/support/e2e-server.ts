/**
 * The web server Playwright's `webServer` starts for end-to-end tests:
 *
 *   1. builds the app (`npm run build`) when the production bundles are missing or older than
 *      the sources, so `npx playwright test` works on its own;
 *   2. starts a throwaway embedded PostgreSQL in a fresh temporary directory on a free port and
 *      migrates it;
 *   3. runs the PRODUCTION web server (`node <web process flags> build/server.js`) and worker (`node build/worker.js`)
 *      against it, on E2E_PORT (default 3100), bound to 127.0.0.1, sharing one DATA_DIR; e-mails
 *      stay in DATA_DIR/outbox and the web server shows them at /dev/outbox (DEV_OUTBOX=true).
 *
 * E2E_NODE_ENV=test runs the same bundles with NODE_ENV=test instead, which opens the test-only
 * pages (e.g. /test/clock); production.spec.ts keeps proving the default server is production.
 *
 * On SIGTERM/SIGINT (Playwright's graceful shutdown) it stops the children, then the database,
 * then removes the temporary directory. If a child dies on its own, everything is torn down and
 * this process exits non-zero so the failure is visible.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startEmbeddedPostgres, type RunningPostgres } from '../../db/embedded-postgres'
import { migrate } from '../../db/migrate'
import { webServerArgs } from '../../app/server/web-process-flags'
import { buildIfNeeded } from './production-build'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const appPort = Number(process.env.E2E_PORT ?? 3100)
const nodeEnv = (() => {
  const value = process.env.E2E_NODE_ENV ?? 'production'
  if (value !== 'production' && value !== 'test')
    throw new Error(`E2E_NODE_ENV must be production or test, not ${value}`)
  return value
})()
const log = (line: string) => process.stderr.write(`[e2e-server] ${line}\n`)

let tempDir: string | undefined
let database: Promise<RunningPostgres> | undefined
const children: ChildProcess[] = []
let stopping: Promise<void> | undefined

async function freePort(): Promise<number> {
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

/** Runs `command` with `args` from the repository's root; its exit (unless we stop) ends all. */
function startChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(command, args, {
    cwd: root,
    env,
    // stdout (JSON logs at LOG_LEVEL=warn) and stderr both go to our stderr, which Playwright shows.
    stdio: ['ignore', 2, 2],
  })
  children.push(child)
  child.once('exit', (code, signal) => {
    if (stopping) return
    log(`${name} exited unexpectedly (code ${code}, signal ${signal}); stopping the test server`)
    void shutdown(1)
  })
  return child
}

function waitForExit(child: ChildProcess, timeoutMs: number) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve()
    }, timeoutMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

function shutdown(code: number): Promise<void> {
  stopping ??= (async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    }
    await Promise.all(children.map((child) => waitForExit(child, 30_000)))
    // Awaited even when start-up is still in progress, so a half-started server is not left behind.
    const db = await database?.catch(() => undefined)
    if (db) await db.stop().catch((error: unknown) => log(`stopping PostgreSQL failed: ${error}`))
    if (tempDir) await rm(tempDir, { recursive: true, force: true })
    process.exit(code)
  })()
  return stopping
}

process.on('SIGTERM', () => void shutdown(0))
process.on('SIGINT', () => void shutdown(0))

async function main() {
  // Build output goes to stderr: Playwright shows the web server's stderr, not its stdout.
  await buildIfNeeded(log)
  if (stopping) return

  tempDir = await mkdtemp(path.join(os.tmpdir(), 'incidentflow-e2e-'))
  // Running as root, PostgreSQL runs as an unprivileged user that must reach its data dir.
  await chmod(tempDir, 0o755)
  const dbPort = await freePort()
  database = startEmbeddedPostgres({
    dataDir: path.join(tempDir, 'postgres'),
    port: dbPort,
    ephemeral: true,
    ownerLabel: 'e2e',
  })
  const url = (await database).url()
  if (stopping) return
  await migrate(url)
  if (stopping) return
  log(`database migrated on 127.0.0.1:${dbPort}`)

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: nodeEnv,
    HOST: '127.0.0.1',
    PORT: String(appPort),
    APP_URL: `http://127.0.0.1:${appPort}`,
    DATABASE_URL: url,
    SESSION_SECRET: randomBytes(36).toString('base64url'),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // Never deliver real e-mail from a test run: the worker writes each e-mail as a file in
    // DATA_DIR/outbox instead, and the web server reads that same folder for /dev/outbox.
    RESEND_API_KEY: '',
    DATA_DIR: path.join(tempDir, 'data'),
  }
  // Tests read invitation e-mails at /dev/outbox, which production mode hides unless DEV_OUTBOX
  // opts in (only the web server reads it). That the page is a 404 without the opt-in is proven
  // by app/routes/dev.outbox.test.ts, since this server can no longer show it.
  // As production starts it: with the web process's Node flags (decision 047).
  startChild('web server', process.execPath, webServerArgs(), {
    ...env,
    DEV_OUTBOX: 'true',
  })
  startChild('worker', process.execPath, ['build/worker.js'], env)
  log(`${nodeEnv} server starting on http://127.0.0.1:${appPort}`)
}

main().catch(async (error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  await shutdown(1)
})
