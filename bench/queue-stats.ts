/**
 * What reading the job queues costs (the admins' Jobs section and every /metrics scrape): one
 * `loadQueueStats` call against pg-boss's job table holding JOBS finished jobs (pg-boss keeps 12
 * hours of them before archiving), plus a few hundred waiting, active and failed ones.
 *
 *   npm run bench:queue-stats                 # 1,000,000 finished jobs
 *   JOBS=200000 npm run bench:queue-stats
 */
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { loadQueueStats } from '~/domain/queues/queue-stats.server'
import { initORM } from '../db/orm'
import { startDatabase } from './support/stack'

const JOBS = Number(process.env.JOBS ?? 1_000_000)
const RUNS = 20

function percentile(sorted: number[], p: number) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!
}

async function timeReads(orm: Awaited<ReturnType<typeof initORM>>, organizationId: string) {
  const times: number[] = []
  for (let i = 0; i < RUNS; i += 1) {
    const started = performance.now()
    await loadQueueStats(orm, { now: new Date(), organizationId })
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return { median: percentile(times, 50), p95: percentile(times, 95) }
}

async function main() {
  const database = await startDatabase('queue-stats')
  const client = new pg.Client({ connectionString: database.url })
  await client.connect()
  const orm = await initORM(database.url, { pool: { min: 0, max: 2 } })
  try {
    const organizationId = randomUUID()
    const fill = async (queue: string, state: string, count: number, extra = '') =>
      client.query(
        `insert into pgboss.job (name, data, state, started_on, completed_on ${extra ? ', start_after' : ''})
         select $1, jsonb_build_object('outboxId', gen_random_uuid(), 'organizationId', $3::text),
                $2::pgboss.job_state,
                case when $2 in ('active', 'completed', 'failed') then now() end,
                case when $2 in ('completed', 'failed') then now() - (g % 43200) * interval '1 second' end
                ${extra}
           from generate_series(1, $4::int) g`,
        [queue, state, organizationId, count],
      )
    await fill('email-deliver', 'created', 300, ", now() - (g % 600) * interval '1 second'")
    await fill('email-deliver', 'active', 50)
    await fill('email-deliver', 'failed', 20)
    await fill('webhook-deliver', 'retry', 200, ", now() + (g % 3600) * interval '1 second'")
    await fill('dead-letter', 'completed', 100)
    await client.query('vacuum analyze pgboss.job')
    const empty = await timeReads(orm, organizationId)

    const batch = 250_000
    for (let done = 0; done < JOBS; done += batch) {
      const n = Math.min(batch, JOBS - done)
      await fill('email-deliver', 'completed', Math.ceil(n * 0.6))
      await fill('webhook-deliver', 'completed', Math.floor(n * 0.4))
    }
    await client.query('vacuum analyze pgboss.job')
    const full = await timeReads(orm, organizationId)
    if (process.env.EXPLAIN) {
      const plan = await client.query(
        `explain (analyze, buffers) select * from job_queue_stats(now())`,
      )
      for (const row of plan.rows as Array<Record<string, string>>)
        process.stdout.write(`${Object.values(row)[0]}\n`)
      await client.query(`load 'auto_explain'`)
      await client.query(`set auto_explain.log_min_duration = 0`)
      await client.query(`set auto_explain.log_nested_statements = on`)
      await client.query(`set client_min_messages = log`)
      client.on('notice', (n) => process.stdout.write(`${n.message}\n`))
      await client.query(`select * from job_queue_stats(now())`)
    }
    const fmt = (t: { median: number; p95: number }) =>
      `median ${t.median.toFixed(1)} ms, p95 ${t.p95.toFixed(1)} ms`
    process.stdout.write(
      `loadQueueStats, ${RUNS} reads each (all queues and an organization's newest dead letter)\n` +
        `  670 waiting/active/failed jobs only:        ${fmt(empty)}\n` +
        `  plus ${JOBS.toLocaleString('en')} finished jobs:      ${fmt(full)}\n`,
    )
  } finally {
    await orm.close(true)
    await client.end()
    await database.stop()
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`)
  process.exit(1)
})
