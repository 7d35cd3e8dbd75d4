/**
 * A small closed-loop HTTP load generator: `connections` workers each send requests back to back
 * for `seconds` (or until `maxRequests`), all to one loopback URL. Bounded in time and count.
 * Node's fetch keeps connections alive, so each worker reuses one connection.
 */

export interface LoadResult {
  label: string
  requests: number
  errors: number
  seconds: number
  throughput: number
  p50: number
  p95: number
  p99: number
  max: number
}

export interface LoadOptions {
  label: string
  url: string
  connections?: number
  seconds?: number
  maxRequests?: number
  headers?: Record<string, string>
  /** Status codes that count as success (default 200). */
  expect?: number[]
}

function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return 0
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url)
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new Error(`Benchmarks only target loopback addresses, not ${url.hostname}`)
  }
  const connections = options.connections ?? 20
  const seconds = options.seconds ?? 10
  const maxRequests = options.maxRequests ?? 200_000
  const expected = new Set(options.expect ?? [200])
  const latencies: number[] = []
  let errors = 0
  let sent = 0
  const started = performance.now()
  const deadline = started + seconds * 1000

  const worker = async () => {
    while (performance.now() < deadline && sent < maxRequests) {
      sent++
      const t0 = performance.now()
      try {
        const response = await fetch(url, { headers: options.headers, redirect: 'manual' })
        await response.arrayBuffer()
        if (!expected.has(response.status)) errors++
      } catch {
        errors++
      }
      latencies.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: connections }, worker))
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  return {
    label: options.label,
    requests: latencies.length,
    errors,
    seconds: elapsed,
    throughput: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? 0,
  }
}

export function printResults(results: LoadResult[]) {
  const rows = results.map((r) => ({
    endpoint: r.label,
    requests: r.requests,
    errors: r.errors,
    'req/s': r.throughput.toFixed(0),
    'p50 ms': r.p50.toFixed(2),
    'p95 ms': r.p95.toFixed(2),
    'p99 ms': r.p99.toFixed(2),
    'max ms': r.max.toFixed(1),
  }))
  console.table(rows)
}
