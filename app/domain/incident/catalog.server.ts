import type { MikroORM } from '@mikro-orm/postgresql'
import { UniqueConstraintViolationException } from '@mikro-orm/core'
import { IncidentTypeSchema, ServiceSchema } from '../../../db/entities/incident'
import { inScope } from '../../../db/tenant'
import { referenceWritten } from '~/utils/reference-cache.server'
import { referenceCatalog } from '~/domain/reference/reference-data.server'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { IncidentError } from './incident-errors'

export type CatalogKind = 'service' | 'type'

/** Who changes the services and incident types: the organization comes from them. */
export type CatalogEditor = Pick<Member, 'role'> & {
  organization: Pick<Member['organization'], 'id'>
}

/** The services page checks the permission too; the service does not rely on it. */
function assertEditsCatalog(member: CatalogEditor) {
  if (!can(member.role, 'settings.manage'))
    throw new IncidentError(null, 'Only admins can change services and incident types.', 403)
}

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
  member: CatalogEditor,
  kind: CatalogKind,
  name: string,
  description: string,
) {
  assertEditsCatalog(member)
  const organizationId = member.organization.id
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
  member: CatalogEditor,
  kind: CatalogKind,
  id: string,
  active: boolean,
) {
  assertEditsCatalog(member)
  const organizationId = member.organization.id
  const changed = await inScope(orm, { organizationId }, async (em) => {
    const updated = await em.nativeUpdate(schemaFor(kind), { id, organizationId }, { active })
    return updated > 0
  })
  if (changed) referenceWritten(orm, organizationId)
  return changed
}
