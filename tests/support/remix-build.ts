import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, readdir, rm, stat } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { ServerBuild } from '@remix-run/node'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const SERVER_BUILD = path.join(root, 'build/index.js')
/** What the Remix server build is made from (test files are not part of it). */
const SOURCES = ['app', 'db', 'jobs', 'remix.config.js', 'postcss.config.js']
/** Test files run in parallel workers; only one of them builds at a time. */
const LOCK = path.join(
  os.tmpdir(),
  `incidentflow-remix-build-${createHash('sha256').update(root).digest('hex').slice(0, 12)}.lock`,
)

async function newestSourceMtime(target: string): Promise<number> {
  const info = await stat(target).catch(() => undefined)
  if (!info) return 0
  if (!info.isDirectory()) return /\.test\.tsx?$/.test(target) ? 0 : info.mtimeMs
  let newest = 0
  for (const entry of await readdir(target)) {
    newest = Math.max(newest, await newestSourceMtime(path.join(target, entry)))
  }
  return newest
}

async function isStale() {
  const built = await stat(SERVER_BUILD).catch(() => undefined)
  if (!built) return true
  const sources = await Promise.all(SOURCES.map((s) => newestSourceMtime(path.join(root, s))))
  return built.mtimeMs < Math.max(...sources)
}

async function withLock<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 120_000
  for (;;) {
    try {
      await mkdir(LOCK)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      // A lock left by a killed run is older than any real build.
      const info = await stat(LOCK).catch(() => undefined)
      if (info && Date.now() - info.mtimeMs > 120_000)
        await rm(LOCK, { recursive: true, force: true })
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  try {
    return await work()
  } finally {
    await rm(LOCK, { recursive: true, force: true })
  }
}

/**
 * The app's real Remix server build, for HTTP tests that go through loaders, actions and
 * rendering. Runs `remix build` first when build/index.js is missing or older than the sources,
 * so the tests never exercise stale code (~2 s; `make test` builds afterwards anyway).
 */
export async function loadRemixBuild(): Promise<ServerBuild> {
  if (await isStale()) {
    await withLock(async () => {
      // Another test file may have built while this one waited.
      if (!(await isStale())) return
      execFileSync('npx', ['remix', 'build'], {
        cwd: root,
        stdio: 'pipe',
        env: { ...process.env, NODE_ENV: 'production' },
        timeout: 120_000,
      })
    })
  }
  return (await import(/* @vite-ignore */ pathToFileURL(SERVER_BUILD).href)) as ServerBuild
}
