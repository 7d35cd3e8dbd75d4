/**
 * `npm run bench`: cold start of the production web server, and latency/throughput of the
 * health endpoints and the home page under 20 concurrent connections, on loopback.
 * Needs `npm run build` first. Figures are printed, never asserted.
 */
import { existsSync } from 'node:fs'
import { printResults, runLoad } from './support/load'
import { startStack } from './support/stack'

const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 20)

if (!existsSync('build/server.js')) {
  console.error('Run `npm run build` first (the benchmark measures the production build).')
  process.exit(1)
}

const stack = await startStack('http')
try {
  console.log(`cold start (spawn → first 200 on /healthz): ${stack.coldStartMs.toFixed(0)} ms`)
  console.log(
    `load: ${connections} connections, ${seconds} s per endpoint, node ${process.version}`,
  )
  const results = []
  for (const [label, pathname] of [
    ['GET /healthz', '/healthz'],
    ['GET /readyz', '/readyz'],
    ['GET / (SSR)', '/'],
  ] as const) {
    results.push(await runLoad({ label, url: `${stack.baseUrl}${pathname}`, connections, seconds }))
  }
  printResults(results)
} finally {
  await stack.stop()
}
