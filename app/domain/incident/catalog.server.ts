import type { MikroORM } from '@mikro-orm/postgresql'
import { UniqueConstraintViolationException } from '@mikro-orm/core'
import { IncidentTypeSchema, ServiceSchema } from '../../../db/entities/incident'
import { inScope } from '../../../db/tenant'
import { referenceWritten } from '~/utils/reference-cache.server'
import { referenceCatalog } from '~/domain/reference/reference-data.server'
import { IncidentError } from './incident-errors'

export type CatalogKind = 'service' | 'type'

const schemaFor = (kind: CatalogKind) => (kind === 'service' ? ServiceSchema : IncidentTypeSchema)

/** Every service and incident type, active ones first, then by name. */
export async function listCatalog(orm: MikroORM, organizationId: string) {
  const { services, types } = await referenceCatalog(orm, organizationId)
  // Stable partitions of name-ordered lists: the order `active desc, name asc` gives.
  const activeFirst = <T extends { active: boolean }>(entries: readonly T[]) => [
    ...entries.filter((e) => e.active),
    ...entries.filter((e) => !e.active),
  ]
  return { services: activeFirst(services), types: activeFirst(types) }
}

export async function addCatalogEntry(
  orm: MikroORM,
  organizationId: string,
  kind: CatalogKind,
  name: string,
  description: string,
) {
  try {
    const id = await inScope(orm, { organizationId }, async (em) => {
      const entry = em.create(schemaFor(kind), {
        organizationId,
        name: name.trim(),
        description: description.trim(),
        active: true,
      })
      await em.flush()
      return entry.id
    })
    referenceWritten(orm, organizationId)
    return id
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
  const changed = await inScope(orm, { organizationId }, async (em) => {
    const updated = await em.nativeUpdate(schemaFor(kind), { id, organizationId }, { active })
    return updated > 0
  })
  if (changed) referenceWritten(orm, organizationId)
  return changed
}
