import type { MikroORM } from '@mikro-orm/postgresql'
import { UniqueConstraintViolationException } from '@mikro-orm/core'
import { IncidentTypeSchema, ServiceSchema } from '../../../db/entities/incident'
import { inScope } from '../../../db/tenant'
import { IncidentError } from './incident-service.server'

export type CatalogKind = 'service' | 'type'

const schemaFor = (kind: CatalogKind) => (kind === 'service' ? ServiceSchema : IncidentTypeSchema)

export async function listCatalog(orm: MikroORM, organizationId: string) {
  return inScope(orm, { organizationId }, async (em) => {
    // Sequential: both queries run on the transaction's one connection anyway.
    const services = await em.find(
      ServiceSchema,
      { organizationId },
      { orderBy: { active: 'desc', name: 'asc' } },
    )
    const types = await em.find(
      IncidentTypeSchema,
      { organizationId },
      { orderBy: { active: 'desc', name: 'asc' } },
    )
    const plain = (e: { id: string; name: string; description: string; active: boolean }) => ({
      id: e.id,
      name: e.name,
      description: e.description,
      active: e.active,
    })
    return { services: services.map(plain), types: types.map(plain) }
  })
}

export async function addCatalogEntry(
  orm: MikroORM,
  organizationId: string,
  kind: CatalogKind,
  name: string,
  description: string,
) {
  try {
    return await inScope(orm, { organizationId }, async (em) => {
      const entry = em.create(schemaFor(kind), {
        organizationId,
        name: name.trim(),
        description: description.trim(),
        active: true,
      })
      await em.flush()
      return entry.id
    })
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) {
      throw new IncidentError(
        'name',
        `There already is a ${kind === 'service' ? 'service' : 'type'} with this name.`,
      )
    }
    throw error
  }
}

/** Entries are retired, not deleted: past incidents keep pointing at them. */
export async function setCatalogEntryActive(
  orm: MikroORM,
  organizationId: string,
  kind: CatalogKind,
  id: string,
  active: boolean,
) {
  return inScope(orm, { organizationId }, async (em) => {
    const updated = await em.nativeUpdate(schemaFor(kind), { id, organizationId }, { active })
    return updated > 0
  })
}
