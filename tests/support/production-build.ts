/**
 * The production bundles (`npm run build`) that end-to-end tests and fault drills run, rebuilt
 * when they are missing or older than the sources, so those tests never run something other than
 * the working tree. E2E_SKIP_BUILD=1 skips the check.
 */
import { spawnSync } from 'node:child_process'
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const BUILD_OUTPUTS = ['build/index.js', 'build/server.js', 'build/worker.js', 'public/build']
const SOURCES = ['app', 'db', 'jobs', 'server.ts', 'remix.config.js', 'postcss.config.js']

async function newestMtime(target: string): Promise<number> {
  const info = await stat(target).catch(() => undefined)
  if (!info) return 0
  if (!info.isDirectory()) return info.mtimeMs
  let newest = info.mtimeMs
  for (const entry of await readdir(target)) {
    newest = Math.max(newest, await newestMtime(path.join(target, entry)))
  }
  return newest
}

/** Why the bundles must be rebuilt, or undefined when they are current. */
async function staleness(): Promise<string | undefined> {
  const outputs = await Promise.all(
    BUILD_OUTPUTS.map((p) => stat(path.join(root, p)).catch(() => undefined)),
  )
  const missing = BUILD_OUTPUTS.filter((_, i) => !outputs[i])
  if (missing.length > 0) return `missing ${missing.join(', ')}`
  const oldestOutput = Math.min(...outputs.map((o) => o!.mtimeMs))
  const sources = await Promise.all(SOURCES.map((s) => newestMtime(path.join(root, s))))
  if (Math.max(...sources) > oldestOutput) return 'sources changed since the last build'
  return undefined
}

/** Runs `npm run build` when needed, its output on stderr; `log` gets one line before and after. */
export async function buildIfNeeded(log: (line: string) => void) {
  if (process.env.E2E_SKIP_BUILD === '1') return
  const reason = await staleness()
  if (!reason) return
  log(`running \`npm run build\` (${reason})`)
  const started = Date.now()
  // A production build whatever the caller runs under (Vitest sets NODE_ENV=test, which would
  // compile development JSX that the production React runtime cannot run).
  const result = spawnSync('npm', ['run', 'build'], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 2, 2],
  })
  if (result.status !== 0) throw new Error(`npm run build failed (exit ${result.status})`)
  log(`build done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}
