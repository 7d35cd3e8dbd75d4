import { randomBytes } from 'node:crypto'
import type { EntityManager } from '@mikro-orm/postgresql'
import { beforeAll, describe, expect, it } from 'vitest'
import { tokenHash } from '~/domain/access/tokens.server'
import { MembershipSchema } from '../../db/entities/access'
import { initORM } from '../../db/orm'
import { APP_ROLE, inScope } from '../../db/tenant'
import { addMembership, createUser, type TestUser } from '../support/access'
import { setUpTestDatabase } from '../support/database'

const db = setUpTestDatabase('rls')

/**
 * Row-level security is the second wall between tenants: whatever the application code forgets,
 * the database answers only the scope's rows. Every check here runs as the application role
 * through inScope (the owner used for setup is a superuser and would see everything).
 */

const TENANT_TABLES = ['membership', 'invitation', 'email_outbox'] as const

interface Tenant {
  id: string
  membershipId: string
  invitationId: string
  invitationTokenHash: string
  outboxId: string
}

let a: Tenant
let b: Tenant
let alice: TestUser // member of A (admin) and B (engineer)
let bob: TestUser // member of A only
let carol: TestUser // member of B only, and deactivated there

async function seedTenant(organizationId: string, member: TestUser): Promise<Tenant> {
  const membershipId = await addMembership(db, {
    userId: member.userId,
    organizationId,
    role: 'admin',
  })
  const invitationTokenHash = tokenHash(randomBytes(32).toString('base64url'))
  const [invitation] = await db.query<{ id: string }>(
    `insert into invitation (organization_id, email, role, token_hash, expires_at)
     values ($1, $2, 'engineer', $3, now() + interval '7 days') returning id`,
    [organizationId, `invitee-${randomBytes(3).toString('hex')}@example.test`, invitationTokenHash],
  )
  const [outbox] = await db.query<{ id: string }>(
    `insert into email_outbox (organization_id, kind, to_address, subject, body_text, idempotency_key)
     values ($1, 'test', 'someone@example.test', 'Hello', 'Body', $2) returning id`,
    [organizationId, `rls:${randomBytes(6).toString('hex')}`],
  )
  return {
    id: organizationId,
    membershipId,
    invitationId: invitation!.id,
    invitationTokenHash,
    outboxId: outbox!.id,
  }
}

beforeAll(async () => {
  alice = await createUser(db, { displayName: 'Alice' })
  bob = await createUser(db, { displayName: 'Bob' })
  carol = await createUser(db, { displayName: 'Carol' })
  a = await seedTenant(db.organizationId, alice)
  b = await seedTenant(await db.createOrganization('Tenant B'), carol)
  // Bob joins A with another invitation and e-mail, so "only this one" means something.
  await seedTenant(a.id, bob)
  await addMembership(db, { userId: alice.userId, organizationId: b.id, role: 'engineer' })
  await db.query(`update membership set active = false where id = $1`, [b.membershipId])
})

type Row = Record<string, unknown>
const selectAll = (em: EntityManager, table: string) => em.execute<Row[]>(`select * from ${table}`)

