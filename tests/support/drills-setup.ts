/**
 * Global setup of the fault drills (tests/drills): the production bundles they run, current with
 * the working tree, and nginx, installed from Debian's packages when missing (as
 * `npm run setup:services` does for the other test tools). A drill never skips: without nginx it
 * fails and says how to install it.
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { nginxBinary, repoRoot } from './drill-stack'
import { buildIfNeeded } from './production-build'

const log = (line: string) => process.stderr.write(`[drills] ${line}\n`)

export default async function setup() {
  await buildIfNeeded(log)
  if (!nginxBinary()) {
    log('nginx is missing; installing it from Debian’s packages')
    spawnSync('bash', [path.join(repoRoot, 'tests/support/setup-test-services.sh')], {
      cwd: repoRoot,
      stdio: ['ignore', 2, 2],
    })
  }
  if (!nginxBinary()) {
    throw new Error(
      'The fault drills need nginx: run `apt-get install nginx` as root (or `npm run setup:services`).',
    )
  }
}
