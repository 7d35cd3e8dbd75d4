import { randomBytes, randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../db/migrate'
import { initORM } from '../../db/orm'
import { APP_ROLE, inScope } from '../../db/tenant'
import { withAdminClient } from '../support/postgres-server'
import {
  serverChoice,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '../support/throwaway-postgres'

/**
 * DATABASE_URL's role is often not a superuser (a managed service's owner role may create roles
 * and databases, nothing more). On a new cluster of the run's PostgreSQL (TEST_POSTGRES), such an
 * owner migrates an empty database, and then every unit of work can switch to the application
 * role under row-level security — PostgreSQL 16+ gives the creator of a role no SET on it unless
 * granted, PostgreSQL 15 has no SET option at all.
 */

describe('a database owned by a role that is not a superuser', () => {
  let cluster: ThrowawayPostgres
  const owner = { name: 'incidentflow', password: randomBytes(12).toString('hex') }
  let url: string

  beforeAll(async () => {
    cluster = await startThrowawayPostgres(serverChoice(), 'owner test')
    await withAdminClient(cluster.server, async (client) => {
      await client.query(
        `create role ${owner.name} login createrole nosuperuser password '${owner.password}'`,
      )
      await client.query(`create database owned_app owner ${owner.name}`)
    })
    url = `postgresql://${owner.name}:${owner.password}@127.0.0.1:${cluster.server.port}/owned_app`
  }, 60_000)

  afterAll(async () => {
    await cluster?.stop()
  })

  it('migrates an empty database, twice, and may SET the application role afterwards', async () => {
    const first = await migrate(url)
    expect(first.applied.length).toBeGreaterThan(0)
    expect(await migrate(url)).toEqual({ applied: [] })

    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      const { rows } = await client.query<{ super: boolean; app_role_exists: boolean }>(
        `select rolsuper as super,
                exists (select 1 from pg_roles where rolname = $1) as app_role_exists
           from pg_roles where rolname = current_user`,
        [APP_ROLE],
      )
      expect(rows[0]).toEqual({ super: false, app_role_exists: true })
      await client.query('begin')
      await client.query(`select set_config('role', $1, true)`, [APP_ROLE])
      const after = await client.query<{ role: string }>('select current_user as role')
      expect(after.rows[0]?.role).toBe(APP_ROLE)
      await client.query('rollback')
    } finally {
      await client.end()
    }
  }, 60_000)

  it('lets each organization see only its own rows through the application role', async () => {
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    const ids: string[] = []
    try {
      // Row-level security is forced on the owner too: it writes under the tenant setting.
      for (const name of ['First', 'Second']) {
        const id = randomUUID()
        await client.query('begin')
        await client.query(`select set_config('app.organization_id', $1, true)`, [id])
        await client.query('insert into organization (id, name, slug) values ($1, $2, $3)', [
          id,
          name,
          `${name.toLowerCase()}-${randomBytes(3).toString('hex')}`,
        ])
        await client.query('commit')
        ids.push(id)
      }
    } finally {
      await client.end()
    }
    const orm = await initORM(url, { pool: { min: 0, max: 2 } })
    try {
      for (const organizationId of ids) {
        const seen = await inScope(orm, { organizationId }, (em) =>
          em.execute<{ id: string; role: string }[]>(
            'select id, current_user as role from organization',
          ),
        )
        expect(seen).toEqual([{ id: organizationId, role: APP_ROLE }])
      }
    } finally {
      await orm.close(true)
    }
  })
})
