import { createObjectStore } from '~/utils/storage/create-store.server'
import { randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ServerBuild } from '@remix-run/node'
import type { MikroORM } from '@mikro-orm/postgresql'
import { createHttpApp } from '~/server/http-app.server'
import { silentLogger, testEnv } from './access'
import type { TestDatabase } from './database'

/** One browser request's particulars. */
export interface Call {
  cookie?: string
  /** `Origin` header: the app's own origin on POST unless given; null sends none. */
  origin?: string | null
  /** The client address (X-Forwarded-For); a random one unless given. */
  ip?: string
  headers?: Record<string, string>
}

export interface RunningApp {
  baseUrl: string
  /** GET without following redirects. */
  get: (path: string, call?: Call) => Promise<Response>
  /** A plain HTML form submission (no JavaScript), without following redirects. */
  post: (path: string, fields: Record<string, string>, call?: Call) => Promise<Response>
  close: () => Promise<void>
}

export function randomIp() {
  return `10.${[...randomBytes(3)].join('.')}`
}

/**
 * The real express app (createHttpApp) with the real Remix build — loaders, actions, rendering —
 * on a test database, listening on loopback. TRUST_PROXY is on so every call can come from its
 * own client address (X-Forwarded-For), and sign-in throttling by address never couples tests.
 */
export async function startInProcessApp(
  db: TestDatabase,
  build: ServerBuild,
  env: Record<string, string> = {},
  /** Another ORM (e.g. with a smaller pool) than the test database's own. */
  orm: MikroORM = db.orm,
): Promise<RunningApp> {
  const parsedEnv = testEnv(db, { TRUST_PROXY: 'true', ...env })
  const app = createHttpApp({
    env: parsedEnv,
    orm,
    boss: db.boss,
    store: createObjectStore(parsedEnv),
    logger: silentLogger,
    getBuild: async () => build,
    publicDir: 'tests/support/no-public-dir',
  })
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const headersFor = (call: Call, defaultOrigin: string | null) => {
    const headers: Record<string, string> = {
      'X-Forwarded-For': call.ip ?? randomIp(),
      ...call.headers,
    }
    const origin = call.origin === undefined ? defaultOrigin : call.origin
    if (origin !== null) headers.Origin = origin
    if (call.cookie) headers.Cookie = call.cookie
    return headers
  }

  return {
    baseUrl,
    get: (path, call = {}) =>
      fetch(`${baseUrl}${path}`, { headers: headersFor(call, null), redirect: 'manual' }),
    post: (path, fields, call = {}) =>
      fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: headersFor(call, baseUrl),
        body: new URLSearchParams(fields),
        redirect: 'manual',
      }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
