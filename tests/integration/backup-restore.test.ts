import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { MikroORM } from '@mikro-orm/postgresql'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { recordUpload } from '~/domain/evidence/evidence.server'
import { addComment } from '~/domain/incident/incident-service.server'
import { savePostmortem } from '~/domain/postmortem/postmortem.server'
import type { PostmortemSections } from '~/domain/postmortem/vocabulary'
import { fsStore } from '~/utils/storage/fs-store.server'
import { evidenceKey } from '~/utils/storage/storage.server'
import { migrate } from '../../db/migrate'
import { initORM } from '../../db/orm'
import { inScope } from '../../db/tenant'
import type { TestMember } from '../support/incidents'
import { incidentInPostmortem } from '../support/postmortems'
import {
  databaseUrl,
  quoteIdent,
  withAdminClient,
  type TestPostgres,
} from '../support/postgres-server'
import {
  debianPostgresDir,
  hasDebianPostgres,
  serverChoice,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '../support/throwaway-postgres'

/**
 * The backup and restore procedure of docs/operations.md, step by step: a database with
 * incidents, timeline events, evidence rows and postmortem revisions in two organizations is
 * dumped with `pg_dump -Fc` and restored with `pg_restore` into a database on a fresh PostgreSQL
 * 15 cluster, owned by a login role that is not a superuser. Afterwards `npm run audit:verify`
 * says OK, every table has as many rows as before, and the tenant wall still holds.
 *
 * pg_dump must be at least as new as the server it reads, and the embedded package ships no
 * pg_dump: the procedure runs with Debian's PostgreSQL 15 tools against 15 servers — the run's
 * own server with TEST_POSTGRES=15, else a throwaway 15 cluster started here. CI must run it;
 * elsewhere it is skipped without postgresql-15.
 */

const PG15 = 15
const available = hasDebianPostgres(PG15)
if (!available && process.env.CI) {
  throw new Error(
    `CI must run the backup test, but PostgreSQL ${PG15} is not installed in ${debianPostgresDir(PG15)}: run npm run setup:services as root`,
  )
}
const skipReason = available
  ? ''
  : ` (skipped: postgresql-${PG15} not installed; npm run setup:services as root installs it)`

const bin = (name: string) => path.join(debianPostgresDir(PG15), 'bin', name)
const ORGANIZATIONS = ['Northwind', 'Contoso']
const INCIDENTS_PER_ORGANIZATION = 3

const sections = (summary: string): PostmortemSections => ({
  summary,
  customerImpact: 'Checkout failed for some customers.',
  rootCause: '',
  wentWell: '',
  wentPoorly: '',
  lessons: '',
})

function run(command: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(command, args, {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  })
  if (result.error) throw result.error
  return result
}

/** An `npm run <script>` of package.json, as `tsx db/cli/<file>` with DATABASE_URL set. */
function npmScript(file: string, url: string) {
  return run(process.execPath, ['--import', 'tsx', path.join('db/cli', file)], {
    DATABASE_URL: url,
  })
}

/**
 * The row-count query of docs/operations.md (step 6), read from the page itself, so the
 * documented query is the one that is tested.
 */
function documentedRowCountQuery() {
  const page = readFileSync('docs/operations.md', 'utf8')
  const query = /```sql\n(\s*select table_schema[\s\S]*?)```/.exec(page)?.[1]
  if (!query) throw new Error('docs/operations.md has no row-count query (select table_schema …)')
  return query.replace(/;\s*$/, '')
}

/**
 * Exact row counts of every table in the application's and the job queue's schemas, read as a
 * superuser: row-level security (FORCE) hides tenant rows from everyone else, the owner included.
 */
async function rowCounts(url: string) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    const { rows } = await client.query<{
      table_schema: string
      table_name: string
      row_count: string
    }>(documentedRowCountQuery())
    return Object.fromEntries(
      rows.map((row) => [`${row.table_schema}.${row.table_name}`, Number(row.row_count)]),
    )
  } finally {
    await client.end()
  }
}

async function addMember(pool: pg.Pool, organizationId: string): Promise<TestMember> {
  const email = `admin-${randomBytes(4).toString('hex')}@example.test`
  const { rows: users } = await pool.query<{ id: string }>(
    `insert into app_user (email, display_name) values ($1, 'Backup Admin') returning id`,
    [email],
  )
  await pool.query(
    `insert into membership (organization_id, user_id, role, active) values ($1, $2, 'admin', true)`,
    [organizationId, users[0]!.id],
  )
  const { rows } = await pool.query<TestMember['organization']>(
    'select id, name, slug, timezone from organization where id = $1',
    [organizationId],
  )
  return {
    user: { id: users[0]!.id, email, displayName: 'Backup Admin' },
    role: 'admin',
    organization: rows[0]!,
  }
}

