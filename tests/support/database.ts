import { randomBytes } from 'node:crypto'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import pg from 'pg'
import { afterAll, beforeAll, inject } from 'vitest'
import { initORM } from '../../db/orm'
import { inScope } from '../../db/tenant'
import { startSenderBoss, type PgBoss } from '~/queue/send.server'
import { databaseUrl, quoteIdent, withAdminClient } from './postgres-server'

export interface CreatedDatabase {
  name: string
  url: string
  /** Drops the database, disconnecting anyone still connected. */
  drop: () => Promise<void>
}

/**
 * Creates a database on the run's PostgreSQL: a clone of the migrated template by default, or an
 * empty one (`{ migrated: false }`) for tests about migrating.
 */
export async function createDatabase(
  options: { label?: string; migrated?: boolean } = {},
): Promise<CreatedDatabase> {
  const server = inject('postgres')
  const label = (options.label ?? 'test')
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 30)
  const name = `t_${label}_${process.pid}_${randomBytes(4).toString('hex')}`
  const template =
    options.migrated === false ? '' : ` template ${quoteIdent(server.templateDatabase)}`
  await withAdminClient(server, (client) =>
    client.query(`create database ${quoteIdent(name)}${template}`),
  )
  return {
    name,
    url: databaseUrl(server, name),
    drop: () =>
      withAdminClient(server, async (client) => {
        await client.query(`drop database if exists ${quoteIdent(name)} with (force)`)
      }),
  }
}

export interface TestDatabase {
  name: string
  url: string
  orm: MikroORM
  /** A sender-only pg-boss client on this database (like the web process has). */
  boss: PgBoss
  /** A fresh EntityManager, as a request or a job gets. */
  em: () => EntityManager
  /** An organization created for this database, for tests that need a tenant. */
  organizationId: string
  /** Runs `work` as the application role under the organization's tenant scope. */
  inOrg: <T>(work: (em: EntityManager) => Promise<T>, organizationId?: string) => Promise<T>
  /** Creates another organization (as the owner) and returns its id. */
  createOrganization: (name?: string) => Promise<string>
  /** Runs SQL on its own connection as the database owner, so it sees committed data only. */
  query: <R extends pg.QueryResultRow = Record<string, unknown>>(
    sql: string,
    values?: unknown[],
  ) => Promise<R[]>
}

/**
 * Gives the calling test file (or describe block) its own migrated database. Call it at the top
 * level of the file or describe: it registers a beforeAll that clones the template and starts an
 * ORM and a pg-boss sender, and an afterAll that closes them and drops the database. The returned
 * object is usable inside tests and hooks.
 */
export function setUpTestDatabase(label?: string): TestDatabase {
  let state:
    | {
        created: CreatedDatabase
        orm: MikroORM
        boss: PgBoss
        pool: pg.Pool
        organizationId: string
      }
    | undefined

  const insertOrganization = async (pool: pg.Pool, name: string) => {
    const slug = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${randomBytes(3).toString('hex')}`
    const { rows } = await pool.query<{ id: string }>(
      'insert into organization (name, slug) values ($1, $2) returning id',
      [name, slug],
    )
    return rows[0]!.id
  }

  beforeAll(async () => {
    const created = await createDatabase({ label })
    const orm = await initORM(created.url, { pool: { min: 0, max: 6 } })
    const boss = await startSenderBoss(created.url)
    const pool = new pg.Pool({ connectionString: created.url, max: 2 })
    // Dropping the database at the end terminates idle connections (57P01); that is expected.
    pool.on('error', () => {})
    const organizationId = await insertOrganization(pool, 'Test Org')
    state = { created, orm, boss, pool, organizationId }
  })

  afterAll(async () => {
    if (!state) return
    const { created, orm, boss, pool } = state
    state = undefined
    await boss.stop({ graceful: false, wait: true })
    await orm.close(true)
    await pool.end()
    await created.drop()
  })

  const current = () => {
    if (!state)
      throw new Error('setUpTestDatabase(): the database is only available in tests and hooks')
    return state
  }
  return {
    get name() {
      return current().created.name
    },
    get url() {
      return current().created.url
    },
    get orm() {
      return current().orm
    },
    get boss() {
      return current().boss
    },
    get organizationId() {
      return current().organizationId
    },
    inOrg: (work, organizationId) =>
      inScope(current().orm, { organizationId: organizationId ?? current().organizationId }, work),
    createOrganization: (name = 'Other Org') => insertOrganization(current().pool, name),
    em: () => current().orm.em.fork({ clear: true }),
    query: async <R extends pg.QueryResultRow>(sql: string, values: unknown[] = []) =>
      (await current().pool.query<R>(sql, values)).rows,
  }
}
