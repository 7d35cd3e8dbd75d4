import type { ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { THROTTLE } from '~/domain/access/accounts.server'
import { createMember } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { loadRemixBuild } from '../support/remix-build'

/**
 * Sign-in throttling per address over real HTTP, keyed on the client address as Express derives
 * it through TRUST_PROXY: behind a trusted proxy, two clients (two X-Forwarded-For addresses) are
 * throttled apart and the address a client writes itself is not believed; with TRUST_PROXY off
 * the header is ignored and every request is the proxy's (the socket's) address.
 */

const db = setUpTestDatabase('client_address')
const PASSWORD = 'correct horse battery staple 42'

let build: ServerBuild
const apps: RunningApp[] = []

beforeAll(async () => {
  build = await loadRemixBuild()
})
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()))
})

async function start(env: Record<string, string>) {
  const app = await startInProcessApp(db, build, env)
  apps.push(app)
  return app
}

/** As many failed sign-ins from `ip`, just now, as lock an address for the window. */
async function lockAddress(ip: string) {
  await db.query(
    `insert into login_attempt (email, ip, succeeded, created_at)
     select 'sprayed-' || g || '@example.test', $1, false, now()
       from generate_series(1, $2::int) g`,
    [ip, THROTTLE.perAddress],
  )
}

function logIn(app: RunningApp, email: string, forwardedFor: string, password = PASSWORD) {
  return app.post('/login', { email, password, redirectTo: '', website: '' }, { ip: forwardedFor })
}

describe('behind a trusted proxy (TRUST_PROXY=true)', () => {
  let app: RunningApp
  beforeAll(async () => {
    app = await start({ TRUST_PROXY: 'true' })
  })

  it('throttles two clients behind the proxy apart', async () => {
    const person = await createMember(db, { role: 'engineer', password: PASSWORD })
    await lockAddress('10.77.0.1')
    const locked = await logIn(app, person.email, '10.77.0.1')
    expect(locked.status).toBe(429)
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    const other = await logIn(app, person.email, '10.77.0.2')
    expect(other.status).toBe(302)
    expect(other.headers.get('set-cookie')).toMatch(/session=/)
  })

  it('believes only the address the proxy added, not one the client wrote before it', async () => {
    const person = await createMember(db, { role: 'engineer', password: PASSWORD })
    await lockAddress('10.77.1.1')
    // The client claims another address; the proxy appends the one it saw.
    expect((await logIn(app, person.email, '10.77.1.9, 10.77.1.1')).status).toBe(429)
    // A client may not claim the locked address either.
    expect((await logIn(app, person.email, '10.77.1.1, 10.77.1.3')).status).toBe(302)
    const recorded = await db.query<{ ip: string }>(
      `select ip from login_attempt where email = $1 and succeeded`,
      [person.email],
    )
    expect(recorded).toEqual([{ ip: '10.77.1.3' }])
  })
})

describe('behind a proxy named by address (TRUST_PROXY=loopback)', () => {
  it('reads the client address the loopback proxy added', async () => {
    const app = await start({ TRUST_PROXY: 'loopback' })
    const person = await createMember(db, { role: 'engineer', password: PASSWORD })
    await lockAddress('10.77.2.1')
    expect((await logIn(app, person.email, '10.77.2.1')).status).toBe(429)
    expect((await logIn(app, person.email, '10.77.2.2')).status).toBe(302)
  })
})

describe('without TRUST_PROXY', () => {
  it('ignores X-Forwarded-For: every request is the address it came from', async () => {
    const app = await start({ TRUST_PROXY: 'false' })
    const person = await createMember(db, { role: 'engineer', password: PASSWORD })
    const failed = await logIn(app, person.email, '10.77.3.1', 'not the password 1234567')
    expect(failed.status).toBe(400)
    const [attempt] = await db.query<{ ip: string }>(
      `select ip from login_attempt where email = $1`,
      [person.email],
    )
    expect(attempt!.ip).not.toBe('10.77.3.1')
    expect(attempt!.ip).toMatch(/127\.0\.0\.1$/)

    await lockAddress(attempt!.ip)
    // Whatever the header says, it is the same (locked) address.
    expect((await logIn(app, person.email, '10.77.3.2')).status).toBe(429)
    expect((await logIn(app, person.email, '10.77.3.3')).status).toBe(429)
  })
})
