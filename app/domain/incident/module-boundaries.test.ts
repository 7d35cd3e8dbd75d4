import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * The incident domain's layers, read from the source: the event store and the refusal classes sit
 * below the commands and the postmortems that append through them, so none of those can import
 * its way back round to them.
 */

const here = path.dirname(fileURLToPath(import.meta.url))
const appRoot = path.resolve(here, '../..')
const repoRoot = path.resolve(appRoot, '..')
const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s*'([^']+)'/gm

/** The modules a file imports directly: `./`, `../` and `~/` specifiers that name a file here. */
function importsOf(file: string): string[] {
  const found: string[] = []
  for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const base = spec!.startsWith('~/')
      ? path.join(appRoot, spec!.slice(2))
      : spec!.startsWith('.')
        ? path.resolve(path.dirname(file), spec!)
        : null
    const resolved = base && [`${base}.ts`, `${base}.tsx`, base].find((p) => existsSync(p))
    if (resolved) found.push(resolved)
  }
  return found
}

/** Every module reachable from `file`, as paths relative to the repository. */
function reachableFrom(file: string): Set<string> {
  const seen = new Set<string>()
  const queue = [file]
  while (queue.length) {
    for (const next of importsOf(queue.shift()!)) {
      if (seen.has(next)) continue
      seen.add(next)
      queue.push(next)
    }
  }
  return new Set([...seen].map((p) => path.relative(repoRoot, p)))
}

const incident = (name: string) => path.join(appRoot, 'domain/incident', name)

describe('the incident domain layers', () => {
  it.each(['event-store.server.ts', 'incident-errors.ts'])(
    '%s reaches neither the commands, the transition hooks, the postmortems nor the worker',
    (name) => {
      const reached = [...reachableFrom(incident(name))]
      expect(reached.length).toBeGreaterThan(0)
      expect(
        reached.filter(
          (p) =>
            p === 'app/domain/incident/incident-service.server.ts' ||
            p === 'app/domain/incident/transition-hooks.server.ts' ||
            p.startsWith('app/domain/postmortem/') ||
            p.startsWith('jobs/'),
        ),
      ).toEqual([])
    },
  )

  it('lets no module the commands import lead back to the commands', () => {
    const commands = incident('incident-service.server.ts')
    const direct = importsOf(commands)
    expect(direct.map((p) => path.relative(repoRoot, p))).toContain(
      'app/domain/incident/transition-hooks.server.ts',
    )
    const back = direct.filter((p) =>
      reachableFrom(p).has('app/domain/incident/incident-service.server.ts'),
    )
    expect(back).toEqual([])
  })
})
