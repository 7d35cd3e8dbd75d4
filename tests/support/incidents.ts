/**
 * Helpers for incident tests: members made directly in the database (as the owner), the stored
 * incident and its events read back under the tenant scope, and tampering with the append-only
 * timeline the way an attacker with owner rights could.
 */
import { randomBytes } from 'node:crypto'
import type { MikroORM } from '@mikro-orm/postgresql'
import pg from 'pg'
import type { Role } from '~/domain/access/permissions'
import type { StoredEvent } from '~/domain/incident/events'
import { toStoredEvent } from '~/domain/incident/event-store.server'
import { IncidentEventSchema, IncidentSchema, type Incident } from '../../db/entities/incident'
import { inScope } from '../../db/tenant'
import { signIn } from './access'
import type { TestDatabase } from './database'

/** What the incident services need to know about who acts (a `Member`, minus the session). */
export interface TestMember {
  user: { id: string; email: string; displayName: string }
  role: Role
  organization: { id: string; name: string; slug: string; timezone: string }
}

/** Creates a user with an active membership of `role` in the organization. */
export async function addMember(
  db: TestDatabase,
  organizationId: string,
  role: Role,
  options: { name?: string; email?: string; passwordHash?: string | null } = {},
): Promise<TestMember> {
  const name = options.name ?? `${role} ${randomBytes(2).toString('hex')}`
  const email = options.email ?? `${role}-${randomBytes(6).toString('hex')}@example.test`
  const [user] = await db.query<{ id: string }>(
    'insert into app_user (email, display_name, password_hash) values ($1, $2, $3) returning id',
    [email, name, options.passwordHash ?? null],
  )
  await db.query(
    'insert into membership (organization_id, user_id, role, active) values ($1, $2, $3, true)',
    [organizationId, user!.id, role],
  )
  const [organization] = await db.query<{
    id: string
    name: string
    slug: string
    timezone: string
  }>('select id, name, slug, timezone from organization where id = $1', [organizationId])
  return {
    user: { id: user!.id, email, displayName: name },
    role,
    organization: organization!,
  }
}

/** The incident row and its events, oldest first, read as the application under the scope. */
export async function loadIncident(
  orm: MikroORM,
  organizationId: string,
  number: number,
): Promise<{ incident: Incident; events: StoredEvent[] }> {
  return inScope(orm, { organizationId }, async (em) => {
    const incident = await em.findOneOrFail(IncidentSchema, { organizationId, number })
    const rows = await em.find(
      IncidentEventSchema,
      { organizationId, incidentId: incident.id },
      { orderBy: { seq: 'asc' } },
    )
    return { incident, events: rows.map(toStoredEvent) }
  })
}

/** Events and version of one incident as committed, read by the owner. */
export async function eventCount(db: TestDatabase, organizationId: string, number: number) {
  const [row] = await db.query<{ events: number; version: number; last_event_seq: number }>(
    `select (select count(*)::int from incident_event e where e.incident_id = i.id) as events,
            i.version, i.last_event_seq
       from incident i where i.organization_id = $1 and i.number = $2`,
    [organizationId, number],
  )
  return row
}

/**
 * Runs `statements` as the owner with the append-only triggers of incident_event switched off,
 * all in one transaction that switches them back on before it commits: no other session ever
 * sees the table unprotected.
 */
export async function tamper(
  url: string,
  statements: ReadonlyArray<{ sql: string; values?: unknown[] }>,
) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query('begin')
    await client.query('alter table incident_event disable trigger user')
    for (const { sql, values } of statements) await client.query(sql, values)
    await client.query('alter table incident_event enable trigger user')
    await client.query('commit')
  } catch (error) {
    await client.query('rollback').catch(() => {})
    throw error
  } finally {
    await client.end()
  }
}

export interface SignedInMember {
  member: TestMember
  /** `name=value` of the session cookie, for requests as this member. */
  cookie: string
}

/** A new member of the organization with a signed-in session, as pages over HTTP need. */
export async function addSignedInMember(
  db: TestDatabase,
  organizationId: string,
  role: Role,
  options: { name?: string } = {},
): Promise<SignedInMember> {
  const member = await addMember(db, organizationId, role, options)
  const session = await signIn(db, { userId: member.user.id, organizationId })
  return { member, cookie: session.cookie }
}
