import { rm } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Role } from '~/domain/access/permissions'
import { setUpTestDatabase } from '../support/database'
import {
  Ledger,
  Tally,
  User,
  compareWithDatabase,
  createAccounts,
  runLoad,
} from '../support/drill-load'
import {
  auditVerify,
  startDrillStack,
  startWeb,
  stopEverything,
  waitUntil,
  type DrillStack,
} from '../support/drill-stack'
import { makeServerTempDir } from '../support/postgres-server'

// Fault drills on the production bundles: two web processes (`build/server.js` with the web process's Node flags) and two
// workers (`node build/worker.js`) on one database, nginx in front (tests/support/drill-stack.ts
// has its configuration). Users are real HTTP clients that sign in through the log-in form and
// post the same forms a browser does. Each drill works in an organization of its own, so what
// the database holds can be compared with what each drill's users were told. The figures are
// printed; the assertions are counts (0 failed, 0 lost), never durations.

const db = setUpTestDatabase('drills_web')
let dir: string
let stack: DrillStack | undefined

beforeAll(async () => {
  dir = await makeServerTempDir('incidentflow-drills-')
  // A request waits up to 30 s for a pooled connection instead of the default 5: on a shared
  // two-core machine running other suites, 50 users can keep every connection of both processes
  // busy that long, and the 503 the process would answer then is load shedding (proven in
  // tests/integration/request-path.test.ts), not a lost request. The outage drill keeps 5 s.
  stack = await startDrillStack(dir, db.url, { webEnv: { DATABASE_ACQUIRE_TIMEOUT_MS: '30000' } })
})

