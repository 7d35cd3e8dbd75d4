/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): where the sampled time went, by package (or
 * our own top-level folder) and by function, self time only.
 *
 *   npx tsx bench/support/cpu-profile.ts /tmp/profile/CPU.*.cpuprofile [--top 25]
 *
 * Used for the worker profiles of `npm run bench:delivery` (WORKER_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=…"); see docs/decisions/023-batched-delivery.md.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
  startTime: number
  endTime: number
}

/** node_modules/<package> (scoped too), our folder (app/, db/, jobs/ …), node internals, or V8. */
function areaOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return '(garbage collector)'
    if (functionName === '(idle)' || functionName === '(program)') return functionName
    return '(native)'
  }
  const modules = url.lastIndexOf('node_modules/')
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/')
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!
  }
  // Node's own JavaScript by part: node:internal/deps/undici is fetch, node:internal/webstreams
  // its bodies, node:internal/modules the loading of code at start-up.
  if (url.startsWith('node:internal/')) {
    const parts = url.slice('node:internal/'.length).split('/')
    return `node:internal/${parts[0] === 'deps' ? `deps/${parts[1]}` : parts[0]}`
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`
  const build = url.match(/\/build\/([^/]+)$/)
  if (build) return `build/${build[1]}`
  const ours = url.match(/\/(app|db|jobs|bench|tests)\/(.*)$/)
  if (ours) return `${ours[1]}/`
  return url
}

export function summarise(profile: Profile, top = 25) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  const total = [...self.values()].reduce((sum, t) => sum + t, 0)
  const idle = [...self.entries()]
    .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
    .reduce((sum, [, t]) => sum + t, 0)
  const busy = total - idle
  const areas = new Map<string, number>()
  const functions = new Map<string, number>()
  for (const [id, time] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    if (functionName === '(idle)') continue
    const area = areaOf(url, functionName)
    areas.set(area, (areas.get(area) ?? 0) + time)
    const name = `${functionName || '(anonymous)'} ${area}${url ? `:${lineNumber + 1}` : ''}`
    functions.set(name, (functions.get(name) ?? 0) + time)
  }
  const share = (t: number) => `${((100 * t) / busy).toFixed(1)} %`
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1])
  return {
    wallSeconds: (profile.endTime - profile.startTime) / 1e6,
    busySeconds: busy / 1e6,
    areas: sorted(areas)
      .slice(0, top)
      .map(([area, t]) => ({ area, ms: Math.round(t / 1000), share: share(t) })),
    functions: sorted(functions)
      .slice(0, top)
      .map(([fn, t]) => ({ function: fn, ms: Math.round(t / 1000), share: share(t) })),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' } },
  })
  for (const file of positionals) {
    const result = summarise(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(values.top))
    console.log(
      `${file}: ${result.busySeconds.toFixed(2)} s busy of ${result.wallSeconds.toFixed(2)} s sampled (idle excluded)`,
    )
    console.table(result.areas)
    console.table(result.functions)
  }
}
