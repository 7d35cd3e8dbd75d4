import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Real worker processes (`jobs/worker.ts` run by Node with tsx), as production runs them, for
 * tests about what the worker guarantees across processes: several workers at once, a worker
 * killed mid-job, a database restarting under it. Every worker started here is remembered, so
 * one call in afterEach/afterAll ends them all whatever the test did.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export interface WorkerProcess {
  readonly name: string
  readonly pid: number
  readonly child: ChildProcess
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string
  /** True until the process has exited. */
  alive: () => boolean
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** SIGKILL: no shutdown handler runs, in-flight work is cut off. Resolves once it is gone. */
  kill: () => Promise<void>
  /** SIGTERM (graceful stop), then SIGKILL if it has not exited within `graceMs`. */
  stop: (graceMs?: number) => Promise<void>
}

const running = new Set<WorkerProcess>()

/**
 * What the tests need of a child process: what it wrote to stdout and stderr (the last `keep`
 * characters), whether it still runs, and how it ended.
 */
export function watchChild(child: ChildProcess, keep = Number.POSITIVE_INFINITY) {
  let output = ''
  const collect = (chunk: Buffer) => {
    output += chunk.toString()
    if (output.length > keep) output = output.slice(-keep)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode })
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  return {
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    exited,
  }
}

/** Starts `jobs/worker.ts` with the test's environment on top of this process's. */
export function startWorker(name: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'jobs/worker.ts'], {
    cwd: repoRoot,
    env: { ...process.env, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const { output, alive, exited } = watchChild(child)
  const worker: WorkerProcess = {
    name,
    pid: child.pid ?? -1,
    child,
    output,
    alive,
    exited,
    kill: async () => {
      if (alive()) child.kill('SIGKILL')
      await exited
      running.delete(worker)
    },
    stop: async (graceMs = 15_000) => {
      if (alive()) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
        await exited
        clearTimeout(timer)
      }
      running.delete(worker)
    },
  }
  void exited.then(() => running.delete(worker))
  running.add(worker)
  return worker
}

/** Kills every worker still running (for afterEach/afterAll: nothing may outlive the test). */
export async function killAllWorkers() {
  await Promise.all([...running].map((worker) => worker.kill()))
}

/** What every worker wrote, for failure messages. */
export function describeWorkers(workers: WorkerProcess[]) {
  return workers
    .map(
      (w) => `--- ${w.name} (pid ${w.pid}, ${w.alive() ? 'running' : 'exited'}) ---\n${w.output()}`,
    )
    .join('\n')
}

/**
 * Polls `check` every `intervalMs` until it returns a value other than `undefined`/`false`, and
 * returns it. Fails after `timeoutMs`, or at once when one of `workers` exits unexpectedly, with
 * the workers' output in the message.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; workers?: WorkerProcess[] } = {},
): Promise<T> {
  const { timeoutMs = 20_000, intervalMs = 150, workers = [] } = options
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    const dead = workers.find((w) => !w.alive())
    if (dead)
      throw new Error(`${dead.name} exited while waiting for ${what}:\n${describeWorkers(workers)}`)
    if (Date.now() > deadline)
      throw new Error(
        `Timed out after ${timeoutMs / 1000} s waiting for ${what}\n${describeWorkers(workers)}`,
      )
    await sleep(intervalMs)
  }
}