describe('scoped to organization A', () => {
  it.each(TENANT_TABLES)(
    'a raw select * from %s returns A’s rows and none of B’s',
    async (table) => {
      const rows = await inScope(db.orm, { organizationId: a.id }, (em) => selectAll(em, table))
      expect(rows.length).toBeGreaterThan(0)
      expect(new Set(rows.map((r) => r.organization_id))).toEqual(new Set([a.id]))
      // B's rows exist: the owner sees them.
      const all = await db.query(
        `select organization_id from ${table} where organization_id = $1`,
        [b.id],
      )
      expect(all.length).toBeGreaterThan(0)
    },
  )

  it('a raw select * from organization returns A only', async () => {
    const rows = await inScope(db.orm, { organizationId: a.id }, (em) =>
      selectAll(em, 'organization'),
    )
    expect(rows.map((r) => r.id)).toEqual([a.id])
  })

  it('an ORM query without any organization filter returns A’s memberships only', async () => {
    const memberships = await inScope(db.orm, { organizationId: a.id }, (em) =>
      em.find(MembershipSchema, {}),
    )
    expect(memberships.length).toBeGreaterThanOrEqual(2)
    expect(memberships.every((m) => m.organizationId === a.id)).toBe(true)
  })

  it.each([
    ['membership', () => b.membershipId, `role = 'engineer'`],
    ['invitation', () => b.invitationId, `role = 'admin'`],
    ['email_outbox', () => b.outboxId, `subject = 'Hijacked'`],
    ['organization', () => b.id, `name = 'Hijacked'`],
  ] as const)('cannot UPDATE a %s row of B by its id (0 rows affected)', async (table, id, set) => {
    const before = await db.query(`select * from ${table} where id = $1`, [id()])
    const result = await inScope(db.orm, { organizationId: a.id }, (em) =>
      em.execute<{ affectedRows: number }>(
        `update ${table} set ${set} where id = ?`,
        [id()],
        'run',
      ),
    )
    expect(result.affectedRows).toBe(0)
    expect(await db.query(`select * from ${table} where id = $1`, [id()])).toEqual(before)
  })

  it.each([
    [
      'membership',
      (org: string) => ({
        sql: `insert into membership (organization_id, user_id, role) values (?, ?, 'admin')`,
        values: [org, bob.userId],
      }),
    ],
    [
      'invitation',
      (org: string) => ({
        sql: `insert into invitation (organization_id, email, role, token_hash, expires_at)
              values (?, 'x@example.test', 'admin', ?, now() + interval '1 day')`,
        values: [org, 'f'.repeat(64)],
      }),
    ],
    [
      'email_outbox',
      (org: string) => ({
        sql: `insert into email_outbox (organization_id, kind, to_address, subject, body_text, idempotency_key)
              values (?, 'test', 'x@example.test', 'S', 'B', ?)`,
        values: [org, `rls-insert:${randomBytes(4).toString('hex')}`],
      }),
    ],
  ] as const)('cannot INSERT a %s row carrying B’s organization_id', async (table, statement) => {
    const { sql, values } = statement(b.id)
    const count = async () =>
      (
        await db.query(`select count(*)::int as n from ${table} where organization_id = $1`, [b.id])
      )[0]
    const before = await count()
    await expect(
      inScope(db.orm, { organizationId: a.id }, (em) => em.execute(sql, [...values], 'run')),
    ).rejects.toThrow(`new row violates row-level security policy for table "${table}"`)
    expect(await count()).toEqual(before)
  })

  it('cannot move one of A’s rows into B (the new row fails the check)', async () => {
    await expect(
      inScope(db.orm, { organizationId: a.id }, (em) =>
        em.execute(`update email_outbox set organization_id = ? where id = ?`, [b.id, a.outboxId]),
      ),
    ).rejects.toThrow('new row violates row-level security policy for table "email_outbox"')
    const [row] = await db.query(`select organization_id from email_outbox where id = $1`, [
      a.outboxId,
    ])
    expect(row).toEqual({ organization_id: a.id })
  })

  it('cannot DELETE tenant rows at all (no grant), even its own', async () => {
    await expect(
      inScope(db.orm, { organizationId: a.id }, (em) =>
        em.execute(`delete from invitation where id = ?`, [a.invitationId]),
      ),
    ).rejects.toThrow('permission denied for table invitation')
  })
})

describe('with no organization in scope', () => {
  it.each([...TENANT_TABLES, 'organization'])('select * from %s returns nothing', async (table) => {
    const rows = await inScope(db.orm, {}, (em) => selectAll(em, table))
    expect(rows).toEqual([])
    expect((await db.query(`select 1 from ${table}`)).length).toBeGreaterThan(0)
  })
})

describe('scoped to a user (sign-in and the organization switcher)', () => {
  it('shows the user their own memberships in every organization, and no one else’s', async () => {
    const rows = await inScope(db.orm, { userId: alice.userId }, (em) =>
      selectAll(em, 'membership'),
    )
    expect(rows.map((r) => r.user_id)).toEqual([alice.userId, alice.userId])
    expect(new Set(rows.map((r) => r.organization_id))).toEqual(new Set([a.id, b.id]))
  })

  it('shows the organizations of the user’s active memberships only', async () => {
    const forAlice = await inScope(db.orm, { userId: alice.userId }, (em) =>
      selectAll(em, 'organization'),
    )
    expect(new Set(forAlice.map((r) => r.id))).toEqual(new Set([a.id, b.id]))
    // Carol's only membership (in B) is deactivated: she still sees that row, not the organization.
    const carolsMemberships = await inScope(db.orm, { userId: carol.userId }, (em) =>
      selectAll(em, 'membership'),
    )
    expect(carolsMemberships.map((r) => r.id)).toEqual([b.membershipId])
    const forCarol = await inScope(db.orm, { userId: carol.userId }, (em) =>
      selectAll(em, 'organization'),
    )
    expect(forCarol).toEqual([])
  })

  it('opens no invitations and no e-mails', async () => {
    for (const table of ['invitation', 'email_outbox']) {
      const rows = await inScope(db.orm, { userId: alice.userId }, (em) => selectAll(em, table))
      expect(rows, table).toEqual([])
    }
  })

  it('does not let a user add themselves to an organization', async () => {
    await expect(
      inScope(db.orm, { userId: bob.userId }, (em) =>
        em.execute(
          `insert into membership (organization_id, user_id, role) values (?, ?, 'admin')`,
          [b.id, bob.userId],
        ),
      ),
    ).rejects.toThrow('new row violates row-level security policy for table "membership"')
  })
})

