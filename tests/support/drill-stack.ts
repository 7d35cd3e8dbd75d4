/**
 * What the fault drills (tests/drills) run: the production bundles as separate processes —
 * `node <web process flags> build/server.js` per web process, `node build/worker.js` per worker — and nginx from
 * Debian's packages in front of the web processes, started on 127.0.0.1 with a configuration
 * generated in a temporary directory. Everything started here is remembered, so one
 * `stopEverything()` in afterAll ends it whatever the test did.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { webServerArgs } from '../../app/server/web-process-flags'
import { freePort } from './postgres-server'
import { watchChild } from './worker-process'

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

/** Where Debian puts nginx; `PATH` may lack /usr/sbin for a user other than root. */
export function nginxBinary(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx']) {
    if (existsSync(candidate)) return candidate
  }
  return undefined
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface RunningProcess {
  readonly name: string
  readonly pid: number
  readonly child: ChildProcess
  /** What it wrote so far (the last 200 KB). */
  output: () => string
  alive: () => boolean
  exited: Promise<Exit>
  /** Sends `signal` and resolves once the process has exited (SIGKILL after `graceMs`). */
  stop: (signal?: NodeJS.Signals, graceMs?: number) => Promise<Exit>
}

const running = new Set<RunningProcess>()

function spawnProcess(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): RunningProcess {
  const child = spawn(command, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const { output, alive, exited } = watchChild(child, 200_000)
  const proc: RunningProcess = {
    name,
    pid: child.pid ?? -1,
    child,
    output,
    alive,
    exited,
    stop: async (signal = 'SIGTERM', graceMs = 60_000) => {
      if (alive()) child.kill(signal)
      const timer = setTimeout(() => alive() && child.kill('SIGKILL'), graceMs)
      const exit = await exited
      clearTimeout(timer)
      return exit
    },
  }
  void exited.then(() => running.delete(proc))
  running.add(proc)
  return proc
}

/** Ends every process started here that still runs (SIGKILL: nothing may outlive the test). */
export async function stopEverything() {
  await Promise.all([...running].map((p) => p.stop('SIGKILL')))
}

/**
 * Polls `check` until it returns something other than `undefined`/`false`; fails after
 * `timeoutMs` (generous: the drills run on a loaded two-core machine) with `describe()`'s text.
 */
export async function waitUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; describe?: () => string } = {},
): Promise<T> {
  const { timeoutMs = 90_000, intervalMs = 100 } = options
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out after ${timeoutMs / 1000} s waiting for ${what}\n${options.describe?.() ?? ''}`,
      )
    }
    await sleep(intervalMs)
  }
}

/** Status of one GET on a connection of its own, or 0 when the connection failed. */
export function probe(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, headers, timeout: 30_000 }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
      res.on('error', () => resolve(0))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve(0))
    req.end()
  })
}

/** The settings every process of one drill shares (one database, one session secret, one DATA_DIR). */
export interface StackSettings {
  databaseUrl: string
  /** The address users reach: nginx's. */
  appUrl: string
  dataDir: string
  sessionSecret: string
  /** Added to every web process's environment. */
  webEnv?: Record<string, string>
}

export function stackSettings(databaseUrl: string, appUrl: string, dataDir: string) {
  return {
    databaseUrl,
    appUrl,
    dataDir,
    sessionSecret: randomBytes(36).toString('base64url'),
  } satisfies StackSettings
}

function baseEnv(settings: StackSettings): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'production',
    DATABASE_URL: settings.databaseUrl,
    APP_URL: settings.appUrl,
    DATA_DIR: settings.dataDir,
    SESSION_SECRET: settings.sessionSecret,
    // E-mails become files in DATA_DIR/outbox; nothing leaves the machine.
    RESEND_API_KEY: '',
    LOG_LEVEL: 'warn',
  }
}

export interface WebProcess extends RunningProcess {
  port: number
  /** Its own address, bypassing nginx. */
  url: string
}

/**
 * The production web server (with its Node flags, app/server/web-process-flags.ts) on `port`, resolved once its
 * /readyz answers 200.
 */
export async function startWeb(
  name: string,
  port: number,
  settings: StackSettings,
): Promise<WebProcess> {
  const proc = spawnProcess(name, process.execPath, webServerArgs(), {
    ...baseEnv(settings),
    HOST: '127.0.0.1',
    PORT: String(port),
    // The client address is nginx's X-Forwarded-For (sign-in throttling keys on it).
    TRUST_PROXY: 'true',
    ...settings.webEnv,
  })
  const url = `http://127.0.0.1:${port}`
  await waitUntil(
    `${name} to answer /readyz`,
    async () => {
      if (!proc.alive()) throw new Error(`${name} exited while starting:\n${proc.output()}`)
      return (await probe(`${url}/readyz`)) === 200
    },
    { describe: () => proc.output() },
  )
  return Object.assign(proc, { port, url })
}

