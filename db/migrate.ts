import pg from 'pg'
import { MIGRATIONS_TABLE, initORM } from './orm'
import { migrationsList } from './migrations/list'
import { ensureJobSchema } from '../jobs/boss'
import { JOB_SCHEMA } from '~/queue/queues'
import { ensureAppRole } from './app-role'
import { APP_ROLE } from './tenant'

/** A fixed key for pg_advisory_lock so two deploys migrating at once take turns. */
const MIGRATION_LOCK_KEY = 7_236_149_501

export interface MigrationResult {
  applied: string[]
}

/**
 * Applies pending migrations and the job queue schema. Safe to run repeatedly and concurrently:
 * a session advisory lock serialises runners, and the second one finds nothing pending.
 */
export async function migrate(
  url: string,
  log: (line: string) => void = () => {},
): Promise<MigrationResult> {
  const lock = new pg.Client({ connectionString: url })
  await lock.connect()
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    // Before the migrations: a cluster that lost the role (a restore elsewhere), or an owner that
    // is a member without SET on PostgreSQL 16+, is put right on every run.
    await ensureAppRole(lock)
    const orm = await initORM(url, { pool: { min: 0, max: 2 } })
    try {
      const migrator = orm.getMigrator()
      const pending = await migrator.getPendingMigrations()
      if (pending.length === 0) log('Database schema is up to date.')
      const applied = await migrator.up()
      for (const m of applied) log(`Applied migration ${m.name}`)
      await ensureJobSchema(url)
      await grantJobAccess(orm.em.getConnection())
      return { applied: applied.map((m) => m.name) }
    } finally {
      await orm.close(true)
    }
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {})
    await lock.end()
  }
}

/**
 * The application role enqueues jobs inside its own transactions; pg-boss's tables are created by
 * pg-boss itself, after the migrations, so the grants follow here.
 */
async function grantJobAccess(connection: { execute: (sql: string) => Promise<unknown> }) {
  await connection.execute(`
    grant usage on schema ${JOB_SCHEMA} to ${APP_ROLE};
    grant select on ${JOB_SCHEMA}.queue to ${APP_ROLE};
    grant insert on ${JOB_SCHEMA}.job to ${APP_ROLE};
    grant select (id) on ${JOB_SCHEMA}.job to ${APP_ROLE};`)
}

export interface SchemaStatus {
  ok: boolean
  pending: string[]
}

/** Which known migrations the database has not applied yet (for /readyz). */
export async function schemaStatus(
  query: (sql: string) => Promise<{ name: string }[]>,
): Promise<SchemaStatus> {
  let applied: Set<string>
  try {
    applied = new Set((await query(`select name from ${MIGRATIONS_TABLE}`)).map((r) => r.name))
  } catch {
    applied = new Set()
  }
  const pending = migrationsList.map((m) => m.name).filter((name) => !applied.has(name))
  return { ok: pending.length === 0, pending }
}
