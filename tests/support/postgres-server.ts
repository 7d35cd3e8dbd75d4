import { chmod, mkdtemp } from 'node:fs/promises'
import { createServer } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import pg from 'pg'

/** How tests reach the run's PostgreSQL server (provided by global-setup.ts). */
export interface TestPostgres {
  host: string
  port: number
  user: string
  password: string
  /** The migrated template each test database is cloned from. */
  templateDatabase: string
  /** The server's major version (TEST_POSTGRES chooses it; see throwaway-postgres.ts). */
  major: number
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: TestPostgres
  }
}

export const TEMPLATE_DATABASE = 'template_incidentflow'

export function databaseUrl(server: TestPostgres, database: string) {
  const user = encodeURIComponent(server.user)
  const password = encodeURIComponent(server.password)
  return `postgresql://${user}:${password}@${server.host}:${server.port}/${database}`
}

/** Runs `work` with a short-lived connection to the server's maintenance database. */
export async function withAdminClient<T>(
  server: TestPostgres,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl(server, 'postgres') })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/** Quotes an identifier for SQL (database names cannot be bound parameters). */
export function quoteIdent(name: string) {
  return `"${name.replace(/"/g, '""')}"`
}

/** A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))))
    })
  })
}

/**
 * A fresh directory under os.tmpdir() for data directories. mkdtemp makes it 0700; when the tests
 * run as root the server runs as the unprivileged `postgres` OS user, which must be able to
 * traverse it to reach the data directory inside.
 */
export async function makeServerTempDir(prefix: string) {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix))
  await chmod(dir, 0o755)
  return dir
}