/** `node build/worker.js`, resolved once it has logged that it is ready. */
export async function startBuiltWorker(
  name: string,
  settings: StackSettings,
): Promise<RunningProcess> {
  const proc = spawnProcess(name, process.execPath, ['build/worker.js'], {
    ...baseEnv(settings),
    LOG_LEVEL: 'info',
  })
  await waitUntil(
    `${name} to be ready`,
    () => {
      if (!proc.alive()) throw new Error(`${name} exited while starting:\n${proc.output()}`)
      return proc.output().includes('"worker ready"')
    },
    { describe: () => proc.output() },
  )
  return proc
}

export interface Nginx {
  url: string
  port: number
  process: RunningProcess
  /** nginx's error log so far (upstream failures and retries are logged there). */
  errorLog: () => Promise<string>
}

/**
 * The reverse proxy's configuration, as a deployment would use it in front of several web
 * processes (decision 031):
 * - `proxy_next_upstream error timeout http_502 http_503`: a request that could not be handed to
 *   a process, or that it answered 503 without running (shutting down, database unreachable), is
 *   tried on the next one. nginx never repeats a POST that it has sent (no `non_idempotent`): a
 *   POST moves on only when its connection was refused, so it never reached the application.
 * - `max_fails=1 fail_timeout=5s`: one such failure takes the process out of rotation for five
 *   seconds, which is how a draining process stops receiving new connections.
 * - request bodies are buffered (so a retry can resend them), responses are not (streamed pages
 *   and Server-Sent Events pass through as they come).
 * - `X-Upstream` names the process that answered, after any that were tried first.
 * - when nginx itself has no answer (every process out of rotation, as in a database outage, or
 *   the connection cut mid-request), it answers 503 with Retry-After instead of a bare 502.
 */
export function nginxConfig(options: { dir: string; port: number; upstreams: number[] }) {
  const { dir, port, upstreams } = options
  const servers = upstreams
    .map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`)
    .join('\n')
  return `daemon off;
master_process on;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/client-body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  client_max_body_size 30m;
  upstream incidentflow {
${servers}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://incidentflow;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_buffering off;
      proxy_request_buffering on;
      proxy_next_upstream error timeout http_502 http_503;
      proxy_connect_timeout 5s;
      proxy_read_timeout 120s;
      add_header X-Upstream $upstream_addr always;
      error_page 502 504 =503 @unavailable;
    }
    # No process could answer (all of them out of rotation, or one cut off mid-answer): a 503
    # that says when to try again, like the application's own.
    location @unavailable {
      default_type text/plain;
      add_header Retry-After 5 always;
      add_header X-Upstream $upstream_addr always;
      return 503 "IncidentFlow is busy; try again in a few seconds.\n";
    }
  }
}
`
}

/** nginx on a free port of 127.0.0.1 in front of `upstreams`, run from `dir`. */
export async function startNginx(dir: string, upstreams: number[], port?: number): Promise<Nginx> {
  const binary = nginxBinary()
  if (!binary) {
    throw new Error(
      'nginx is not installed: run `npm run setup:services` as root (apt-get install nginx)',
    )
  }
  const listen = port ?? (await freePort())
  await mkdir(dir, { recursive: true })
  // As root, nginx's worker runs as `nobody` and buffers request bodies under `dir`.
  await chmod(dir, 0o777)
  const conf = path.join(dir, 'nginx.conf')
  await writeFile(conf, nginxConfig({ dir, port: listen, upstreams }))
  const proc = spawnProcess('nginx', binary, ['-p', dir, '-c', conf, '-e', `${dir}/error.log`], {
    ...process.env,
  })
  const url = `http://127.0.0.1:${listen}`
  const errorLog = () => readFile(path.join(dir, 'error.log'), 'utf8').catch(() => '')
  await waitUntil(
    'nginx to answer',
    async () => {
      if (!proc.alive()) throw new Error(`nginx exited: ${proc.output()}\n${await errorLog()}`)
      return (await probe(`${url}/healthz`)) === 200
    },
    { describe: () => proc.output() },
  )
  return { url, port: listen, process: proc, errorLog }
}