describe('scoped to an invitation token hash', () => {
  it('shows exactly that one invitation and nothing else', async () => {
    const rows = await inScope(
      db.orm,
      { invitationTokenHash: a.invitationTokenHash },
      async (em) => ({
        invitations: await selectAll(em, 'invitation'),
        memberships: await selectAll(em, 'membership'),
        organizations: await selectAll(em, 'organization'),
        outbox: await selectAll(em, 'email_outbox'),
      }),
    )
    expect(rows.invitations.map((r) => r.id)).toEqual([a.invitationId])
    expect(rows.memberships).toEqual([])
    expect(rows.organizations).toEqual([])
    expect(rows.outbox).toEqual([])
    const [{ n } = { n: 0 }] = await db.query<{ n: number }>(
      'select count(*)::int as n from invitation',
    )
    expect(n).toBeGreaterThanOrEqual(3)
  })

  it('shows nothing for an unknown hash, and does not let the holder change the invitation', async () => {
    const unknown = await inScope(db.orm, { invitationTokenHash: 'f'.repeat(64) }, (em) =>
      selectAll(em, 'invitation'),
    )
    expect(unknown).toEqual([])
    const result = await inScope(db.orm, { invitationTokenHash: b.invitationTokenHash }, (em) =>
      em.execute<{ affectedRows: number }>(
        `update invitation set role = 'admin' where id = ?`,
        [b.invitationId],
        'run',
      ),
    )
    expect(result.affectedRows).toBe(0)
  })
})

describe('the role switch is transaction-local', () => {
  it('leaves the pooled connection as the owner, with no tenant setting, after a unit of work', async () => {
    // One connection in the pool, so "outside" is the very connection inScope used.
    const orm = await initORM(db.url, { pool: { min: 1, max: 1 } })
    try {
      const probe = `select current_user as "user", pg_backend_pid() as pid,
                            current_setting('app.organization_id', true) as org,
                            current_setting('app.user_id', true) as "userId"`
      type Probe = { user: string; pid: number; org: string | null; userId: string | null }
      const [inside] = await inScope(orm, { organizationId: a.id, userId: alice.userId }, (em) =>
        em.execute<Probe[]>(probe),
      )
      expect(inside).toMatchObject({ user: APP_ROLE, org: a.id, userId: alice.userId })

      const [after] = await orm.em.fork().execute<Probe[]>(probe)
      expect(after!.pid).toBe(inside!.pid)
      expect(after!.user).toBe(decodeURIComponent(new URL(db.url).username))
      expect(after!.org ?? '').toBe('')
      expect(after!.userId ?? '').toBe('')

      // Also after a unit of work that failed and rolled back.
      await expect(
        inScope(orm, { organizationId: a.id }, async () => {
          throw new Error('boom')
        }),
      ).rejects.toThrow('boom')
      const [afterFailure] = await orm.em.fork().execute<Probe[]>(probe)
      expect(afterFailure).toMatchObject({ pid: inside!.pid, user: after!.user })
      expect(afterFailure!.org ?? '').toBe('')
    } finally {
      await orm.close(true)
    }
  })
})

describe('the catalog', () => {
  it('has RLS enabled and forced, a policy and grants on every table with organization_id', async () => {
    const tables = await db.query<{
      table: string
      rls: boolean
      forced: boolean
      policies: number
      canSelect: boolean
      canTruncate: boolean
      ownedByApp: boolean
    }>(
      `select c.relname as table, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
              (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies,
              has_table_privilege($1, c.oid, 'SELECT') as "canSelect",
              has_table_privilege($1, c.oid, 'TRUNCATE') as "canTruncate",
              pg_get_userbyid(c.relowner) = $1 as "ownedByApp"
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p')
          and (c.relname = 'organization' or exists (
                select 1 from pg_attribute a
                 where a.attrelid = c.oid and a.attname = 'organization_id' and not a.attisdropped))
        order by 1`,
      [APP_ROLE],
    )
    // The query finds what it should (a typo in it must not make the test vacuous).
    expect(tables.map((t) => t.table)).toEqual(
      expect.arrayContaining(['email_outbox', 'invitation', 'membership', 'organization']),
    )
    for (const t of tables) {
      expect(t, t.table).toEqual({
        table: t.table,
        rls: true,
        forced: true,
        policies: expect.any(Number),
        canSelect: true,
        canTruncate: false,
        ownedByApp: false,
      })
      expect(t.policies, `${t.table} policies`).toBeGreaterThan(0)
    }
  })

  it('gives the application role no TRUNCATE and no ownership anywhere in public, and no bypass', async () => {
    const [role] = await db.query<{
      rolbypassrls: boolean
      rolsuper: boolean
      rolcanlogin: boolean
    }>('select rolbypassrls, rolsuper, rolcanlogin from pg_roles where rolname = $1', [APP_ROLE])
    expect(role).toEqual({ rolbypassrls: false, rolsuper: false, rolcanlogin: false })
    const risky = await db.query<{ relname: string }>(
      `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind in ('r', 'p')
          and (has_table_privilege($1, c.oid, 'TRUNCATE') or pg_get_userbyid(c.relowner) = $1)`,
      [APP_ROLE],
    )
    expect(risky).toEqual([])
  })
})