/** Incidents in Postmortem with a comment, an evidence row and two postmortem revisions each. */
async function seed(url: string, objectsDir: string) {
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  const orm: MikroORM = await initORM(url, { pool: { min: 0, max: 2 } })
  const store = fsStore(objectsDir)
  const organizationIds: string[] = []
  try {
    for (const name of ORGANIZATIONS) {
      const { rows } = await pool.query<{ id: string }>(
        'insert into organization (name, slug) values ($1, $2) returning id',
        [name, `${name.toLowerCase()}-${randomBytes(3).toString('hex')}`],
      )
      const organizationId = rows[0]!.id
      organizationIds.push(organizationId)
      const admin = await addMember(pool, organizationId)
      for (let i = 1; i <= INCIDENTS_PER_ORGANIZATION; i++) {
        const number = await incidentInPostmortem(orm, admin, `${name} checkout outage ${i}`, {
          daysAgo: i,
          severity: 'SEV-2',
          comment: 'Rolled back the release.',
        })
        await addComment(orm, admin, number, { body: `Root cause found in ${name} ${i}.` })
        const { rows: incident } = await pool.query<{ id: string }>(
          'select id from incident where organization_id = $1 and number = $2',
          [organizationId, number],
        )
        const content = `${name} ${i}: 502 from the payment gateway\n`
        const objectId = randomUUID()
        await recordUpload(
          orm,
          store,
          admin,
          number,
          {
            ok: true,
            objectKey: evidenceKey(organizationId, incident[0]!.id, objectId),
            objectId,
            displayName: `gateway-${i}.log`,
            contentType: 'text/plain',
            size: Buffer.byteLength(content),
            sha256: createHash('sha256').update(content).digest('hex'),
          },
          'Gateway log',
        )
        const first = await savePostmortem(orm, admin, number, {
          sections: sections('First draft.'),
          timeline: [],
          changeNote: null,
          revision: 0,
        })
        await savePostmortem(orm, admin, number, {
          sections: sections('Second draft, reviewed.'),
          timeline: [],
          changeNote: 'Reviewed',
          revision: first.revision,
        })
      }
    }
  } finally {
    await orm.close(true)
    await pool.end()
  }
  return organizationIds
}