export interface DrillStack {
  dir: string
  settings: StackSettings
  webs: WebProcess[]
  workers: RunningProcess[]
  nginx: Nginx
  /** SIGTERM one web process, wait for it to exit, start a new one on its port. */
  restartWeb: (index: number) => Promise<{ exit: Exit; replacement: WebProcess }>
  /** The last of what the processes wrote, for failure messages. */
  describe: () => string
  /** Log lines of web processes about requests answered 500, and fatal ones. */
  serverErrors: () => string[]
  stop: () => Promise<void>
}

/**
 * Two web processes (or `webCount`) and two workers on `databaseUrl`, nginx in front, all sharing
 * one DATA_DIR under `dir` (evidence files written through one web process are read through the
 * other).
 */
export async function startDrillStack(
  dir: string,
  databaseUrl: string,
  options: { webCount?: number; workerCount?: number; webEnv?: Record<string, string> } = {},
): Promise<DrillStack> {
  const nginxPort = await freePort()
  const ports: number[] = []
  for (let i = 0; i < (options.webCount ?? 2); i += 1) ports.push(await freePort())
  const settings: StackSettings = {
    ...stackSettings(databaseUrl, `http://127.0.0.1:${nginxPort}`, path.join(dir, 'data')),
    webEnv: options.webEnv,
  }
  const webs = await Promise.all(ports.map((port, i) => startWeb(`web-${i + 1}`, port, settings)))
  const workers = await Promise.all(
    Array.from({ length: options.workerCount ?? 2 }, (_, i) =>
      startBuiltWorker(`worker-${i + 1}`, settings),
    ),
  )
  const nginx = await startNginx(path.join(dir, 'nginx'), ports, nginxPort)
  const retired: WebProcess[] = []
  const describe = () =>
    [...webs, ...workers, nginx.process]
      .map(
        (p) =>
          `--- ${p.name} (pid ${p.pid}, ${p.alive() ? 'running' : 'exited'}) ---\n${p.output().slice(-5_000)}`,
      )
      .join('\n')
  return {
    dir,
    settings,
    webs,
    workers,
    nginx,
    describe,
    serverErrors: () => {
      const lines = [...webs, ...retired].flatMap((w) => w.output().split('\n'))
      // Every line of a request names its id: show all of those of a request answered 500.
      const ids = new Set(
        lines
          .filter((line) => line.includes('"statusCode":500'))
          .map((line) => /"reqId":"([^"]+)"/.exec(line)?.[1] ?? line),
      )
      // Remix's handleError prints what an action or loader threw as plain text.
      return lines
        .filter(
          (line) =>
            [...ids].some((id) => line.includes(id)) ||
            line.includes('"level":60') ||
            (ids.size > 0 && line.trim() !== '' && !line.startsWith('{')),
        )
        .map((line) => line.slice(0, 3_000))
    },
    restartWeb: async (index) => {
      const old = webs[index]!
      const exit = await old.stop('SIGTERM')
      retired.push(old)
      const replacement = await startWeb(old.name, old.port, settings)
      webs[index] = replacement
      return { exit, replacement }
    },
    stop: async () => {
      await nginx.process.stop('SIGQUIT', 10_000)
      await Promise.all([...webs, ...workers].map((p) => p.stop('SIGTERM', 30_000)))
    },
  }
}

/** `npm run audit:verify` on `databaseUrl`: its exit code and what it printed. */
export function auditVerify(databaseUrl: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', 'audit:verify'], {
      cwd: repoRoot,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.once('exit', (code) => resolve({ code, output: output.trim() }))
  })
}
