/**
 * `npm run bench:upload`: memory of the web server while it receives one large evidence upload.
 *
 * Starts a throwaway embedded PostgreSQL and the production server from `build/` (run
 * `npm run build` first) with EVIDENCE_MAX_BYTES raised to 300 MB, signs up through POST /signup,
 * declares an incident through POST /incidents/new, then streams a generated BENCH_UPLOAD_MB
 * (default 200) MB text file as a multipart body — generated line by line as it is sent, never
 * held in memory — while sampling the server's VmRSS from /proc/<pid>/status every 100 ms.
 * Prints baseline and peak RSS, the growth, the upload time and throughput. The streamed upload
 * should not grow the server by more than 64 MB (the exit code says whether it did).
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { startDatabase, startServer } from './support/stack'

const UPLOAD_MB = Number(process.env.BENCH_UPLOAD_MB ?? 200)
const UPLOAD_BYTES = UPLOAD_MB * 1024 * 1024
const GROWTH_TARGET_MB = 64
const MB = 1024 * 1024

if (!existsSync('build/server.js')) {
  console.error('Run `npm run build` first (the benchmark measures the production build).')
  process.exit(1)
}
if (process.platform !== 'linux') {
  console.error('This benchmark reads /proc/<pid>/status and runs on Linux only.')
  process.exit(1)
}

async function rssBytes(pid: number) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`)
  return Number(match[1]) * 1024
}

const cookieOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.split(';')[0]!)
    .join('; ')

async function post(
  baseUrl: string,
  pathname: string,
  fields: Record<string, string>,
  cookie = '',
) {
  const response = await fetch(`${baseUrl}${pathname}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Origin: baseUrl,
      ...(cookie ? { Cookie: cookie } : {}),
    },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  })
  if (response.status !== 302) {
    throw new Error(
      `POST ${pathname} answered ${response.status}: ${(await response.text()).slice(0, 300)}`,
    )
  }
  return response
}

/** A text file of `size` bytes, made of numbered log lines, produced as it is read. */
async function* logLines(size: number) {
  let sent = 0
  let line = 0
  while (sent < size) {
    let chunk = ''
    while (chunk.length < 64 * 1024) {
      line++
      chunk += `2024-05-01T12:00:00.000Z INFO checkout-api request ${line} served in ${line % 997} ms\n`
    }
    const bytes = Buffer.from(chunk.slice(0, Math.min(chunk.length, size - sent)))
    sent += bytes.length
    yield bytes
  }
}

/** A multipart/form-data body with one file part and a description, streamed. */
function multipart(boundary: string, filename: string, size: number) {
  async function* parts() {
    yield Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
        `Content-Type: text/plain\r\n\r\n`,
    )
    yield* logLines(size)
    yield Buffer.from(
      `\r\n--${boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\n` +
        `Streamed by bench/upload-rss.ts\r\n--${boundary}--\r\n`,
    )
  }
  return Readable.from(parts())
}

async function upload(
  baseUrl: string,
  cookie: string,
  number: number,
  filename: string,
  size: number,
) {
  const boundary = `----incidentflow-bench-${randomBytes(12).toString('hex')}`
  const response = await fetch(`${baseUrl}/incidents/${number}/evidence`, {
    method: 'POST',
    headers: {
      'Content-Type': `multipart/form-data; boundary=${boundary}`,
      Origin: baseUrl,
      Cookie: cookie,
    },
    body: multipart(boundary, filename, size) as unknown as BodyInit,
    duplex: 'half',
    redirect: 'manual',
  } as RequestInit & { duplex: 'half' })
  if (response.status !== 302) {
    throw new Error(`upload answered ${response.status}: ${(await response.text()).slice(0, 300)}`)
  }
  // The flash message the redirect carries, as the incident page shows it.
  const page = await fetch(`${baseUrl}${response.headers.get('location')}`, {
    headers: { Cookie: `${cookie}; ${cookieOf(response)}` },
  })
  const html = await page.text()
  if (!html.includes(`Uploaded ${filename}.`)) {
    const alert = /role="alert"[^>]*>(.*?)<\/div>/s.exec(html)?.[1]?.replace(/<[^>]+>/g, '')
    throw new Error(`upload of ${filename} was not accepted: ${alert ?? 'no message'}`)
  }
}

const mb = (bytes: number) => (bytes / MB).toFixed(1)

const database = await startDatabase('upload')
let server: Awaited<ReturnType<typeof startServer>> | undefined
try {
  server = await startServer(database.url, database.dir, {
    EVIDENCE_MAX_BYTES: String(300 * MB),
    EVIDENCE_QUOTA_BYTES: String(1024 * MB),
  })
  const { baseUrl, pid } = server
  const id = randomBytes(4).toString('hex')
  const signup = await post(baseUrl, '/signup', {
    organizationName: `Bench ${id}`,
    displayName: `Bench ${id}`,
    email: `bench-${id}@example.com`,
    password: 'Tangerine-Lighthouse-Orbit-42',
    website: '',
  })
  const cookie = cookieOf(signup)
  const declared = await post(
    baseUrl,
    '/incidents/new',
    { title: 'Large log upload', severity: 'SEV-3', summary: 'Benchmark' },
    cookie,
  )
  const number = Number(/\/incidents\/(\d+)$/.exec(declared.headers.get('location') ?? '')?.[1])
  if (!number) throw new Error(`declaring answered ${declared.headers.get('location')}`)

  // Warm up the upload code path with a small file, then let the heap settle.
  await upload(baseUrl, cookie, number, 'warm-up.log', 256 * 1024)
  await new Promise((r) => setTimeout(r, 1000))
  const baseline = await rssBytes(pid)

  let peak = baseline
  const samples: number[] = []
  const sampler = setInterval(() => {
    rssBytes(pid).then(
      (rss) => {
        samples.push(rss)
        peak = Math.max(peak, rss)
      },
      () => {},
    )
  }, 100)
  const started = performance.now()
  try {
    await upload(baseUrl, cookie, number, 'big.log', UPLOAD_BYTES)
  } finally {
    clearInterval(sampler)
  }
  const seconds = (performance.now() - started) / 1000
  peak = Math.max(peak, await rssBytes(pid))

  // The stored object is the whole file.
  const objects = path.join(database.dir, 'objects')
  const { readdir } = await import('node:fs/promises')
  const files = (await readdir(objects, { recursive: true, withFileTypes: true })).filter(
    (e) => e.isFile() && !e.name.endsWith('.meta.json'),
  )
  const sizes = await Promise.all(files.map((f) => stat(path.join(f.parentPath, f.name))))
  if (!sizes.some((s) => s.size === UPLOAD_BYTES))
    throw new Error(`no stored object of ${UPLOAD_BYTES} bytes under ${objects}`)

  const growth = peak - baseline
  console.log(`upload:        ${UPLOAD_MB} MB text file, streamed multipart (chunked)`)
  console.log(`baseline RSS:  ${mb(baseline)} MB`)
  console.log(`peak RSS:      ${mb(peak)} MB (${samples.length} samples, every 100 ms)`)
  console.log(`growth:        ${mb(growth)} MB (target < ${GROWTH_TARGET_MB} MB)`)
  console.log(`upload time:   ${seconds.toFixed(2)} s`)
  console.log(`throughput:    ${(UPLOAD_MB / seconds).toFixed(1)} MB/s`)
  if (growth >= GROWTH_TARGET_MB * MB) {
    console.error(`RSS grew by ${mb(growth)} MB, over the ${GROWTH_TARGET_MB} MB target`)
    process.exitCode = 1
  }
} finally {
  await server?.stop()
  await database.stop()
}
