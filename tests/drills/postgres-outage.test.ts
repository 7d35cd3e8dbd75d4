import { randomBytes } from 'node:crypto'
import { rm } from 'node:fs/promises'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startEmbeddedPostgres, type RunningPostgres } from '../../db/embedded-postgres'
import { migrate } from '../../db/migrate'
import {
  Ledger,
  Tally,
  User,
  compareWithDatabase,
  createAccounts,
  runLoad,
  send,
  type RequestFailed,
} from '../support/drill-load'
import {
  auditVerify,
  probe,
  startDrillStack,
  stopEverything,
  waitUntil,
  type DrillStack,
} from '../support/drill-stack'
import { freePort, makeServerTempDir } from '../support/postgres-server'

// PostgreSQL stopped for ten seconds under load, then started again, with two web processes and
// two workers behind nginx on it. The server is this drill's own (the run's shared one stays up):
// a data directory it can stop and start on the same port. Nothing is restarted but PostgreSQL.

const USERS = 6
const OUTAGE_MS = 10_000

let tempDir: string
let dataDir: string
let port: number
let postgres: RunningPostgres | undefined
let url: string
let owner: pg.Pool | undefined
let stack: DrillStack | undefined

const startPostgres = () =>
  startEmbeddedPostgres({ dataDir, port, ephemeral: true, ownerLabel: 'postgres outage drill' })

async function query<R extends pg.QueryResultRow>(sql: string, values: unknown[] = []) {
  return (await owner!.query<R>(sql, values)).rows
}

beforeAll(async () => {
  tempDir = await makeServerTempDir('incidentflow-drill-postgres-')
  dataDir = path.join(tempDir, 'pg')
  port = await freePort()
  postgres = await startPostgres()
  url = postgres.url()
  await migrate(url)
  // Connections cut by the stop are expected; the pool reconnects on the next query.
  owner = new pg.Pool({ connectionString: url, max: 2 })
  owner.on('error', () => {})
  stack = await startDrillStack(path.join(tempDir, 'stack'), url)
})

afterAll(async () => {
  await stack?.stop().catch(() => {})
  await stopEverything()
  await owner?.end().catch(() => {})
  await postgres?.stop().catch(() => {})
  if (tempDir) await rm(tempDir, { recursive: true, force: true })
})

