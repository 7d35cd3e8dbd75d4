import { randomUUID } from 'node:crypto'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { hashPassword } from '../app/domain/access/password.server'
import type { Role } from '../app/domain/access/permissions'
import { MembershipSchema, UserSchema } from './entities/access'
import { OrganizationSchema } from './entities/organization'
import { inScope } from './tenant'

/** Development only: printed by `make dev`, never used outside a local demo database. */
export const DEMO_PASSWORD = 'incidentflow-demo-2026'

export const DEMO_USERS: ReadonlyArray<{ email: string; name: string; role: Role }> = [
  { email: 'admin@acme.test', name: 'Ada Admin', role: 'admin' },
  { email: 'manager@acme.test', name: 'Max Manager', role: 'manager' },
  { email: 'engineer@acme.test', name: 'Erin Engineer', role: 'engineer' },
  { email: 'oncall@acme.test', name: 'Omar Oncall', role: 'engineer' },
]

export interface SeedResult {
  created: boolean
  organization: string
  users: ReadonlyArray<{ email: string; role: Role }>
}

/**
 * The demo organization "Acme" with one admin, one manager and two engineers. Only seeds a
 * database without users, so it never touches data someone created. Runs as the application
 * role under Acme's tenant setting, like any other write.
 */
export async function seedDemo(orm: MikroORM): Promise<SeedResult> {
  const existing = await inScope(orm, {}, (em: EntityManager) => em.count(UserSchema, {}))
  if (existing > 0) return { created: false, organization: 'Acme', users: DEMO_USERS }
  const passwordHash = await hashPassword(DEMO_PASSWORD)
  const organizationId = randomUUID()
  await inScope(orm, { organizationId }, async (em) => {
    em.create(OrganizationSchema, {
      id: organizationId,
      name: 'Acme',
      slug: 'acme',
      timezone: 'Europe/Berlin',
    })
    await em.flush()
    for (const demo of DEMO_USERS) {
      const user = em.create(UserSchema, {
        email: demo.email,
        displayName: demo.name,
        passwordHash,
      })
      await em.flush()
      em.create(MembershipSchema, {
        organizationId,
        userId: user.id,
        role: demo.role,
        active: true,
      })
    }
  })
  return { created: true, organization: 'Acme', users: DEMO_USERS }
}
