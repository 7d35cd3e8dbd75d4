import type { EntityManager } from '@mikro-orm/postgresql'
import { OrganizationSchema } from './entities/organization'

export interface SeedResult {
  created: boolean
  organization: { name: string; slug: string }
}

/**
 * The demo organization for `make dev`. Only seeds an empty database, so it never touches data
 * someone has created by hand.
 */
export async function seedDemo(em: EntityManager): Promise<SeedResult> {
  return em.transactional(async (tx) => {
    const existing = await tx.count(OrganizationSchema, {})
    if (existing > 0) {
      const [first] = await tx.find(
        OrganizationSchema,
        {},
        { orderBy: { createdAt: 'asc' }, limit: 1 },
      )
      return { created: false, organization: { name: first?.name ?? '', slug: first?.slug ?? '' } }
    }
    const acme = tx.create(OrganizationSchema, {
      name: 'Acme',
      slug: 'acme',
      timezone: 'Europe/Berlin',
    })
    await tx.flush()
    return { created: true, organization: { name: acme.name, slug: acme.slug } }
  })
}
