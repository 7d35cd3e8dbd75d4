import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { migrate } from '../../db/migrate'
import { migrationsList } from '../../db/migrations/list'
import { MIGRATIONS_TABLE } from '../../db/orm'
import { queueNames } from '~/queue/queues'
import { createDatabase, type CreatedDatabase } from '../support/database'

const created: CreatedDatabase[] = []
afterAll(async () => {
  for (const database of created) await database.drop()
})

async function database(migrated: boolean) {
  const db = await createDatabase({ label: 'migrations', migrated })
  created.push(db)
  return db
}

async function query<R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query<R>(sql)).rows
  } finally {
    await client.end()
  }
}

const knownMigrations = migrationsList.map((m) => m.name)

describe('migrate', () => {
  it('applies nothing to a database that is already up to date', async () => {
    const db = await database(true)
    const before = await query<{ name: string; executed_at: Date }>(
      db.url,
      `select name, executed_at from ${MIGRATIONS_TABLE} order by id`,
    )
    const lines: string[] = []

    const result = await migrate(db.url, (line) => lines.push(line))

    expect(result.applied).toEqual([])
    expect(lines).toContain('Database schema is up to date.')
    const after = await query<{ name: string; executed_at: Date }>(
      db.url,
      `select name, executed_at from ${MIGRATIONS_TABLE} order by id`,
    )
    expect(after).toEqual(before)
    expect(after.map((r) => r.name)).toEqual(knownMigrations)
  })

  it('lets two runners started at once on an empty database both succeed, applying each migration once', async () => {
    const db = await database(false)
    expect(await query(db.url, `select to_regclass('${MIGRATIONS_TABLE}') as t`)).toEqual([
      { t: null },
    ])

    const results = await Promise.all([migrate(db.url), migrate(db.url)])

    // One runner applied everything; the other waited for the lock and found nothing to do.
    expect(results.map((r) => r.applied).sort((a, b) => b.length - a.length)).toEqual([
      knownMigrations,
      [],
    ])
    const rows = await query<{ name: string; n: number }>(
      db.url,
      `select name, count(*)::int as n from ${MIGRATIONS_TABLE} group by name order by name`,
    )
    expect(rows).toEqual([...knownMigrations].sort().map((name) => ({ name, n: 1 })))
    const tables = await query<{ table_name: string }>(
      db.url,
      `select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    )
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['email_outbox', 'organization']),
    )
    const queuesCreated = await query<{ name: string }>(
      db.url,
      'select name from pgboss.queue order by name',
    )
    expect(queuesCreated.map((q) => q.name)).toEqual([...queueNames].sort())
  })
})
