import { beforeAll, describe, expect, it } from 'vitest'
import {
  addCatalogEntry,
  listCatalog,
  setCatalogEntryActive,
  type CatalogKind,
} from '~/domain/incident/catalog.server'
import { IncidentError } from '~/domain/incident/incident-errors'
import { thrownBy } from '../support/access'
import { setUpTestDatabase } from '../support/database'
import { addMember, type TestMember } from '../support/incidents'

const db = setUpTestDatabase('catalog')

let admin: TestMember
let refused: TestMember[]

beforeAll(async () => {
  admin = await addMember(db, db.organizationId, 'admin')
  refused = [
    await addMember(db, db.organizationId, 'engineer'),
    await addMember(db, db.organizationId, 'manager'),
  ]
})

async function rows(kind: CatalogKind) {
  return db.query<{ name: string; active: boolean }>(
    `select name, active from ${kind === 'service' ? 'service' : 'incident_type'}
      where organization_id = $1 order by name`,
    [db.organizationId],
  )
}

async function expectForbidden(attempt: Promise<unknown>) {
  const error = await thrownBy(attempt)
  expect(error).toBeInstanceOf(IncidentError)
  expect(error).toMatchObject({
    status: 403,
    message: 'Only admins can change services and incident types.',
  })
}

describe.each(['service', 'type'] as const)('the %s catalog', (kind) => {
  it('takes additions and retirements from an admin, in the admin’s organization', async () => {
    const id = await addCatalogEntry(db.orm, admin, kind, ` Admin ${kind} `, '')
    expect(await rows(kind)).toContainEqual({ name: `Admin ${kind}`, active: true })
    expect(await setCatalogEntryActive(db.orm, admin, kind, id, false)).toBe(true)
    expect(await rows(kind)).toContainEqual({ name: `Admin ${kind}`, active: false })
    const listed = await listCatalog(db.orm, db.organizationId)
    expect((kind === 'service' ? listed.services : listed.types).map((e) => e.name)).toContain(
      `Admin ${kind}`,
    )
  })

  it('refuses an engineer or a manager adding an entry (403), and writes nothing', async () => {
    const before = await rows(kind)
    for (const person of refused) {
      await expectForbidden(addCatalogEntry(db.orm, person, kind, `Sneaky ${kind}`, ''))
    }
    expect(await rows(kind)).toEqual(before)
  })

  it('refuses an engineer or a manager retiring or restoring an entry (403), and changes nothing', async () => {
    const kept = await addCatalogEntry(db.orm, admin, kind, `Kept ${kind}`, '')
    const retired = await addCatalogEntry(db.orm, admin, kind, `Retired ${kind}`, '')
    await setCatalogEntryActive(db.orm, admin, kind, retired, false)
    const before = await rows(kind)
    for (const person of refused) {
      await expectForbidden(setCatalogEntryActive(db.orm, person, kind, kept, false))
      await expectForbidden(setCatalogEntryActive(db.orm, person, kind, retired, true))
    }
    expect(await rows(kind)).toEqual(before)
    expect(before).toContainEqual({ name: `Kept ${kind}`, active: true })
    expect(before).toContainEqual({ name: `Retired ${kind}`, active: false })
  })
})
