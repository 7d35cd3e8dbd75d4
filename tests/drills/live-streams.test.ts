import { spawn, type ChildProcess } from 'node:child_process'
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { declareIncident } from '~/domain/incident/incident-service.server'
import { actorOf, createMember, signIn, testEnv, type TestMember } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import {
  nginxBinary,
  nginxConfig,
  probe,
  startDrillStack,
  stopEverything,
  waitUntil,
  type DrillStack,
} from '../support/drill-stack'
import { freePort, makeServerTempDir } from '../support/postgres-server'
import { openSse, type SseMessage, type SseStream } from '../support/sse-client'

// Live streams on the production bundles: two web processes behind nginx (decision 033). A
// comment posted to one process reaches a stream held open by the other, through nginx with its
// default response buffering on (the stack's own nginx turns buffering off everywhere), and the
// viewer on the other process shows in the stream's presence. The streams also send
// `X-Accel-Buffering: no` for proxies configured to hold responses back; with nginx's defaults
// the events pass without it (checked by hand against a build without the header), so this drill
// proves the path, not the header. Assertions are about what arrives, never how fast.

const db = setUpTestDatabase('drills_live')
let dir: string
let stack: DrillStack | undefined
let bufferingNginx: ChildProcess | undefined
let bufferingUrl: string
const streams: SseStream[] = []

beforeAll(async () => {
  dir = await makeServerTempDir('incidentflow-drills-live-')
  stack = await startDrillStack(dir, db.url, { workerCount: 0 })
  // A second nginx in front of the same processes, with nginx's default response buffering on
  // (the stack's own turns it off for every location).
  const nginxDir = path.join(dir, 'nginx-buffering')
  await mkdir(nginxDir, { recursive: true })
  await chmod(nginxDir, 0o777)
  const port = await freePort()
  const config = nginxConfig({
    dir: nginxDir,
    port,
    upstreams: stack.webs.map((w) => w.port),
  }).replace('proxy_buffering off;', 'proxy_buffering on;')
  expect(config).toContain('proxy_buffering on;')
  const conf = path.join(nginxDir, 'nginx.conf')
  await writeFile(conf, config)
  bufferingNginx = spawn(
    nginxBinary()!,
    ['-p', nginxDir, '-c', conf, '-e', `${nginxDir}/error.log`],
    {
      stdio: 'ignore',
    },
  )
  bufferingUrl = `http://127.0.0.1:${port}`
  await waitUntil(
    'the buffering nginx to answer',
    async () => (await probe(`${bufferingUrl}/healthz`)) === 200,
  )
})

afterAll(async () => {
  for (const s of streams) s.close()
  bufferingNginx?.kill('SIGQUIT')
  await stack?.stop().catch(() => {})
  await stopEverything()
  if (dir) await rm(dir, { recursive: true, force: true })
})

/** A member signed in with the stack's session secret (the cookie its processes accept). */
async function signedIn(organizationId: string, name: string) {
  const member = await createMember(db, { organizationId, role: 'admin', displayName: name })
  const env = testEnv(db, {
    SESSION_SECRET: stack!.settings.sessionSecret,
    APP_URL: stack!.settings.appUrl,
  })
  const { cookie } = await signIn(db, member, env)
  return { member, cookie }
}

function actor(member: TestMember) {
  return {
    ...actorOf(member),
    organization: { id: member.organizationId, name: 'Live', slug: 'live', timezone: 'UTC' },
  }
}

const portOf = (upstream: string | null) =>
  Number(upstream?.split(',').at(-1)?.trim().split(':')[1])

describe('live streams across two web processes', () => {
  it('a comment posted to process B reaches a stream open on process A through nginx', async () => {
    const s = stack!
    const organizationId = await db.createOrganization('Live Drill')
    const ada = await signedIn(organizationId, 'Ada Drill')
    const bob = await signedIn(organizationId, 'Bob Drill')
    const { number } = await declareIncident(db.orm, actor(ada.member), {
      title: 'Replication lag',
      summary: 'Replica behind by minutes',
      severity: 'SEV-2',
    })

    const stream = await openSse(`${bufferingUrl}/live/incidents/${number}`, { Cookie: ada.cookie })
    streams.push(stream)
    expect(stream.status).toBe(200)
    const portA = portOf(stream.headers.get('x-upstream'))
    const other = s.webs.find((w) => w.port !== portA)
    expect(other, `the stream is on one of the stack's processes (${portA})`).toBeDefined()

    // Bob looks at the incident on process B: Ada's stream, on A, names him.
    const bobs = await openSse(`http://127.0.0.1:${other!.port}/live/incidents/${number}`, {
      Cookie: bob.cookie,
    })
    streams.push(bobs)
    expect(bobs.status).toBe(200)
    const names = (m: SseMessage) => (m.data as { viewers: string[] }).viewers
    await stream.next((m) => m.event === 'presence' && names(m).includes('Bob Drill'))

    // Bob comments through process B, as the page's form does.
    const [row] = await db.query<{ version: number }>(
      'select version from incident where organization_id = $1 and number = $2',
      [organizationId, number],
    )
    const posted = await fetch(`http://127.0.0.1:${other!.port}/incidents/${number}`, {
      method: 'POST',
      // Straight to process B, as nginx would pass it on.
      headers: {
        Cookie: bob.cookie,
        Origin: s.settings.appUrl,
        'X-Forwarded-Host': new URL(s.settings.appUrl).host,
      },
      body: new URLSearchParams({
        intent: 'comment',
        version: String(row!.version),
        body: 'Failover started',
      }),
      redirect: 'manual',
    })
    expect(posted.status, await posted.clone().text()).toBe(302)

    const change = await stream.next((m) => m.event === 'change')
    expect(change.data).toEqual({ seq: row!.version + 1, type: 'comment.added' })
    expect(change.id).toBe(String(row!.version + 1))
  })

  it('ends its streams on SIGTERM without holding up the drain, and the stream resumes elsewhere', async () => {
    const s = stack!
    const organizationId = await db.createOrganization('Live Restart')
    const cy = await signedIn(organizationId, 'Cy Drill')
    const { number } = await declareIncident(db.orm, actor(cy.member), {
      title: 'Cache stampede',
      summary: 'Hit ratio fell',
      severity: 'SEV-3',
    })
    const index = 0
    const stream = await openSse(
      `http://127.0.0.1:${s.webs[index]!.port}/live/incidents/${number}`,
      {
        Cookie: cy.cookie,
      },
    )
    streams.push(stream)
    expect(stream.status).toBe(200)

    const old = s.webs[index]!
    const { exit, replacement } = await s.restartWeb(index)
    expect(exit, 'stopped cleanly on SIGTERM').toEqual({ code: 0, signal: null })
    await stream.ended
    // Draining did not wait for the stream: nothing was left to cut off after forceAfterMs (an
    // error line, which LOG_LEVEL=warn prints).
    expect(old.output()).not.toMatch(/requests still open after/)
    expect(replacement.alive()).toBe(true)

    // The browser comes back through nginx and resumes after the last event it saw.
    const resumed = await openSse(`${s.nginx.url}/live/incidents/${number}`, {
      Cookie: cy.cookie,
      'Last-Event-ID': '0',
    })
    streams.push(resumed)
    expect(resumed.status).toBe(200)
    const first = await resumed.next((m) => m.event === 'change')
    expect(first).toMatchObject({ id: '1', data: { seq: 1, type: 'incident.declared' } })
  })
})
