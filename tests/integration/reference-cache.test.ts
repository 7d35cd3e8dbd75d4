import type { MikroORM } from '@mikro-orm/postgresql'
import { isDeepStrictEqual } from 'node:util'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { changeRole, listMembers, setActive } from '~/domain/access/members.server'
import {
  addCatalogEntry,
  listCatalog,
  setCatalogEntryActive,
} from '~/domain/incident/catalog.server'
import { getCatalogs } from '~/domain/incident/incident-queries.server'
import { saveTriageMatrix } from '~/domain/incident/triage-settings.server'
import { DEFAULT_TRIAGE_MATRIX, type TriageMatrix } from '~/domain/incident/triage'
import {
  REFERENCE_CHANNEL,
  startReferenceCache,
  type RunningReferenceCache,
} from '~/utils/reference-cache.server'
import { initORM } from '../../db/orm'
import { setUpTestDatabase } from '../support/database'
import { addMember, type TestMember } from '../support/incidents'
import { waitFor } from '../support/worker-process'

// Two ORMs with a reference cache and a LISTEN connection each stand for two web processes on
// one database: a change made through one must reach the other's cache.

const db = setUpTestDatabase('reference_cache')

let ormB: MikroORM
const running: RunningReferenceCache[] = []

function cacheFor(orm: MikroORM, options: { maxOrganizations?: number } = {}) {
  const started = startReferenceCache(orm, {
    url: db.url,
    maxOrganizations: options.maxOrganizations ?? 100,
    maxAgeMs: 60_000,
    heartbeatMs: 1_000,
  })
  running.push(started)
  return started
}

beforeAll(async () => {
  ormB = await initORM(db.url, { pool: { min: 0, max: 4 } })
})
afterEach(async () => {
  for (const started of running.splice(0)) await started.stop()
})
afterAll(async () => {
  await ormB?.close(true)
})

async function team(name: string) {
  const organizationId = await db.createOrganization(name)
  const admin = await addMember(db, organizationId, 'admin', { name: `${name} Admin` })
  const engineer = await addMember(db, organizationId, 'engineer', { name: `${name} Engineer` })
  return { organizationId, admin, engineer }
}

/**
 * Reads until the answer comes from the cache: a notification still on its way (from setting up
 * the test's data) drops what was loaded before it arrived.
 */
async function fromCache<T>(started: RunningReferenceCache, read: () => Promise<T>): Promise<T> {
  const { value } = await waitFor('a read served from the cache', async () => {
    const hits = started.cache.stats.hits
    const value = await read()
    return started.cache.stats.hits > hits ? { value } : undefined
  })
  return value
}

const names = (entries: readonly { name: string }[]) => entries.map((e) => e.name)

async function membershipId(member: TestMember) {
  const [row] = await db.query<{ id: string }>(
    'select id from membership where user_id = $1 and organization_id = $2',
    [member.user.id, member.organization.id],
  )
  return row!.id
}

describe('notifications from the database', () => {
  it('announce every write to reference data, with the organization as payload, once committed', async () => {
    const { organizationId, engineer } = await team('Notify')
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    const heard: string[] = []
    client.on('notification', (m) => heard.push(m.payload ?? ''))
    await client.query(`listen ${REFERENCE_CHANNEL}`)
    const expectHeard = async (
      what: string,
      payload: string | null,
      sql: string,
      values: unknown[],
    ) => {
      heard.length = 0
      await db.query(sql, values)
      // A round trip on the listening connection: anything sent before it has arrived.
      await client.query('select 1')
      expect(heard, what).toEqual(payload === null ? [] : [payload])
    }
    try {
      await expectHeard(
        'service added',
        organizationId,
        `insert into service (organization_id, name) values ($1, 'Search')`,
        [organizationId],
      )
      await expectHeard(
        'service renamed',
        organizationId,
        `update service set name = 'Site search' where organization_id = $1`,
        [organizationId],
      )
      await expectHeard(
        'type added',
        organizationId,
        `insert into incident_type (organization_id, name) values ($1, 'Outage')`,
        [organizationId],
      )
      await expectHeard(
        'triage matrix saved',
        organizationId,
        `insert into triage_matrix (organization_id, matrix) values ($1, $2)`,
        [organizationId, JSON.stringify(DEFAULT_TRIAGE_MATRIX)],
      )
      await expectHeard(
        'SLA policy version added',
        organizationId,
        `insert into sla_policy (organization_id, version, targets) values ($1, 7, '{}')`,
        [organizationId],
      )
      await expectHeard(
        'role changed',
        organizationId,
        `update membership set role = 'manager' where user_id = $1`,
        [engineer.user.id],
      )
      await expectHeard(
        'member deactivated',
        organizationId,
        `update membership set active = false where user_id = $1`,
        [engineer.user.id],
      )
      await expectHeard(
        'name changed (every organization the person is in)',
        '*',
        `update app_user set display_name = 'Renamed' where id = $1`,
        [engineer.user.id],
      )
      await expectHeard(
        'last seen written',
        null,
        `update membership set last_seen_at = now() where user_id = $1`,
        [engineer.user.id],
      )
      await expectHeard(
        'role saved unchanged',
        null,
        `update membership set role = role where user_id = $1`,
        [engineer.user.id],
      )
      await expectHeard(
        'login time written',
        null,
        `update app_user set last_login_at = now() where id = $1`,
        [engineer.user.id],
      )
      await expectHeard(
        'service deleted',
        organizationId,
        `delete from service where organization_id = $1`,
        [organizationId],
      )

      // Rolled back: nothing is announced.
      heard.length = 0
      const writer = new pg.Client({ connectionString: db.url })
      await writer.connect()
      await writer.query('begin')
      await writer.query(`insert into service (organization_id, name) values ($1, 'Never')`, [
        organizationId,
      ])
      await writer.query('rollback')
      await writer.end()
      await client.query('select 1')
      expect(heard).toEqual([])
    } finally {
      await client.end()
    }
  })
})

