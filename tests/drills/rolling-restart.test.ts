import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { setUpTestDatabase } from '../support/database'
import {
  Ledger,
  Tally,
  User,
  compareWithDatabase,
  createAccounts,
  runLoad,
} from '../support/drill-load'
import { startDrillStack, stopEverything, waitUntil, type DrillStack } from '../support/drill-stack'
import { makeServerTempDir } from '../support/postgres-server'

// Two web processes (`node build/server.js`) and two workers behind nginx; users read the list
// and an incident page and add comments without pause while each web process in turn gets
// SIGTERM and is replaced, as a deployment does it. Graceful shutdown and nginx's retries must
// make every one of their requests succeed.

const USERS = 8
const db = setUpTestDatabase('drill_rolling_restart')
let dir: string
let stack: DrillStack | undefined

beforeAll(async () => {
  dir = await makeServerTempDir('incidentflow-drill-rolling-')
  stack = await startDrillStack(dir, db.url)
})

afterAll(async () => {
  await stack?.stop().catch(() => {})
  await stopEverything()
  if (dir) await rm(dir, { recursive: true, force: true })
})

it(`restarts each of 2 web processes under steady load from ${USERS} users and loses 0 requests`, async () => {
  const s = stack!
  const tally = new Tally()
  const ledger = new Ledger()
  const accounts = await createAccounts(db.query, db.organizationId, Array(USERS).fill('engineer'))
  const users = accounts.map((a) => new User(s.nginx.url, a, tally, ledger))
  const incidents = new Map<User, number>()
  for (const user of users) {
    await user.signIn()
    const number = await user.declare()
    expect(number, tally.report('setup')).toBeDefined()
    incidents.set(user, number!)
  }

  const load = runLoad(users, async (user, round) => {
    const number = incidents.get(user)!
    if (round % 2 === 0) await user.read('list', '/incidents')
    else await user.comment(number)
  })
  const served = (port: number) => tally.servedBy.get(`127.0.0.1:${port}`) ?? 0
  try {
    await waitUntil(
      'both web processes to serve the load',
      () => s.webs.every((w) => served(w.port) >= 10),
      { describe: () => `${tally.report('so far')}\n${s.describe()}` },
    )

    const restarts: string[] = []
    for (const index of [0, 1]) {
      const port = s.webs[index]!.port
      const sentBefore = tally.sent
      const { exit, replacement } = await s.restartWeb(index)
      expect(exit, `${replacement.name} stopped on SIGTERM`).toEqual({ code: 0, signal: null })
      const during = tally.sent - sentBefore
      // The next restart waits until nginx sends requests to the new process again.
      const servedBefore = served(port)
      await waitUntil(
        `the new ${replacement.name} to serve requests through nginx`,
        () => served(port) >= servedBefore + 10,
        { describe: () => `${tally.report('so far')}\n${s.describe()}` },
      )
      restarts.push(`${replacement.name}: ${during} requests sent while it stopped and restarted`)
      expect(during, 'the restart happened under load').toBeGreaterThan(0)
    }

    await load.stop()
    const writes = await compareWithDatabase(db.query, db.organizationId, ledger)
    console.log(
      `${tally.report(`Rolling restart of 2 web processes, ${USERS} users`)}\n  ${restarts.join('\n  ')}\n` +
        `  writes answered ${JSON.stringify(writes.answered)}, stored ${JSON.stringify(writes.stored)}`,
    )
    expect(tally.failed, tally.report('failed requests')).toBe(0)
    expect(tally.hung).toBe(0)
    expect(writes.lost).toEqual({ incidents: [], comments: [], uploads: [] })
    expect(writes.stored.comments).toBe(writes.answered.comments)
  } finally {
    await load.stop()
  }
})
