import os from 'node:os'
import path from 'node:path'
import { fsStore } from '~/utils/storage/fs-store.server'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ServerBuild } from '@remix-run/node'
import type { MikroORM } from '@mikro-orm/postgresql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEnv, webEnvSchema } from '~/utils/env.server'
import { createHttpApp } from '~/server/http-app.server'
import { createLogger } from '~/utils/logger.server'
import { migrationsList } from '../../db/migrations/list'
import { initORM } from '../../db/orm'
import { createDatabase, setUpTestDatabase, type CreatedDatabase } from '../support/database'

const logger = createLogger({ name: 'test', level: 'silent', pretty: false })
const db = setUpTestDatabase('http_app')

interface Running {
  baseUrl: string
  buildRequests: () => number
  close: () => Promise<void>
}

/**
 * The real express app with a database of the test's choosing. No Remix build is loaded: every
 * path exercised here is answered before the Remix handler, and getBuild counts its calls so a
 * test can prove that.
 */
async function startApp(options: { orm: MikroORM; isShuttingDown?: () => boolean }) {
  let buildRequests = 0
  const app = createHttpApp({
    env: parseEnv(webEnvSchema, { NODE_ENV: 'test', DATABASE_URL: db.url }),
    orm: options.orm,
    boss: db.boss,
    store: fsStore(path.join(os.tmpdir(), 'incidentflow-http-app-objects')),
    logger,
    getBuild: async (): Promise<ServerBuild> => {
      buildRequests++
      throw new Error('no Remix build in this test')
    },
    isShuttingDown: options.isShuttingDown,
    publicDir: 'tests/support/no-public-dir',
  })
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    buildRequests: () => buildRequests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  } satisfies Running
}

describe('express app on a migrated database', () => {
  let app: Running
  let shuttingDown = false

  beforeAll(async () => {
    app = await startApp({ orm: db.orm, isShuttingDown: () => shuttingDown })
  })
  afterAll(async () => {
    await app?.close()
  })

  it('answers /healthz with 200 and status ok, uncached', async () => {
    const response = await fetch(`${app.baseUrl}/healthz`)
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(await response.json()).toMatchObject({ status: 'ok' })
  })

  it('answers /readyz with 200 when the database is reachable and fully migrated', async () => {
    const response = await fetch(`${app.baseUrl}/readyz`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      status: 'ok',
      checks: { database: { ok: true }, migrations: { ok: true, pending: [] } },
    })
  })

  it('answers /readyz with 503 while the process is shutting down', async () => {
    shuttingDown = true
    try {
      const response = await fetch(`${app.baseUrl}/readyz`)
      expect(response.status).toBe(503)
      expect(await response.json()).toMatchObject({
        status: 'unavailable',
        reason: 'shutting down',
      })
    } finally {
      shuttingDown = false
    }
    expect((await fetch(`${app.baseUrl}/readyz`)).status).toBe(200)
  })

  it('answers a missing build asset with 404 without loading the Remix build', async () => {
    const response = await fetch(`${app.baseUrl}/build/missing-1234.js`)
    expect(response.status).toBe(404)
    expect(await response.text()).toBe('Not found')
    expect(app.buildRequests()).toBe(0)
  })

  it('sends the security headers, with a fresh CSP nonce on every response', async () => {
    const first = await fetch(`${app.baseUrl}/build/missing-1.js`)
    const second = await fetch(`${app.baseUrl}/build/missing-2.js`)

    const nonces = [first, second].map((response) => {
      const csp = response.headers.get('content-security-policy') ?? ''
      const match = /script-src [^;]*'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)
      expect(match, `CSP: ${csp}`).not.toBeNull()
      expect(csp).toContain("frame-ancestors 'none'")
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(response.headers.get('x-frame-options')).toBe('DENY')
      expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin')
      expect(response.headers.get('x-powered-by')).toBeNull()
      // APP_URL is http:// in this test, so no HSTS.
      expect(response.headers.get('strict-transport-security')).toBeNull()
      return match?.[1]
    })
    expect(nonces[0]).not.toBe(nonces[1])
  })

  it.each(['/healthz', '/readyz'])(
    'sends the same security headers on %s as on pages',
    async (probe) => {
      const page = await fetch(`${app.baseUrl}/build/missing-3.js`)
      const response = await fetch(`${app.baseUrl}${probe}`)
      expect(response.status).toBe(200)
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      for (const header of [
        'x-frame-options',
        'referrer-policy',
        'cross-origin-opener-policy',
        'cross-origin-resource-policy',
        'permissions-policy',
      ]) {
        expect(response.headers.get(header), header).toBe(page.headers.get(header))
        expect(response.headers.get(header), header).not.toBeNull()
      }
      expect(response.headers.get('content-security-policy')).toContain("default-src 'self'")
    },
  )

  it('gives each response a request id, keeping a well-formed incoming one', async () => {
    const incoming = 'req-abcdef123456'
    const kept = await fetch(`${app.baseUrl}/healthz`, { headers: { 'x-request-id': incoming } })
    expect(kept.headers.get('x-request-id')).toBe(incoming)
    const replaced = await fetch(`${app.baseUrl}/healthz`, {
      headers: { 'x-request-id': 'bad id <script>' },
    })
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })
})

describe('express app on a database without migrations', () => {
  let empty: CreatedDatabase
  let orm: MikroORM
  let app: Running

  beforeAll(async () => {
    empty = await createDatabase({ label: 'http_app_empty', migrated: false })
    orm = await initORM(empty.url, { pool: { min: 0, max: 2 } })
    app = await startApp({ orm })
  })
  afterAll(async () => {
    await app?.close()
    await orm?.close(true)
    await empty?.drop()
  })

  it('answers /readyz with 503 and lists the pending migrations', async () => {
    const response = await fetch(`${app.baseUrl}/readyz`)
    expect(response.status).toBe(503)
    expect(await response.json()).toMatchObject({
      status: 'unavailable',
      checks: {
        database: { ok: true },
        migrations: { ok: false, pending: migrationsList.map((m) => m.name) },
      },
    })
  })

  it('still answers /healthz with 200 (liveness does not depend on the database)', async () => {
    expect((await fetch(`${app.baseUrl}/healthz`)).status).toBe(200)
  })
})
