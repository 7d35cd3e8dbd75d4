/**
 * `npm run bench:report`: how long the worker takes to make one PDF report.
 *
 * Starts a throwaway embedded PostgreSQL, generates BENCH_INCIDENTS incidents (default 100 000,
 * spread over the last year) in one organization with bench/generate-incidents.ts, then requests
 * a report of the last BENCH_PERIOD (default 90d) BENCH_RUNS times (default 4) through
 * `requestReport` and runs the real `report-generate` handler on each, with files stored on local
 * disk. Prints milliseconds per phase — load (the dashboard queries), charts (chart.js on
 * @napi-rs/canvas, JPEG), PDF (pdfkit), store — and in all, plus the PDF's size. The first run
 * includes warm-up (fonts parsed, caches cold). Figures are printed, never asserted.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseAnalyticsFilters } from '~/domain/analytics/filters'
import { requestReport } from '~/domain/report/report.server'
import { createLogger } from '~/utils/logger.server'
import { fsStore } from '~/utils/storage/fs-store.server'
import { initORM } from '../db/orm'
import { startSenderBoss } from '~/queue/send.server'
import { generateReport, type ReportTimings } from '~/domain/report/generate.server'
import { generateIncidents } from './generate-incidents'
import { startDatabase } from './support/stack'

const count = Number(process.env.BENCH_INCIDENTS ?? 100_000)
const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 4))
const period = process.env.BENCH_PERIOD ?? '90d'

const database = await startDatabase('report')
const objectsDir = await mkdtemp(path.join(os.tmpdir(), 'incidentflow-bench-report-'))
try {
  console.log(`generating ${count.toLocaleString('en')} incidents …`)
  const generated = await generateIncidents(database.url, { count })
  console.log(
    `generated ${generated.incidents.toLocaleString('en')} incidents in ${generated.seconds.toFixed(1)} s`,
  )

  const orm = await initORM(database.url, { pool: { min: 0, max: 4 } })
  const boss = await startSenderBoss(database.url)
  const logger = createLogger({ name: 'bench', level: 'silent', pretty: false })
  const store = fsStore(objectsDir)
  try {
    const [organization] = await orm.em
      .fork()
      .getConnection()
      .execute<Array<{ name: string; timezone: string }>>(
        'select name, timezone from organization where id = ?',
        [generated.organizationId],
      )
    const admin = generated.members[0]!
    const member = {
      user: { id: admin.id, email: admin.email, displayName: 'Bench admin' },
      role: 'admin' as const,
      organization: {
        id: generated.organizationId,
        name: organization!.name,
        slug: generated.slug,
        timezone: organization!.timezone,
      },
    }
    const filters = parseAnalyticsFilters(
      new URLSearchParams({ period }),
      member.organization.timezone,
      new Date(),
    )
    console.log(
      `report: ${period} (${filters.from.slice(0, 10)} – ${filters.to.slice(0, 10)}, ${filters.bucket} buckets), ${runs} runs, node ${process.version}`,
    )

    const results: Array<ReportTimings & { total: number; bytes: number }> = []
    for (let run = 1; run <= runs; run++) {
      // Each run asks anew: the previous report is done, so identical parameters make a new one.
      const { report } = await requestReport(orm, boss, member, filters)
      const started = performance.now()
      const { outcome, timings } = await generateReport(
        { orm, boss, store, logger, appUrl: 'http://localhost:3000' },
        { reportId: report.id, organizationId: member.organization.id },
      )
      const total = performance.now() - started
      if (outcome !== 'done' || !timings) throw new Error(`run ${run}: report ${outcome}`)
      const stored = await store.get(`org/${member.organization.id}/report/${report.id}.pdf`)
      stored?.body.destroy()
      results.push({ ...timings, total, bytes: stored?.size ?? 0 })
      console.log(
        `run ${run}: load ${ms(timings.load)} · charts ${ms(timings.charts)} · PDF ${ms(timings.pdf)} · store ${ms(timings.store)} · total ${ms(total)} · ${(results.at(-1)!.bytes / 1024).toFixed(0)} KB`,
      )
    }
    const warm = results.length > 1 ? results.slice(1) : results
    const median = (pick: (r: (typeof results)[number]) => number) => {
      const sorted = warm.map(pick).sort((a, b) => a - b)
      return sorted[Math.floor((sorted.length - 1) / 2)]!
    }
    console.log(
      `median of warm runs: load ${ms(median((r) => r.load))} · charts ${ms(median((r) => r.charts))} · PDF ${ms(median((r) => r.pdf))} · store ${ms(median((r) => r.store))} · total ${ms(median((r) => r.total))}`,
    )
  } finally {
    await boss.stop({ graceful: false, wait: true })
    await orm.close(true)
  }
} finally {
  await rm(objectsDir, { recursive: true, force: true })
  await database.stop()
}

function ms(value: number) {
  return `${value.toFixed(0)} ms`
}