describe('the reference cache across two processes', () => {
  it('shows a service retired or added through process A in process B within a second', async () => {
    const { organizationId, admin } = await team('Catalog')
    cacheFor(db.orm)
    const b = cacheFor(ormB)
    await Promise.all(running.map((r) => r.listener.whenConnected()))
    const checkout = await addCatalogEntry(db.orm, admin, 'service', 'Checkout', '')
    await addCatalogEntry(db.orm, admin, 'service', 'Payments', '')

    const before = await fromCache(b, () => getCatalogs(ormB, organizationId))
    expect(names(before.services)).toEqual(['Checkout', 'Payments'])

    const retiredAt = Date.now()
    await setCatalogEntryActive(db.orm, admin, 'service', checkout, false)
    await waitFor(
      'B to drop the retired service',
      async () =>
        names((await getCatalogs(ormB, organizationId)).services).join() === 'Payments' ||
        undefined,
      { timeoutMs: 1_000, intervalMs: 20 },
    )
    expect(Date.now() - retiredAt).toBeLessThan(1_000)
    expect((await listCatalog(ormB, organizationId)).services).toEqual([
      expect.objectContaining({ name: 'Payments', active: true }),
      expect.objectContaining({ name: 'Checkout', active: false }),
    ])
    // Kept again once reloaded.
    expect(names((await fromCache(b, () => getCatalogs(ormB, organizationId))).services)).toEqual([
      'Payments',
    ])
  })

  it('shows a rename made outside the application (psql) in both processes', async () => {
    const { organizationId, admin } = await team('Rename')
    const a = cacheFor(db.orm)
    const b = cacheFor(ormB)
    await Promise.all([a.listener.whenConnected(), b.listener.whenConnected()])
    await addCatalogEntry(db.orm, admin, 'type', 'Outage', '')
    for (const [started, orm] of [
      [a, db.orm],
      [b, ormB],
    ] as const) {
      const kept = await fromCache(started, () => getCatalogs(orm, organizationId))
      expect(names(kept.types)).toEqual(['Outage'])
    }

    await db.query(`update incident_type set name = 'Full outage' where organization_id = $1`, [
      organizationId,
    ])

    for (const orm of [db.orm, ormB]) {
      await waitFor(
        'the new name',
        async () =>
          names((await getCatalogs(orm, organizationId)).types).join() === 'Full outage' ||
          undefined,
        { timeoutMs: 1_000, intervalMs: 20 },
      )
    }
  })

  it('shows a role change to the next read in the same process at once, and in the other soon after', async () => {
    const { organizationId, admin, engineer } = await team('Roles')
    const a = cacheFor(db.orm)
    const b = cacheFor(ormB)
    await Promise.all([a.listener.whenConnected(), b.listener.whenConnected()])
    const roleOf = async (orm: MikroORM) =>
      (await listMembers(orm, organizationId)).find((m) => m.userId === engineer.user.id)?.role
    expect(await fromCache(a, () => roleOf(db.orm))).toBe('engineer')
    expect(await fromCache(b, () => roleOf(ormB))).toBe('engineer')

    await changeRole(db.orm, admin, await membershipId(engineer), 'manager')
    // No waiting: the process that made the change reads it on the very next call.
    expect(await roleOf(db.orm)).toBe('manager')
    await waitFor(
      'B to see the new role',
      async () => (await roleOf(ormB)) === 'manager' || undefined,
      {
        timeoutMs: 1_000,
        intervalMs: 20,
      },
    )

    await setActive(db.orm, admin, await membershipId(engineer), false)
    expect(
      (await listMembers(db.orm, organizationId)).find((m) => m.userId === engineer.user.id)
        ?.active,
    ).toBe(false)
    await waitFor(
      'B to see the deactivation',
      async () =>
        (await listMembers(ormB, organizationId)).find((m) => m.userId === engineer.user.id)
          ?.active === false || undefined,
      { timeoutMs: 1_000, intervalMs: 20 },
    )
  })

  it('shows a saved triage matrix in the other process', async () => {
    const { organizationId, admin } = await team('Triage')
    cacheFor(db.orm)
    const b = cacheFor(ormB)
    await b.listener.whenConnected()
    expect((await fromCache(b, () => getCatalogs(ormB, organizationId))).matrix).toEqual(
      DEFAULT_TRIAGE_MATRIX,
    )
    const matrix = structuredClone(DEFAULT_TRIAGE_MATRIX) as TriageMatrix
    const [impact] = Object.keys(matrix) as Array<keyof TriageMatrix>
    const [urgency] = Object.keys(matrix[impact!]) as Array<keyof TriageMatrix[keyof TriageMatrix]>
    matrix[impact!][urgency!] = matrix[impact!][urgency!] === 'SEV-4' ? 'SEV-1' : 'SEV-4'

    await saveTriageMatrix(db.orm, admin, matrix)

    await waitFor(
      'B to read the new matrix',
      async () =>
        isDeepStrictEqual((await getCatalogs(ormB, organizationId)).matrix, matrix) || undefined,
      { timeoutMs: 1_000, intervalMs: 20 },
    )
  })

  it('never serves one organization’s data for another, and invalidates them separately', async () => {
    const one = await team('Tenant One')
    const two = await team('Tenant Two')
    await addCatalogEntry(db.orm, one.admin, 'service', 'Only in one', '')
    await addCatalogEntry(db.orm, two.admin, 'service', 'Only in two', '')
    const b = cacheFor(ormB)
    await b.listener.whenConnected()
    expect(names((await getCatalogs(ormB, one.organizationId)).services)).toEqual(['Only in one'])
    expect(names((await getCatalogs(ormB, two.organizationId)).services)).toEqual(['Only in two'])
    expect((await listMembers(ormB, two.organizationId)).map((m) => m.displayName).sort()).toEqual([
      'Tenant Two Admin',
      'Tenant Two Engineer',
    ])

    await addCatalogEntry(db.orm, one.admin, 'service', 'Second in one', '')
    await waitFor(
      'B to reload organization one',
      async () =>
        names((await getCatalogs(ormB, one.organizationId)).services).length === 2 || undefined,
    )
    const loads = b.cache.stats.loads
    expect(names((await getCatalogs(ormB, two.organizationId)).services)).toEqual(['Only in two'])
    expect(b.cache.stats.loads).toBe(loads)
  })

  it('loads once for a burst of requests on a cold cache', async () => {
    const { organizationId } = await team('Burst')
    const b = cacheFor(ormB)
    await b.listener.whenConnected()
    const results = await Promise.all(
      Array.from({ length: 25 }, () => getCatalogs(ormB, organizationId)),
    )
    expect(results).toHaveLength(25)
    expect(b.cache.stats).toMatchObject({ loads: 1, joined: 24 })
  })

  it('hands out frozen plain data, never entities', async () => {
    const { organizationId } = await team('Frozen')
    const b = cacheFor(ormB)
    await b.listener.whenConnected()
    const members = await listMembers(ormB, organizationId)
    expect(Object.isFrozen(members)).toBe(true)
    expect(Object.isFrozen(members[0])).toBe(true)
    expect(Object.getPrototypeOf(members[0])).toBe(Object.prototype)
    expect(() => ((members[0] as { role: string }).role = 'admin')).toThrow(TypeError)
  })

  it('keeps at most maxOrganizations', async () => {
    const teams = await Promise.all(['Bound 1', 'Bound 2', 'Bound 3'].map(team))
    const b = cacheFor(ormB, { maxOrganizations: 2 })
    await b.listener.whenConnected()
    for (const t of teams) await getCatalogs(ormB, t.organizationId)
    expect(b.cache.size).toBe(2)
  })

  it('reads the database while its listener is cut off, and starts empty once it is back', async () => {
    const { organizationId } = await team('Restart')
    const b = cacheFor(ormB)
    await b.listener.whenConnected()
    await getCatalogs(ormB, organizationId)
    const flushes = b.cache.stats.flushes

    // What a PostgreSQL restart does to the connection.
    await db.query(
      `select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and application_name = 'incidentflow-listener'`,
    )
    await waitFor('the listener to notice', () => !b.listener.connected || undefined, {
      timeoutMs: 5_000,
      intervalMs: 10,
    })
    expect(b.cache.isLive).toBe(false)
    // Sent while nobody listens: lost. Reads go to the database meanwhile.
    await db.query(`insert into service (organization_id, name) values ($1, 'Added while away')`, [
      organizationId,
    ])
    expect(names((await getCatalogs(ormB, organizationId)).services)).toEqual(['Added while away'])

    await waitFor('the listener to reconnect', () => b.listener.connected || undefined, {
      timeoutMs: 10_000,
      intervalMs: 20,
    })
    expect(b.cache.isLive).toBe(true)
    expect(b.cache.stats.flushes).toBeGreaterThan(flushes)
    expect(names((await getCatalogs(ormB, organizationId)).services)).toEqual(['Added while away'])
  })
})
