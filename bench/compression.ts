/**
 * `npx tsx bench/compression.ts`: what gzip costs the web server on a large page (after
 * `npm run build`).
 *
 * Starts a throwaway embedded PostgreSQL, generates BENCH_INCIDENTS (2,000) incidents, then for
 * each COMPRESSION setting in BENCH_LEVELS (off,1,4,6,9; 6 is the compression middleware's
 * default) starts the production server, signs in and loads BENCH_PATH
 * (/incidents?status=all) with BENCH_CONNECTIONS (4) connections for BENCH_SECONDS (8):
 * bytes on the wire, requests/s, p50, and the server process's CPU time per request (from
 * /proc/<pid>/stat). Finally it gzips that page's HTML in this process at every level: the
 * compression cost alone, per page. Figures are printed, never asserted.
 */
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import { gzipSync } from 'node:zlib'
import { generateIncidents } from './generate-incidents'
import { runLoad } from './support/load'
import { startDatabase, startServer, signIn } from './support/stack'

const count = Number(process.env.BENCH_INCIDENTS ?? 2_000)
const seconds = Number(process.env.BENCH_SECONDS ?? 8)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 4)
const pagePath = process.env.BENCH_PATH ?? '/incidents?status=all'
const levels = (process.env.BENCH_LEVELS ?? 'off,1,4,6,9').split(',')

/** User + system CPU time of a process so far, in milliseconds (Linux). */
function cpuMs(pid: number) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second).
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

/** One GET asking for gzip, without decompressing: status, encoding and bytes on the wire. */
function wireBytes(url: string, cookie: string) {
  return new Promise<{ status: number; encoding: string; bytes: number }>((resolve, reject) => {
    const req = request(url, { headers: { Cookie: cookie, 'Accept-Encoding': 'gzip' } }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => (bytes += chunk.length))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          encoding: String(res.headers['content-encoding'] ?? 'identity'),
          bytes,
        }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

const database = await startDatabase('compression')
try {
  const generated = await generateIncidents(database.url, { count, log: () => {} })
  console.log(`${generated.incidents} incidents; page ${pagePath}; node ${process.version}`)
  let html = ''
  const rows = []
  for (const level of levels) {
    const server = await startServer(database.url, database.dir, { COMPRESSION: level })
    try {
      const cookie = await signIn(server.baseUrl, generated.email, generated.password)
      const page = await fetch(`${server.baseUrl}${pagePath}`, { headers: { Cookie: cookie } })
      html = await page.text()
      const wire = await wireBytes(`${server.baseUrl}${pagePath}`, cookie)
      // Warm up, then measure.
      await runLoad({
        label: 'warm-up',
        url: `${server.baseUrl}${pagePath}`,
        connections,
        seconds: 2,
        headers: { Cookie: cookie, 'Accept-Encoding': 'gzip' },
      })
      const cpuBefore = cpuMs(server.pid)
      const result = await runLoad({
        label: `COMPRESSION=${level}`,
        url: `${server.baseUrl}${pagePath}`,
        connections,
        seconds,
        headers: { Cookie: cookie, 'Accept-Encoding': 'gzip' },
      })
      const cpu = cpuMs(server.pid) - cpuBefore
      rows.push({
        COMPRESSION: level,
        'page bytes': html.length,
        'wire bytes': wire.bytes,
        encoding: wire.encoding,
        'req/s': result.throughput.toFixed(0),
        'p50 ms': result.p50.toFixed(1),
        'server CPU ms/req': (cpu / result.requests).toFixed(2),
        errors: result.errors,
      })
    } finally {
      await server.stop()
    }
  }
  console.table(rows)

  const input = Buffer.from(html)
  const zlibRows = []
  for (const level of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
    for (let i = 0; i < 20; i++) gzipSync(input, { level })
    const rounds = 200
    const started = performance.now()
    let bytes = 0
    for (let i = 0; i < rounds; i++) bytes = gzipSync(input, { level }).length
    zlibRows.push({
      level,
      'ms per page': ((performance.now() - started) / rounds).toFixed(3),
      bytes,
      ratio: (bytes / input.length).toFixed(3),
    })
  }
  console.log(`gzip of the ${input.length}-byte page in this process:`)
  console.table(zlibRows)
} finally {
  await database.stop()
}
