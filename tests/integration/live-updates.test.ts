import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { setActive } from '~/domain/access/members.server'
import { appendEvent, lockIncident } from '~/domain/incident/event-store.server'
import { addComment, declareIncident } from '~/domain/incident/incident-service.server'
import { createHttpApp } from '~/server/http-app.server'
import { LiveHub, type LiveHubOptions } from '~/server/live-hub.server'
import { createObjectStore } from '~/utils/storage/create-store.server'
import {
  actorOf,
  createMember,
  signIn,
  silentLogger,
  testEnv,
  type TestMember,
} from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { openSse, type SseMessage, type SseStream } from '../support/sse-client'

const db = setUpTestDatabase('live_updates')

interface LiveApp {
  baseUrl: string
  hub: LiveHub
  close: () => Promise<void>
}

const apps: LiveApp[] = []
const streams: SseStream[] = []

/** The real express app with a live hub LISTENing on the test database; no Remix build. */
async function startLiveApp(options: Partial<LiveHubOptions> = {}): Promise<LiveApp> {
  const env = testEnv(db)
  const hub = new LiveHub({ orm: db.orm, url: db.url, logger: silentLogger, ...options })
  await hub.whenListening()
  const app = createHttpApp({
    env,
    orm: db.orm,
    boss: db.boss,
    store: createObjectStore(env),
    logger: silentLogger,
    getBuild: async (): Promise<ServerBuild> => {
      throw new Error('no Remix build in this test')
    },
    publicDir: 'tests/support/no-public-dir',
    live: hub,
  })
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  const running: LiveApp = {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hub,
    close: async () => {
      await hub.stop()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  apps.push(running)
  return running
}

async function open(app: LiveApp, path: string, cookie?: string, headers = {}) {
  const stream = await openSse(`${app.baseUrl}${path}`, {
    ...(cookie ? { Cookie: cookie } : {}),
    'Accept-Encoding': 'gzip, deflate, br',
    ...headers,
  })
  streams.push(stream)
  return stream
}

const isChange = (m: SseMessage) => m.event === 'change'
const seqOf = (m: SseMessage) => (m.data as { seq: number }).seq

/** Who acts, as the incident commands receive it. */
function actor(member: TestMember) {
  return {
    ...actorOf(member),
    organization: { id: member.organizationId, name: 'Org', slug: 'org', timezone: 'UTC' },
  }
}

async function engineerWithSession(organizationId = db.organizationId, name?: string) {
  const member = await createMember(db, { organizationId, role: 'engineer', displayName: name })
  const session = await signIn(db, member)
  return { member, cookie: session.cookie, sessionId: session.sessionId }
}

async function declare(member: TestMember, title = 'Checkout is down') {
  const { number } = await declareIncident(db.orm, actor(member), {
    title,
    summary: 'Payments fail',
    severity: 'SEV-2',
  })
  const [row] = await db.query<{ version: number }>(
    'select version from incident where organization_id = $1 and number = $2',
    [member.organizationId, number],
  )
  return { number, version: row!.version }
}

let app: LiveApp

beforeAll(async () => {
  app = await startLiveApp()
})

afterAll(async () => {
  for (const s of streams) s.close()
  for (const a of apps) await a.close()
})

describe('live incident stream', () => {
  it('sends a committed comment, unbuffered, and nothing for a rolled-back one', async () => {
    const { member, cookie } = await engineerWithSession()
    const incident = await declare(member)
    const stream = await open(app, `/live/incidents/${incident.number}`, cookie)
    expect(stream.status).toBe(200)
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    expect(stream.headers.get('cache-control')).toBe('no-cache, no-transform')
    expect(stream.headers.get('x-accel-buffering')).toBe('no')
    // Compression would hold events back until its buffer fills.
    expect(stream.headers.get('content-encoding')).toBeNull()

    // An event appended in a transaction that rolls back is never announced.
    await expect(
      db.inOrg(async (em) => {
        const locked = await lockIncident(em, db.organizationId, incident.number, undefined)
        await appendEvent(em, locked, 'comment.added', { body: 'never' }, member.userId, new Date())
        throw new Error('rolled back on purpose')
      }),
    ).rejects.toThrow('rolled back on purpose')
    await addComment(db.orm, actor(member), incident.number, { body: 'Rolled back the deploy' })

    const change = await stream.next(isChange)
    expect(change).toEqual({
      event: 'change',
      id: String(incident.version + 1),
      data: { seq: incident.version + 1, type: 'comment.added' },
    })
    await app.hub.settled()
    expect(stream.messages.filter(isChange)).toHaveLength(1)
    expect(stream.retries).toEqual([3000])
    // Only the seq and type travel, never the text.
    expect(JSON.stringify(stream.messages)).not.toContain('Rolled back the deploy')
  })

  it('answers 401 signed out and 404 for another organization’s incident or none', async () => {
    const { member } = await engineerWithSession()
    const incident = await declare(member)
    const before = app.hub.size
    const signedOut = await open(app, `/live/incidents/${incident.number}`)
    expect(signedOut.status).toBe(401)

    const otherOrganization = await db.createOrganization('Elsewhere')
    const outsider = await engineerWithSession(otherOrganization)
    // The other organization has incidents numbered 1.. too; this number is not one of them.
    const theirs = await declare(outsider.member)
    const mine = await declare(member)
    const number = Math.max(mine.number, theirs.number) + 1
    await declare(member)
    const wrongOrganization = await open(app, `/live/incidents/${number}`, outsider.cookie)
    expect(wrongOrganization.status).toBe(404)
    expect(wrongOrganization.text).toBe('Incident not found')
    expect((await open(app, '/live/incidents/abc', outsider.cookie)).status).toBe(404)
    expect(app.hub.size).toBe(before)
  })

  it('never forwards another organization’s events to an organization stream', async () => {
    const { member, cookie } = await engineerWithSession()
    const otherOrganization = await db.createOrganization('Neighbour')
    const neighbour = await engineerWithSession(otherOrganization)
    const stream = await open(app, '/live/incidents', cookie)
    expect(stream.status).toBe(200)
    await declare(neighbour.member, 'Their outage')
    const mine = await declare(member, 'Our outage')
    const change = await stream.next(isChange)
    expect(change.data).toEqual({ number: mine.number, seq: 1 })
    await app.hub.settled()
    expect(stream.messages.filter(isChange)).toHaveLength(1)
  })

  it('answers 404 for a private incident to a non-participant, and keeps it off organization streams', async () => {
    const { member: commander, cookie: commanderCookie } = await engineerWithSession()
    const { cookie: outsiderCookie } = await engineerWithSession()
    const { number } = await declareIncident(db.orm, actor(commander), {
      title: 'Private matter',
      summary: '',
      severity: 'SEV-3',
      private: true,
    })
    const refused = await open(app, `/live/incidents/${number}`, outsiderCookie)
    expect(refused.status).toBe(404)
    expect(refused.text).toBe('Incident not found')
    const own = await open(app, `/live/incidents/${number}`, commanderCookie)
    expect(own.status).toBe(200)
    const list = await open(app, '/live/incidents', outsiderCookie)
    expect(list.status).toBe(200)
    await addComment(db.orm, actor(commander), number, { body: 'Only for the participants' })
    expect(seqOf(await own.next(isChange))).toBe(2)
    const shown = await declare(commander, 'A public outage')
    expect((await list.next(isChange)).data).toEqual({ number: shown.number, seq: 1 })
    await app.hub.settled()
    expect(list.messages.filter(isChange)).toHaveLength(1)
  })

  it('ends the stream of a member deactivated meanwhile, before sending them anything more', async () => {
    const admin = await createMember(db, { role: 'admin' })
    const { member, cookie } = await engineerWithSession()
    const incident = await declare(admin)
    const stream = await open(app, `/live/incidents/${incident.number}`, cookie)
    expect(stream.status).toBe(200)

    await setActive(db.orm, actorOf(admin), member.membershipId, false)
    await addComment(db.orm, actor(admin), incident.number, { body: 'Internal note' })
    await stream.ended
    expect(stream.messages.filter(isChange)).toEqual([])
    // And a new stream is refused: the session has no organization any more.
    expect((await open(app, `/live/incidents/${incident.number}`, cookie)).status).toBe(403)
  })

  it('resumes after Last-Event-ID with every missed event once, in order', async () => {
    const { member, cookie } = await engineerWithSession()
    const incident = await declare(member)
    const acting = actor(member)
    const before = app.hub.size
    const first = await open(app, `/live/incidents/${incident.number}`, cookie)
    await addComment(db.orm, acting, incident.number, { body: 'one' })
    const seen = await first.next(isChange)
    first.close()
    await vi.waitFor(() => expect(app.hub.size).toBe(before))

    // Missed while disconnected…
    for (const body of ['two', 'three', 'four']) {
      await addComment(db.orm, acting, incident.number, { body })
    }
    // …and more committed while the resumed stream reads what it missed.
    const writing = (async () => {
      for (const body of ['five', 'six', 'seven', 'eight']) {
        await addComment(db.orm, acting, incident.number, { body })
      }
    })()
    const resumed = await open(app, `/live/incidents/${incident.number}`, cookie, {
      'Last-Event-ID': seen.id!,
    })
    await writing
    const last = seqOf(seen) + 7
    await resumed.next((m) => isChange(m) && seqOf(m) === last)
    const seqs = resumed.messages.filter(isChange).map(seqOf)
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => seqOf(seen) + n))
    expect(resumed.messages.filter(isChange).map((m) => m.id)).toEqual(seqs.map(String))
  })

  it('starts after the seq the page was rendered from (`since`)', async () => {
    const { member, cookie } = await engineerWithSession()
    const incident = await declare(member)
    await addComment(db.orm, actor(member), incident.number, { body: 'after render' })
    const stream = await open(
      app,
      `/live/incidents/${incident.number}?since=${incident.version}`,
      cookie,
    )
    const change = await stream.next(isChange)
    expect(seqOf(change)).toBe(incident.version + 1)
  })

  it('sends heartbeat comments on an idle stream', async () => {
    const quick = await startLiveApp({ heartbeatMs: 50 })
    const { member, cookie } = await engineerWithSession()
    const incident = await declare(member)
    const stream = await open(quick, `/live/incidents/${incident.number}`, cookie)
    await stream.nextComment('heartbeat')
    expect(stream.messages.filter(isChange)).toEqual([])
  })

  it('refuses a seventh stream of one session with 429, and takes one again after a close', async () => {
    const { member, cookie } = await engineerWithSession()
    const incident = await declare(member)
    const before = app.hub.size
    const six = []
    for (let i = 0; i < 6; i++)
      six.push(await open(app, `/live/incidents/${incident.number}`, cookie))
    expect(six.map((s) => s.status)).toEqual([200, 200, 200, 200, 200, 200])
    const seventh = await open(app, '/live/incidents', cookie)
    expect(seventh.status).toBe(429)
    expect(seventh.headers.get('retry-after')).toBe('10')
    // Another session of the same person is counted apart.
    const other = await signIn(db, member)
    expect((await open(app, '/live/incidents', other.cookie)).status).toBe(200)

    six[0]!.close()
    await vi.waitFor(() => expect(app.hub.size).toBe(before + 6))
    expect((await open(app, '/live/incidents', cookie)).status).toBe(200)
  })

  it('tells every stream to resync after its listener connection was lost and came back', async () => {
    const { member, cookie } = await engineerWithSession()
    const incident = await declare(member)
    const stream = await open(app, `/live/incidents/${incident.number}`, cookie)
    expect(stream.status).toBe(200)
    // What was committed while the connection was down is never heard of: the page must reload.
    await db.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where application_name = 'incidentflow-listener' and datname = current_database()`,
    )
    await stream.next((m) => m.event === 'resync')
    // And it keeps following the incident on the new connection.
    await addComment(db.orm, actor(member), incident.number, { body: 'after the reconnection' })
    const change = await stream.next(isChange)
    expect(seqOf(change)).toBe(incident.version + 1)
  })

  it('ends every stream when the process stops, and refuses new ones', async () => {
    const stopping = await startLiveApp()
    const { member, cookie } = await engineerWithSession()
    const incident = await declare(member)
    const stream = await open(stopping, `/live/incidents/${incident.number}`, cookie)
    stopping.hub.closeAll()
    await stream.ended
    expect((await open(stopping, '/live/incidents', cookie)).status).toBe(503)
  })
})

describe('presence', () => {
  it('shows who else is viewing, across two processes, and drops them when they leave', async () => {
    const second = await startLiveApp()
    const ada = await engineerWithSession(db.organizationId, 'Ada Lovelace')
    const grace = await engineerWithSession(db.organizationId, 'Grace Hopper')
    const incident = await declare(ada.member)

    const onFirst = await open(app, `/live/incidents/${incident.number}`, ada.cookie)
    const onSecond = await open(second, `/live/incidents/${incident.number}`, grace.cookie)
    const presence = (m: SseMessage) => m.event === 'presence'
    const names = (m: SseMessage) => (m.data as { viewers: string[] }).viewers

    const withGrace = await onFirst.next((m) => presence(m) && names(m).includes('Grace Hopper'))
    expect(names(withGrace)).toEqual(['Grace Hopper'])
    const withAda = await onSecond.next((m) => presence(m) && names(m).includes('Ada Lovelace'))
    // Nobody is told about themselves.
    expect(names(withAda)).toEqual(['Ada Lovelace'])

    const seen = onFirst.messages.length
    onSecond.close()
    const alone = await onFirst.next((m) => presence(m) && names(m).length === 0, seen)
    expect(names(alone)).toEqual([])
  })

  it('forgets a process that stopped announcing', async () => {
    // Linus must be shown before his set expires: no coalescing delay here, and an expiry long
    // enough for a loaded machine.
    const watcher = await startLiveApp({
      presenceHeartbeatMs: 100,
      presenceExpireMs: 2_000,
      presenceDelayMs: 0,
    })
    const silent = await startLiveApp()
    const ada = await engineerWithSession(db.organizationId, 'Ada Byron')
    const linus = await engineerWithSession(db.organizationId, 'Linus Pauling')
    const incident = await declare(ada.member)
    const watching = await open(watcher, `/live/incidents/${incident.number}`, ada.cookie)
    const names = (m: SseMessage) => (m.data as { viewers: string[] }).viewers
    // The silent process announces once when Linus joins, then never again (as if it died).
    const announced = silent.hub.announce
    let joined = false
    silent.hub.announce = (a) => {
      if (!joined) announced(a)
      joined = true
    }
    await open(silent, `/live/incidents/${incident.number}`, linus.cookie)
    await watching.next((m) => m.event === 'presence' && names(m).includes('Linus Pauling'))
    const seen = watching.messages.length
    await watching.next((m) => m.event === 'presence' && names(m).length === 0, seen)
  })
})