describe.skipIf(!available)(`backup with pg_dump and restore with pg_restore${skipReason}`, () => {
  const started: ThrowawayPostgres[] = []
  let workDir: string
  let source: { server: TestPostgres; database: string; url: string }
  let target: ThrowawayPostgres
  let dumpFile: string
  let organizationIds: string[]
  let sourceCounts: Record<string, number>
  /** The restored database's owner: a login role that may create roles, not a superuser. */
  const owner = { name: 'incidentflow_owner', password: randomBytes(12).toString('hex') }
  const targetUrl = (database: string) =>
    `postgresql://${owner.name}:${owner.password}@127.0.0.1:${target.server.port}/${database}`

  /** Step 1 of the restore: the owner role and an empty database it owns. */
  async function createTargetDatabase(database: string) {
    await withAdminClient(target.server, async (client) => {
      const exists = await client.query('select 1 from pg_roles where rolname = $1', [owner.name])
      if (exists.rowCount === 0)
        await client.query(
          `create role ${owner.name} login createrole password '${owner.password}'`,
        )
      await client.query(`create database ${quoteIdent(database)} owner ${owner.name}`)
    })
    return targetUrl(database)
  }

  beforeAll(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'incidentflow-backup-'))
    const runServer = inject('postgres')
    const database = `backup_source_${randomBytes(4).toString('hex')}`
    if (runServer.major === PG15) {
      source = { server: runServer, database, url: databaseUrl(runServer, database) }
    } else {
      const own = await startThrowawayPostgres(serverChoice(String(PG15)), 'backup test source')
      started.push(own)
      source = { server: own.server, database, url: databaseUrl(own.server, database) }
    }
    await withAdminClient(source.server, (client) =>
      client.query(`create database ${quoteIdent(database)}`),
    )
    await migrate(source.url)
    organizationIds = await seed(source.url, path.join(workDir, 'objects'))
    sourceCounts = await rowCounts(source.url)
    target = await startThrowawayPostgres(serverChoice(String(PG15)), 'backup test target')
    started.push(target)
  }, 120_000)

  afterAll(async () => {
    if (source && inject('postgres').port === source.server.port) {
      await withAdminClient(source.server, (client) =>
        client.query(`drop database if exists ${quoteIdent(source.database)} with (force)`),
      )
    }
    for (const server of started) await server.stop()
    if (workDir) await rm(workDir, { recursive: true, force: true })
  })

  it('seeds both organizations with incidents, timeline events, evidence and postmortem revisions', () => {
    const incidents = ORGANIZATIONS.length * INCIDENTS_PER_ORGANIZATION
    expect(sourceCounts['public.incident']).toBe(incidents)
    // Declared, four steps to Postmortem, two comments, one attachment: eight events each.
    expect(sourceCounts['public.incident_event']).toBe(incidents * 8)
    expect(sourceCounts['public.attachment']).toBe(incidents)
    expect(sourceCounts['public.postmortem_revision']).toBe(incidents * 2)
  })

  it('dumps the database with pg_dump in the custom format', () => {
    dumpFile = path.join(workDir, 'incidentflow.dump')
    const dump = run(bin('pg_dump'), ['--format=custom', `--file=${dumpFile}`, source.url])
    expect(dump.stderr).toBe('')
    expect(dump.status).toBe(0)
    const list = run(bin('pg_restore'), ['--list', dumpFile])
    expect(list.status).toBe(0)
    expect(list.stdout).toContain('TABLE DATA public incident_event')
    expect(list.stdout).toContain('TABLE DATA public postmortem_revision')
  })

  it('refuses to restore into a new cluster before the roles exist, and leaves the database empty', async () => {
    const url = await createTargetDatabase('restore_without_roles')
    const restore = run(bin('pg_restore'), [
      '--exit-on-error',
      '--single-transaction',
      '--no-owner',
      `--dbname=${url}`,
      dumpFile,
    ])
    expect(restore.status).not.toBe(0)
    expect(restore.stderr).toContain('role "incidentflow_app" does not exist')
    expect(await rowCounts(databaseUrl(target.server, 'restore_without_roles'))).toEqual({})
  })

  it('restores into a fresh database on a new cluster: roles, pg_restore, migrations up to date, audit:verify OK, same row counts', async () => {
    const url = await createTargetDatabase('incidentflow_restored')

    const roles = npmScript('roles.ts', url)
    expect(roles.stderr).toBe('')
    expect(roles.stdout).toContain('Role incidentflow_app is ready')
    expect(roles.status).toBe(0)

    const restore = run(bin('pg_restore'), [
      '--exit-on-error',
      '--single-transaction',
      '--no-owner',
      `--dbname=${url}`,
      dumpFile,
    ])
    expect(restore.stderr).toBe('')
    expect(restore.status).toBe(0)

    const migrated = npmScript('migrate.ts', url)
    expect(migrated.stdout).toContain('Database schema is up to date.')
    expect(migrated.status).toBe(0)

    const verify = npmScript('audit-verify.ts', url)
    expect(verify.stderr).toBe('')
    const incidents = ORGANIZATIONS.length * INCIDENTS_PER_ORGANIZATION
    expect(verify.stdout).toMatch(
      new RegExp(
        `^OK \\(${ORGANIZATIONS.length} organizations, ${incidents} incidents, ${incidents * 8} events, [\\d.]+s\\)\\n$`,
      ),
    )
    expect(verify.status).toBe(0)

    expect(await rowCounts(databaseUrl(target.server, 'incidentflow_restored'))).toEqual(
      sourceCounts,
    )
  }, 120_000)

  it('keeps the tenant wall and the append-only timeline in the restored database', async () => {
    const url = targetUrl('incidentflow_restored')
    const orm = await initORM(url, { pool: { min: 0, max: 2 } })
    try {
      for (const organizationId of organizationIds) {
        const seen = await inScope(orm, { organizationId }, (em) =>
          em.execute<{ organization_id: string }[]>('select organization_id from incident'),
        )
        expect(seen).toHaveLength(INCIDENTS_PER_ORGANIZATION)
        expect(new Set(seen.map((row) => row.organization_id))).toEqual(new Set([organizationId]))
      }
    } finally {
      await orm.close(true)
    }
    // The owner itself, in an organization's scope, meets the append-only trigger.
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      await client.query('begin')
      await client.query(`select set_config('app.organization_id', $1, true)`, [organizationIds[0]])
      await expect(
        client.query(`update incident_event set occurred_at = occurred_at - interval '1 hour'`),
      ).rejects.toThrow(/append-only/)
      await client.query('rollback')
    } finally {
      await client.end()
    }
    expect(
      (await rowCounts(databaseUrl(target.server, 'incidentflow_restored')))[
        'public.incident_event'
      ],
    ).toBe(sourceCounts['public.incident_event'])
  })
})