it(`answers 503 while PostgreSQL is stopped for ${OUTAGE_MS / 1000} s under load from ${USERS} users, recovers by itself, the workers go on, and the audit chains verify`, async () => {
  const s = stack!
  const [{ id: organizationId }] = (await query<{ id: string }>(
    'insert into organization (name, slug) values ($1, $2) returning id',
    ['Outage Drill', `outage-${randomBytes(3).toString('hex')}`],
  )) as [{ id: string }]
  const tally = new Tally()
  const ledger = new Ledger()
  const accounts = await createAccounts(query, organizationId, [
    ...Array<'engineer'>(USERS).fill('engineer'),
    'admin',
  ])
  const [admin, ...users] = accounts
    .reverse()
    .map((account) => new User(s.nginx.url, account, tally, ledger))
  const incidents = new Map<User, number>()
  await admin!.signIn()
  for (const user of users) {
    await user.signIn()
    const number = await user.declare()
    expect(number, tally.report('setup')).toBeDefined()
    incidents.set(user, number!)
  }

  const load = runLoad(users, async (user, round) => {
    const failedBefore = tally.failed
    if (round % 2 === 0) await user.read('list', '/incidents')
    else await user.comment(incidents.get(user)!)
    // A person whose page failed waits a moment before trying again.
    if (tally.failed > failedBefore) await sleep(250)
  })
  const served = (p: number) => tally.servedBy.get(`127.0.0.1:${p}`) ?? 0
  const answered = () => tally.sent - tally.failed
  /** Each web process's own answer to a signed-in page read, around nginx. */
  const direct = () =>
    Promise.all(
      s.webs.map((w) =>
        send(w.url, 'GET', '/incidents', { cookie: users[0]!.cookie() }).then(
          (a) => a.status,
          (error: RequestFailed) => (error.hung ? 'hung' : 'no connection'),
        ),
      ),
    )
  const describe = () => `${tally.report('so far')}\n${s.describe()}`
  try {
    await waitUntil(
      'both web processes to serve the load',
      () => s.webs.every((w) => served(w.port) >= 10),
      { describe },
    )
    const failedBefore = tally.failed

    await postgres!.stop()
    const stoppedAt = Date.now()
    const sentAtStop = tally.sent
    const outage: Array<number | string> = []
    const readiness: number[] = []
    while (Date.now() - stoppedAt < OUTAGE_MS) {
      outage.push(...(await direct()))
      readiness.push(...(await Promise.all(s.webs.map((w) => probe(`${w.url}/readyz`)))))
      await sleep(500)
    }
    const sentDuringOutage = tally.sent - sentAtStop
    const failedDuringOutage = tally.failed - failedBefore

    postgres = await startPostgres()
    const startedAt = Date.now()
    const answeredAtStart = answered()
    await waitUntil(
      'both web processes to serve pages again',
      async () => (await direct()).every((status) => status === 200),
      { describe },
    )
    const recoveredMs = Date.now() - startedAt
    await waitUntil(
      'the users’ requests to succeed again',
      () => answered() >= answeredAtStart + 20,
      {
        describe,
      },
    )

    // A job enqueued after the restart is processed: an invitation e-mail, sent by a worker (to
    // the local outbox, where a delivered e-mail is `held`).
    const invitee = `drill-invitee-${randomBytes(4).toString('hex')}@example.test`
    const invited = await send(s.nginx.url, 'POST', '/admin/members', {
      cookie: admin!.cookie(),
      body: { form: { intent: 'invite', email: invitee, role: 'engineer' } },
    })
    expect(invited.status, invited.body.slice(0, 300)).toBe(302)
    await waitUntil(
      'a worker to send the invitation e-mail',
      async () =>
        (
          await query<{ status: string }>(`select status from email_outbox where to_address = $1`, [
            invitee,
          ])
        )[0]?.status === 'held',
      { describe },
    )
    await load.stop()

    const writes = await compareWithDatabase(query, organizationId, ledger)
    const audit = await auditVerify(url)
    const count = (list: Array<number | string>) =>
      JSON.stringify(
        list.reduce<Record<string, number>>((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {}),
      )
    console.log(
      `${tally.report(`PostgreSQL stopped for ${OUTAGE_MS / 1000} s, ${USERS} users`)}\n` +
        `  during the outage: ${sentDuringOutage} requests through nginx, ${failedDuringOutage} failed; ` +
        `the web processes answered pages directly ${count(outage)}, /readyz ${count(readiness)}\n` +
        `  both web processes served pages again ${(recoveredMs / 1000).toFixed(1)} s after PostgreSQL started; ` +
        `invitation e-mail sent by a worker\n` +
        `  writes answered ${JSON.stringify(writes.answered)}, stored ${JSON.stringify(writes.stored)}, ` +
        `lost ${writes.lost.comments.length + writes.lost.incidents.length}; ${ledger.unanswered.size} refused, ` +
        `${writes.committedUnanswered} of them committed\n` +
        `  npm run audit:verify: ${audit.output}`,
    )
    expect(failedBefore, 'no failures before the outage').toBe(0)
    // The web processes answered every page read 503 (busy, try again), none hung or dropped it.
    expect(outage.length).toBeGreaterThan(0)
    expect(outage.filter((status) => status !== 503)).toEqual([])
    expect(readiness.filter((status) => status !== 503)).toEqual([])
    expect(tally.hung).toBe(0)
    // Through nginx too: 503 (from a web process, or from nginx while both are out of rotation).
    expect(s.serverErrors()).toEqual([])
    expect([...tally.statuses.keys()].filter((st) => /^5/.test(st) && st !== '503')).toEqual([])
    expect(writes.lost).toEqual({ incidents: [], comments: [], uploads: [] })
    expect([...s.webs, ...s.workers].filter((p) => !p.alive()).map((p) => p.name)).toEqual([])
    expect(audit.code, audit.output).toBe(0)
    expect(audit.output).toMatch(/^OK \(/)
  } finally {
    await load.stop()
  }
})