afterAll(async () => {
  await stack?.stop().catch(() => {})
  await stopEverything()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** Users of a new organization, signed in through nginx, each with an incident of their own. */
async function crew(name: string, roles: Role[], tally: Tally, ledger: Ledger) {
  const organizationId = await db.createOrganization(name)
  const accounts = await createAccounts(db.query, organizationId, roles)
  const users = accounts.map((a) => new User(stack!.nginx.url, a, tally, ledger))
  const incidents = new Map<User, number>()
  // Ten at a time: signing in hashes a password, which keeps a core busy for a while.
  for (let i = 0; i < users.length; i += 10) {
    await Promise.all(
      users.slice(i, i + 10).map(async (user) => {
        await user.signIn()
        const number = await user.declare()
        if (number === undefined) throw new Error(tally.report('setup failed'))
        incidents.set(user, number)
      }),
    )
  }
  return { organizationId, users, incidents }
}

const served = (tally: Tally, port: number) => tally.servedBy.get(`127.0.0.1:${port}`) ?? 0

const lostCount = (lost: Record<string, string[]>) =>
  Object.values(lost).reduce((n, list) => n + list.length, 0)

describe('a rolling restart', () => {
  const USERS = 8

  it(`restarts each of 2 web processes under steady load from ${USERS} users and loses 0 requests`, async () => {
    const s = stack!
    const tally = new Tally()
    const ledger = new Ledger()
    const { organizationId, users, incidents } = await crew(
      'Rolling Restart',
      Array(USERS).fill('engineer'),
      tally,
      ledger,
    )
    const load = runLoad(users, async (user, round) => {
      if (round % 2 === 0) await user.read('list', '/incidents')
      else await user.comment(incidents.get(user)!)
    })
    try {
      await waitUntil(
        'both web processes to serve the load',
        () => s.webs.every((w) => served(tally, w.port) >= 10),
        { describe: () => `${tally.report('so far')}\n${s.describe()}` },
      )
      const restarts: string[] = []
      for (const index of [0, 1]) {
        const port = s.webs[index]!.port
        const sentBefore = tally.sent
        const restartStarted = Date.now()
        const { exit, replacement } = await s.restartWeb(index)
        const restartSeconds = ((Date.now() - restartStarted) / 1000).toFixed(1)
        expect(exit, `${replacement.name} stopped cleanly on SIGTERM`).toEqual({
          code: 0,
          signal: null,
        })
        const during = tally.sent - sentBefore
        expect(during, 'requests were sent while it stopped and restarted').toBeGreaterThan(0)
        // The next process stops only once nginx sends requests to the new one again.
        const servedBefore = served(tally, port)
        await waitUntil(
          `the new ${replacement.name} to serve requests through nginx`,
          () => served(tally, port) >= servedBefore + 3,
          { describe: () => `${tally.report('so far')}\n${s.describe()}` },
        )
        restarts.push(
          `${replacement.name}: ${during} requests sent while it stopped and restarted (${restartSeconds} s from SIGTERM to ready)`,
        )
      }
      await load.stop()

      const writes = await compareWithDatabase(db.query, organizationId, ledger)
      console.log(
        `${tally.report(`Rolling restart of 2 web processes, ${USERS} users`)}\n  ${restarts.join('\n  ')}\n` +
          `  writes answered ${JSON.stringify(writes.answered)}, stored ${JSON.stringify(writes.stored)}, lost ${lostCount(writes.lost)}`,
      )
      expect(tally.failed, tally.report('failed requests')).toBe(0)
      expect(tally.hung).toBe(0)
      expect(writes.lost).toEqual({ incidents: [], comments: [], uploads: [] })
      expect(writes.stored).toEqual(writes.answered)
    } finally {
      await load.stop()
    }
  })
})

describe('a web process killed', () => {
  const USERS = 8

  it(`keeps serving when 1 of 2 web processes is SIGKILLed under load from ${USERS} users, and loses 0 writes answered as saved`, async () => {
    const s = stack!
    const tally = new Tally()
    const ledger = new Ledger()
    const { organizationId, users, incidents } = await crew(
      'Killed Web',
      Array(USERS).fill('engineer'),
      tally,
      ledger,
    )
    const load = runLoad(users, async (user, round) => {
      const number = incidents.get(user)!
      if (round % 3 === 0) await user.read('list', '/incidents')
      else if (round % 3 === 1) await user.comment(number)
      else await user.upload(number)
    })
    const [killed, survivor] = [s.webs[0]!, s.webs[1]!]
    try {
      await waitUntil(
        'both web processes to serve the load',
        () => s.webs.every((w) => served(tally, w.port) >= 10),
        { describe: () => `${tally.report('so far')}\n${s.describe()}` },
      )
      const failedBefore = tally.failed
      // No shutdown handler runs: what it was doing is cut off.
      expect((await killed.stop('SIGKILL')).signal).toBe('SIGKILL')
      const sentAtKill = tally.sent
      const servedAtKill = served(tally, survivor.port)
      await waitUntil(
        `${survivor.name} to serve 30 more requests`,
        () => served(tally, survivor.port) >= servedAtKill + 30,
        { describe: () => `${tally.report('so far')}\n${s.describe()}` },
      )
      await load.stop()

      const writes = await compareWithDatabase(db.query, organizationId, ledger)
      console.log(
        `${tally.report(`1 of 2 web processes SIGKILLed, ${USERS} users`)}\n` +
          `  ${tally.sent - sentAtKill} requests after the kill, ${served(tally, survivor.port) - servedAtKill} answered by ${survivor.name}\n` +
          `  writes answered ${JSON.stringify(writes.answered)}, stored ${JSON.stringify(writes.stored)}, lost ${lostCount(writes.lost)}; ` +
          `${ledger.unanswered.size} cut off, ${writes.committedUnanswered} of them committed before the kill`,
      )
      expect(failedBefore, 'no failures before the kill').toBe(0)
      // Only what the killed process held may fail, at most one request per user: nginx repeats
      // a cut-off read elsewhere, never a write it had already sent.
      expect(tally.failed, tally.report('failed requests')).toBeLessThanOrEqual(USERS)
      expect(tally.hung).toBe(0)
      // A write cut off is answered by nginx: 503, try again.
      expect(s.serverErrors()).toEqual([])
      expect([...tally.statuses.keys()].filter((st) => /^5/.test(st) && st !== '503')).toEqual([])
      expect(writes.lost).toEqual({ incidents: [], comments: [], uploads: [] })
      expect(s.workers.every((w) => w.alive())).toBe(true)
    } finally {
      await load.stop()
      // The next drill runs on two web processes again.
      s.webs[0] = await startWeb(killed.name, killed.port, s.settings)
    }
  })
})

describe('50 users', () => {
  const SECONDS = Number(process.env.DRILL_SECONDS ?? 30)
  const ROLES: Role[] = [...Array<Role>(10).fill('manager'), ...Array<Role>(40).fill('engineer')]
  const STEPS = ['start-investigating', 'mark-mitigated', 'mark-resolved']

  it(`serve 50 users for ${SECONDS} s of mixed reads and writes with 0 errors, the audit chains intact and the counts matching`, async () => {
    const tally = new Tally()
    const ledger = new Ledger()
    const { organizationId, users, incidents } = await crew('Fifty Users', ROLES, tally, ledger)
    const nextStep = new Map<User, number>(users.map((u) => [u, 0]))

    // Each user starts at another step of the round, so every kind of request is made from the
    // first seconds on, however few rounds a loaded machine gets through.
    const load = runLoad(users, async (user, round) => {
      const number = incidents.get(user)!
      switch ((round + users.indexOf(user)) % 8) {
        case 0:
          await user.read('list', '/incidents')
          break
        case 1:
        case 5:
          await user.comment(number)
          break
        case 2: {
          // Along the lifecycle; once resolved, a new incident.
          const step = nextStep.get(user)!
          if (step < STEPS.length) {
            if (await user.transition(number, STEPS[step]!)) nextStep.set(user, step + 1)
          } else {
            const declared = await user.declare()
            if (declared !== undefined) {
              incidents.set(user, declared)
              nextStep.set(user, 0)
            }
          }
          break
        }
        case 3:
          await user.upload(number)
          break
        case 4:
          await user.read('detail', `/incidents/${number}`)
          break
        case 6:
          if (user.account.role === 'manager') await user.read('analytics', '/analytics')
          else await user.read('search', '/incidents?q=Drill')
          break
        default:
          await user.read('list', '/incidents?status=investigating')
      }
    })
    try {
      await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000))
    } finally {
      await load.stop()
    }

    const writes = await compareWithDatabase(db.query, organizationId, ledger)
    const [transitions] = await db.query<{ n: number }>(
      `select count(*)::int as n from incident_event
        where organization_id = $1 and type = 'incident.status_changed'`,
      [organizationId],
    )
    const audit = await auditVerify(db.url)
    console.log(
      `${tally.report(`50 users for ${SECONDS} s`)}\n` +
        `  writes answered ${JSON.stringify({ ...writes.answered, transitions: ledger.transitions.length })}, ` +
        `stored ${JSON.stringify({ ...writes.stored, transitions: transitions!.n })}, lost ${lostCount(writes.lost)}\n` +
        `  npm run audit:verify: ${audit.output}`,
    )
    expect(tally.failed, tally.report('failed requests')).toBe(0)
    expect(tally.hung).toBe(0)
    expect(writes.lost).toEqual({ incidents: [], comments: [], uploads: [] })
    expect(writes.stored).toEqual(writes.answered)
    expect(transitions!.n).toBe(ledger.transitions.length)
    expect(audit.code, audit.output).toBe(0)
    expect(audit.output).toMatch(/^OK \(/)
  })
})
