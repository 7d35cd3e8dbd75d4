import type { ServerBuild } from '@remix-run/node'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { declareIncident } from '~/domain/incident/incident-service.server'
import { initORM } from '../../db/orm'
import { inScope, NestedScopeError, readScope, RequestUnit } from '../../db/tenant'
import { setUpTestDatabase } from '../support/database'
import { startInProcessApp, type RunningApp } from '../support/in-process-app'
import { addSignedInMember, type SignedInMember } from '../support/incidents'
import { loadRemixBuild } from '../support/remix-build'

const db = setUpTestDatabase('request_path')

let build: ServerBuild
let admin: SignedInMember
let incidentNumber: number

beforeAll(async () => {
  build = await loadRemixBuild()
  admin = await addSignedInMember(db, db.organizationId, 'admin')
  for (let i = 0; i < 3; i++) {
    const { number } = await declareIncident(db.orm, admin.member, {
      title: `Checkout errors ${i}`,
      summary: 'Payments fail for some customers',
      severity: 'SEV-2',
      serviceId: null,
      incidentTypeId: null,
      impactStartedAt: new Date(Date.now() - 10 * 60_000),
    })
    incidentNumber = number
  }
})

const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[\\d+m`, 'g')

/** An ORM of its own for the app under test: a small pool, and every statement it sends. */
async function smallPoolOrm(max: number, acquireTimeoutMillis = 10_000) {
  const statements: string[] = []
  const orm = await initORM(db.url, {
    pool: { min: 0, max, acquireTimeoutMillis },
    debug: ['query'],
    logger: (message: string) => statements.push(message.replace(ANSI_COLOUR, '')),
  })
  return { orm, statements }
}

/** Puts the member's session and membership a touch interval (and more) in the past. */
async function makeTouchDue(member: SignedInMember) {
  const past = new Date(Date.now() - 5 * 60_000)
  await db.query(`update user_session set last_seen_at = $1 where user_id = $2`, [
    past,
    member.member.user.id,
  ])
  await db.query(`update membership set last_seen_at = $1 where user_id = $2`, [
    past,
    member.member.user.id,
  ])
  return past
}

describe('the incident list’s rows', () => {
  let app: RunningApp

  beforeAll(async () => {
    app = await startInProcessApp(db, build)
  })
  afterAll(async () => {
    await app?.close()
  })

  const times = (text: string, part: string) => text.split(part).length - 1

  it('are in a document once, as its markup, and in a data request’s data', async () => {
    const response = await app.get('/incidents', { cookie: admin.cookie })
    const page = await response.text()
    expect(response.status).toBe(200)
    for (let i = 0; i < 3; i++) expect(times(page, `Checkout errors ${i}`)).toBe(1)
    expect(page).toMatch(/<tbody id="incident-rows"[^>]*><tr>/)
    const data = await (await app.get('/incidents.data', { cookie: admin.cookie })).text()
    for (let i = 0; i < 3; i++) expect(times(data, `Checkout errors ${i}`)).toBe(1)
    expect(data).toContain('rowsHtml')
  })
})

describe('pages under a burst of requests', () => {
  const POOL = 3
  let app: RunningApp
  let orm: MikroORM

  beforeAll(async () => {
    orm = (await smallPoolOrm(POOL)).orm
    app = await startInProcessApp(db, build, {}, orm)
  })
  afterAll(async () => {
    await app?.close()
    await orm?.close(true)
  })

  it(`answers all ${POOL * 4} page requests on a pool of ${POOL} right after the once-a-minute touch is due`, async () => {
    for (let round = 0; round < 3; round++) {
      const past = await makeTouchDue(admin)
      const paths = Array.from({ length: POOL * 4 }, (_, i) =>
        i % 2 === 0 ? '/incidents' : `/incidents/${incidentNumber}`,
      )
      const statuses = await Promise.all(
        paths.map(async (path) => {
          const response = await app.get(path, {
            cookie: admin.cookie,
            headers: {},
          })
          await response.arrayBuffer()
          return response.status
        }),
      )
      expect(statuses).toEqual(paths.map(() => 200))

      const [seen] = await db.query<{ session: Date; membership: Date }>(
        `select s.last_seen_at as session, m.last_seen_at as membership
           from user_session s join membership m on m.user_id = s.user_id
          where s.user_id = $1`,
        [admin.member.user.id],
      )
      expect(seen!.session.getTime()).toBeGreaterThan(past.getTime())
      expect(seen!.membership.getTime()).toBeGreaterThan(past.getTime())
    }
  })
})

describe('one unit of data work per page', () => {
  let app: RunningApp
  let orm: MikroORM
  let statements: string[]

  beforeAll(async () => {
    ;({ orm, statements } = await smallPoolOrm(4))
    app = await startInProcessApp(db, build, {}, orm)
  })
  afterAll(async () => {
    await app?.close()
    await orm?.close(true)
  })

  const count = (pattern: RegExp) => statements.filter((s) => pattern.test(s)).length

  for (const path of ['/incidents', '/incidents?q=Checkout', `/incidents/{n}`]) {
    it(`reads ${path} in one transaction on one connection`, async () => {
      const url = path.replace('{n}', String(incidentNumber))
      // The first request may warm caches; the one measured is a steady-state page view.
      await (await app.get(url, { cookie: admin.cookie })).arrayBuffer()
      statements.length = 0
      const response = await app.get(url, { cookie: admin.cookie })
      await response.arrayBuffer()
      expect(response.status).toBe(200)
      expect(count(/\] begin\b/i)).toBe(1)
      expect(count(/\] commit\b/i)).toBe(1)
      expect(count(/\] rollback\b/i)).toBe(0)
    })
  }

  it('reads the incident page in one statement after the viewer', async () => {
    const url = `/incidents/${incidentNumber}`
    await (await app.get(url, { cookie: admin.cookie })).arrayBuffer()
    statements.length = 0
    const response = await app.get(url, { cookie: admin.cookie })
    const page = await response.text()
    expect(response.status).toBe(200)
    expect(page).toContain(`INC-${incidentNumber}`)
    // Reference data (services, members, custom fields, SLA policies) may be read here too when
    // the process has no reference cache; the incident's own rows come in one statement.
    const incidentRows =
      /\b(from|join) "?(incident|incident_event|incident_timeline_entry|attachment|incident_link|incident_role|incident_role_holder|incident_viewer|postmortem)"?\b/
    expect(count(incidentRows)).toBe(1)
    expect(count(/\] begin\b/i)).toBe(1)
  })
})

describe('a request that cannot get a connection', () => {
  let app: RunningApp
  let orm: MikroORM

  beforeAll(async () => {
    ;({ orm } = await smallPoolOrm(1, 500))
    app = await startInProcessApp(db, build, {}, orm)
  })
  afterAll(async () => {
    await app?.close()
    await orm?.close(true)
  })

  it('is answered 503 with Retry-After within the acquire timeout, then served once one is free', async () => {
    const holder = orm.em.fork()
    await holder.begin()
    try {
      const started = Date.now()
      const busy = await app.get('/incidents', { cookie: admin.cookie })
      const elapsed = Date.now() - started
      expect(busy.status).toBe(503)
      expect(busy.headers.get('retry-after')).toBe('5')
      expect(await busy.text()).toContain('IncidentFlow is busy')
      expect(elapsed).toBeLessThan(5_000)
    } finally {
      await holder.rollback()
    }
    const served = await app.get('/incidents', { cookie: admin.cookie })
    expect(served.status).toBe(200)
  })
})

describe('inScope never holds one pooled connection while waiting for another', () => {
  it('refuses an inScope call nested in another outside a request', async () => {
    await expect(
      inScope(db.orm, { organizationId: db.organizationId }, () =>
        inScope(db.orm, { organizationId: db.organizationId }, async () => 1),
      ),
    ).rejects.toBeInstanceOf(NestedScopeError)
  })

  it('runs a request’s parallel and nested calls on its one connection, with each call’s own scope', async () => {
    const { orm } = await smallPoolOrm(1, 1_000)
    try {
      const unit = new RequestUnit(orm)
      const orgOf = (em: EntityManager) =>
        em
          .execute<{ org: string }[]>(`select current_setting('app.organization_id', true) as org`)
          .then((rows) => rows[0]!.org)
      const results = await RequestUnit.enter(unit, () =>
        Promise.all([
          inScope(orm, { organizationId: db.organizationId }, async (em) => {
            const inner = await inScope(orm, { userId: admin.member.user.id }, orgOf)
            return [inner, await orgOf(em)]
          }),
          inScope(orm, {}, orgOf),
          inScope(orm, { organizationId: db.organizationId }, orgOf),
        ]),
      )
      await unit.finish()
      expect(results).toEqual([['', db.organizationId], '', db.organizationId])
    } finally {
      await orm.close(true)
    }
  })

  it('commits a request’s write before a read that follows it, and a failing read ends only its own transaction', async () => {
    const { orm, statements } = await smallPoolOrm(1, 1_000)
    try {
      const unit = new RequestUnit(orm)
      const marker = `read-after-write-${Date.now()}`
      const reads = await RequestUnit.enter(unit, async () => {
        await inScope(orm, { organizationId: db.organizationId }, (em) =>
          em.execute(`update organization set name = ? where id = ?`, [marker, db.organizationId]),
        )
        await expect(
          readScope(orm, { organizationId: db.organizationId }, (em) =>
            em.execute(`select 1 / 0 as boom`),
          ),
        ).rejects.toThrow(/division by zero/)
        return readScope(orm, { organizationId: db.organizationId }, (em) =>
          em.execute<{ name: string }[]>(`select name from organization where id = ?`, [
            db.organizationId,
          ]),
        )
      })
      await unit.finish()
      expect(reads[0]!.name).toBe(marker)
      expect(statements.filter((s) => /\] commit\b/.test(s))).toHaveLength(2)
      expect(statements.filter((s) => /\] rollback\b/.test(s))).toHaveLength(1)
      const [row] = await db.query<{ name: string }>(
        'select name from organization where id = $1',
        [db.organizationId],
      )
      expect(row!.name).toBe(marker)
    } finally {
      await orm.close(true)
    }
  })

  it('rolls back only the failing call of a request and commits the rest before the response', async () => {
    const { orm } = await smallPoolOrm(1, 1_000)
    try {
      const unit = new RequestUnit(orm)
      const marker = `unit-${Date.now()}`
      await RequestUnit.enter(unit, async () => {
        await inScope(orm, { organizationId: db.organizationId }, (em) =>
          em.execute(`update organization set name = ? where id = ?`, [marker, db.organizationId]),
        )
        await expect(
          inScope(orm, { organizationId: db.organizationId }, async (em) => {
            await em.execute(`update organization set name = 'lost' where id = ?`, [
              db.organizationId,
            ])
            throw new Error('refused')
          }),
        ).rejects.toThrow('refused')
      })
      await unit.finish()
      const [row] = await db.query<{ name: string }>(
        'select name from organization where id = $1',
        [db.organizationId],
      )
      expect(row!.name).toBe(marker)
    } finally {
      await orm.close(true)
    }
  })
})
