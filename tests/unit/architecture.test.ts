import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

/**
 * The layering rules of docs/architecture.md, checked against the code's own imports: a rule
 * that only lives in a document drifts. Type-only imports count too: a cycle of types is still
 * two modules a reader must hold in their head at once.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const SOURCE = /\.(ts|tsx)$/
const TEST = /\.test\.(ts|tsx)$/

function sourceFiles(dir: string): string[] {
  const out: string[] = []
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...sourceFiles(rel))
    else if (SOURCE.test(entry.name) && !TEST.test(entry.name)) out.push(rel)
  }
  return out
}

const files = [...sourceFiles('app'), ...sourceFiles('jobs'), ...sourceFiles('db'), 'server.ts']
const known = new Set(files)

// Statements start a line (the code is formatted), so comments that quote an import are skipped.
const IMPORT =
  /^(?:import|export)\b[^;]*?from\s*'([^']+)'|\bimport\(\s*'([^']+)'\s*\)|^import\s+'([^']+)'/gm

/** Each import of a file: what it wrote and the source file it names (null: a package). */
function importsOf(file: string) {
  const text = fs.readFileSync(path.join(root, file), 'utf8')
  const found: { specifier: string; target: string | null }[] = []
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2] ?? match[3] ?? ''
    found.push({ specifier, target: resolve(file, specifier) })
  }
  return found
}

function resolve(from: string, specifier: string): string | null {
  let base: string
  if (specifier.startsWith('~/')) base = path.posix.join('app', specifier.slice(2))
  else if (specifier.startsWith('.')) base = path.posix.join(path.posix.dirname(from), specifier)
  else return null
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`]) {
    if (known.has(candidate)) return candidate
  }
  return null
}

const graph = new Map(files.map((file) => [file, importsOf(file)]))

function edges(predicate: (from: string, to: string) => boolean) {
  const out: string[] = []
  for (const [from, imports] of graph) {
    for (const { target } of imports)
      if (target && predicate(from, target)) out.push(`${from} -> ${target}`)
  }
  return out
}

/** Strongly connected components with more than one file (Tarjan), or a file importing itself. */
function cycles(): string[][] {
  let index = 0
  const indices = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (node: string) => {
    indices.set(node, index)
    low.set(node, index)
    index++
    stack.push(node)
    onStack.add(node)
    for (const { target } of graph.get(node) ?? []) {
      if (!target) continue
      if (!indices.has(target)) {
        visit(target)
        low.set(node, Math.min(low.get(node)!, low.get(target)!))
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, indices.get(target)!))
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      const selfImport = graph.get(node)?.some((i) => i.target === node)
      if (component.length > 1 || selfImport) found.push(component.sort())
    }
  }
  for (const file of files) if (!indices.has(file)) visit(file)
  return found
}

const lines = (file: string) => fs.readFileSync(path.join(root, file), 'utf8').split('\n').length
const under = (dir: string) => (file: string) => file.startsWith(`${dir}/`)

describe('architecture', () => {
  it('reads the whole tree (the checks below are not vacuous)', () => {
    expect(files.filter(under('app/routes')).length).toBeGreaterThan(40)
    expect(files.filter(under('app/domain')).length).toBeGreaterThan(80)
    expect(files.filter(under('jobs/handlers')).length).toBeGreaterThan(5)
    const resolved = [...graph.values()].flat().filter((i) => i.target).length
    expect(resolved).toBeGreaterThan(1000)
  })

  it('has no import cycle', () => {
    expect(cycles()).toEqual([])
  })

  it('keeps the domain out of jobs/, routes and components', () => {
    expect(
      edges(
        (from, to) => under('app/domain')(from) && /^(jobs|app\/routes|app\/components)\//.test(to),
      ),
    ).toEqual([])
  })

  it('keeps the queue contract free of the worker', () => {
    expect(edges((from, to) => under('app/queue')(from) && under('jobs')(to))).toEqual([])
  })

  it('lets routes and components reach the database only through the domain', () => {
    expect(
      edges((from, to) => /^app\/(routes|components)\//.test(from) && under('db')(to)),
    ).toEqual([])
  })

  it('imports modules under app/ through ~/, and ./ only within a folder', () => {
    const climbing: string[] = []
    for (const [from, imports] of graph) {
      for (const { specifier, target } of imports) {
        if (target?.startsWith('app/') && specifier.startsWith('../'))
          climbing.push(`${from}: ${specifier}`)
      }
    }
    expect(climbing).toEqual([])
  })

  it('keeps db/ below the application: no route, component, Express or worker import', () => {
    // Migrating also creates pg-boss's schema and queues, which jobs/boss.ts owns.
    const named = new Set(['db/migrate.ts -> jobs/boss.ts'])
    const up = edges(
      (from, to) => under('db')(from) && /^(app\/(routes|components|server)|jobs)\//.test(to),
    )
    expect(up.filter((edge) => !named.has(edge))).toEqual([])
  })

  it('lets utils/ reach up only where docs/architecture.md names it', () => {
    const named = new Set([
      'app/utils/error-reply.server.ts -> app/domain/domain-error.ts',
      'app/utils/env.server.ts -> app/domain/sla/policy.ts',
      'app/utils/metrics.server.ts -> app/domain/queues/queue-stats.server.ts',
    ])
    const up = edges(
      (from, to) =>
        under('app/utils')(from) && /^app\/(domain|routes|components|server)\//.test(to),
    )
    expect(up.filter((edge) => !named.has(edge))).toEqual([])
  })

  it('keeps job handlers thin adapters (under 80 lines)', () => {
    const handlers = files.filter(under('jobs/handlers'))
    expect(handlers.filter((file) => lines(file) >= 80).map((f) => `${f}: ${lines(f)}`)).toEqual([])
  })

  it('keeps job handlers to one domain call: no entity or SQL access of their own', () => {
    expect(edges((from, to) => under('jobs/handlers')(from) && under('db/entities')(to))).toEqual(
      [],
    )
  })

  it('keeps route modules short enough to read (at most 350 lines)', () => {
    const routes = files.filter(under('app/routes'))
    expect(routes.filter((file) => lines(file) > 350).map((f) => `${f}: ${lines(f)}`)).toEqual([])
  })
})
