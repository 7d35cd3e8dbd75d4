import { randomBytes } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import type { LoaderFunctionArgs, ServerBuild } from '@remix-run/node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseEnv, webEnvSchema } from '~/utils/env.server'
import { createHttpApp } from '~/server/http-app.server'
import { createLogger } from '~/utils/logger.server'
import { fsStore } from '~/utils/storage/fs-store.server'
import { inScope } from '../../db/tenant'
import { expectConsoleError } from '../support/console-guard'
import { setUpTestDatabase } from '../support/database'
import { loadRemixBuild } from '../support/remix-build'

/**
 * A statement that fails on a value someone typed must not put that value into the logs: the
 * real express app and Remix build, with one extra route whose loader runs failing statements
 * with a distinctive value (a megabyte long, and short inside a cast), and every log line and
 * console.error captured. The SQLSTATE code is there; the value is not.
 */

const db = setUpTestDatabase('log_redaction')
const MARK = `Ungava-Pelican-${randomBytes(4).toString('hex')}`
const HUGE = `${MARK}${'x'.repeat(1024 * 1024)}`

let build: ServerBuild
let lines: string[]
let server: Server | undefined
let baseUrl: string

function capturingLogger() {
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk))
      done()
    },
  })
  return createLogger({ name: 'test', level: 'info', pretty: false, destination })
}

/** The failing statements, keyed by the test route's `kind` parameter. */
async function failingStatement({ request, context }: LoaderFunctionArgs) {
  const kind = new URL(request.url).searchParams.get('kind')
  const organizationId = db.organizationId
  await inScope(context.orm, { organizationId }, (em) =>
    kind === 'too-long'
      ? em.execute(`insert into service (organization_id, name) values (?, ?)`, [
          organizationId,
          HUGE,
        ])
      : em.execute(`select id from incident where organization_id = ? and id = ?::uuid`, [
          organizationId,
          MARK,
        ]),
  )
  return new Response('unreachable')
}

async function listen(getBuild: () => Promise<ServerBuild>) {
  const app = createHttpApp({
    env: parseEnv(webEnvSchema, {
      NODE_ENV: 'production',
      DATABASE_URL: db.url,
      SESSION_SECRET: randomBytes(24).toString('hex'),
    }),
    orm: db.orm,
    boss: db.boss,
    store: fsStore(path.join(os.tmpdir(), 'incidentflow-log-redaction-objects')),
    logger: capturingLogger(),
    getBuild,
    publicDir: 'tests/support/no-public-dir',
  })
  server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
  })
  baseUrl = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`
}

async function close() {
  const running = server
  server = undefined
  if (!running) return
  await new Promise<void>((resolve, reject) => {
    running.closeAllConnections()
    running.close((error) => (error ? reject(error) : resolve()))
  })
}

beforeAll(async () => {
  build = await loadRemixBuild()
})
afterAll(close)

describe('a statement that fails in a loader', () => {
  beforeAll(async () => {
    const withFailingRoute: ServerBuild = {
      ...build,
      routes: {
        ...build.routes,
        'routes/log-redaction-probe': {
          id: 'routes/log-redaction-probe',
          parentId: 'root',
          path: 'log-redaction-probe',
          // A resource route: a loader and no component.
          module: {
            loader: failingStatement,
          } as unknown as ServerBuild['routes'][string]['module'],
        },
      },
    }
    await listen(async () => withFailingRoute)
  })
  afterAll(close)

  it.each([
    ['too-long', '22001', 'insert into service (organization_id, name) values (?, ?)'],
    ['bad-uuid', '22P02', 'select id from incident where organization_id = ? and id = ?::uuid'],
  ])('logs %s as its code %s and statement shape, without the value', async (kind, code, shape) => {
    lines = []
    const console = expectConsoleError()
    const response = await fetch(`${baseUrl}/log-redaction-probe?kind=${kind}`)
    expect(response.status).toBe(500)
    expect(await response.text()).not.toContain(MARK)

    const output = [...lines, ...console.messages].join('\n')
    expect(console.messages.length, 'the error reached the log').toBeGreaterThan(0)
    expect(output).toContain(code)
    expect(output).toContain(shape)
    expect(output).not.toContain(MARK)
    expect(output.length).toBeLessThan(100_000)
  })
})

describe('an error no handler answered', () => {
  beforeAll(async () => {
    // A real failed statement's error, thrown where Express's last handler gets it.
    let failure: unknown
    try {
      await inScope(db.orm, { organizationId: db.organizationId }, (em) =>
        em.execute(`insert into service (organization_id, name) values (?, ?)`, [
          db.organizationId,
          HUGE,
        ]),
      )
    } catch (error) {
      failure = error
    }
    expect(failure).toBeInstanceOf(Error)
    await listen(() => Promise.reject(failure))
  })
  afterAll(close)

  it('is logged with its code and shape, not the value, and answered with a plain 500', async () => {
    lines = []
    const response = await fetch(`${baseUrl}/anything`)
    expect(response.status).toBe(500)
    const body = await response.text()
    expect(body).not.toContain(MARK)
    expect(body).not.toContain('insert into')

    const output = lines.join('\n')
    expect(output).toContain('22001')
    expect(output).toContain('insert into service (organization_id, name) values (?, ?)')
    expect(output).not.toContain(MARK)
  })
})
