import { randomUUID } from 'node:crypto'
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { addCatalogEntry } from '~/domain/incident/catalog.server'
import {
  addComment,
  assignIncident,
  declareIncident,
  transitionIncident,
} from '~/domain/incident/incident-service.server'
import { hashPassword } from '~/domain/access/password.server'
import { createActionItem, localDate } from '~/domain/postmortem/action-items.server'
import { savePostmortem } from '~/domain/postmortem/postmortem.server'
import type { Role } from '~/domain/access/permissions'
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
  const userIds = await inScope(orm, { organizationId }, async (em) => {
    em.create(OrganizationSchema, {
      id: organizationId,
      name: 'Acme',
      slug: 'acme',
      timezone: 'Europe/Berlin',
    })
    await em.flush()
    const ids: string[] = []
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
      ids.push(user.id)
    }
    return ids
  })
  await seedDemoIncidents(orm, organizationId, userIds)
  return { created: true, organization: 'Acme', users: DEMO_USERS }
}

/** A few services, types and incidents, made through the same services the pages use. */
async function seedDemoIncidents(orm: MikroORM, organizationId: string, userIds: string[]) {
  const [adminId, managerId, engineerId, oncallId] = userIds as [string, string, string, string]
  const organization = { id: organizationId, name: 'Acme', slug: 'acme', timezone: 'Europe/Berlin' }
  const as = (id: string, role: Role) => ({
    user: { id, email: '', displayName: '' },
    role,
    organization,
  })
  const services: Record<string, string> = {}
  for (const name of ['Checkout', 'Search', 'Payments API', 'Sign-in']) {
    services[name] = await addCatalogEntry(orm, as(adminId, 'admin'), 'service', name, '')
  }
  const types: Record<string, string> = {}
  for (const name of ['Outage', 'Degradation', 'Security', 'Data issue']) {
    types[name] = await addCatalogEntry(orm, as(adminId, 'admin'), 'type', name, '')
  }
  const hour = 3_600_000
  const now = Date.now()
  const first = await declareIncident(
    orm,
    as(oncallId, 'engineer'),
    {
      title: 'Checkout latency above 2 s for EU customers',
      summary:
        'p95 of `POST /checkout` rose from 300 ms to **2.4 s** at 09:12 UTC. Card payments still succeed.',
      impact: 'significant',
      urgency: 'high',
      serviceId: services['Checkout'],
      incidentTypeId: types['Degradation'],
      impactStartedAt: new Date(now - 2 * hour),
    },
    new Date(now - 1.8 * hour),
  )
  await assignIncident(
    orm,
    as(managerId, 'manager'),
    first.number,
    { commanderId: oncallId, assigneeIds: [engineerId] },
    new Date(now - 1.7 * hour),
  )
  await transitionIncident(
    orm,
    as(oncallId, 'engineer'),
    first.number,
    { action: 'start-investigating' },
    new Date(now - 1.6 * hour),
  )
  await addComment(
    orm,
    as(engineerId, 'engineer'),
    first.number,
    { body: 'Connection pool to the payments database is saturated; scaling replicas.' },
    new Date(now - 1.2 * hour),
  )

  const second = await declareIncident(
    orm,
    as(adminId, 'admin'),
    {
      title: 'Search results stale after index rebuild',
      summary: 'New products do not appear in search for about 40 minutes.',
      severity: 'SEV-3',
      serviceId: services['Search'],
      incidentTypeId: types['Data issue'],
      impactStartedAt: new Date(now - 30 * hour),
    },
    new Date(now - 29 * hour),
  )
  const admin = as(adminId, 'admin')
  await transitionIncident(
    orm,
    admin,
    second.number,
    { action: 'start-investigating' },
    new Date(now - 28.5 * hour),
  )
  await transitionIncident(
    orm,
    admin,
    second.number,
    { action: 'mark-mitigated' },
    new Date(now - 27 * hour),
  )
  await transitionIncident(
    orm,
    admin,
    second.number,
    { action: 'mark-resolved' },
    new Date(now - 26 * hour),
  )
  await transitionIncident(
    orm,
    admin,
    second.number,
    { action: 'start-postmortem' },
    new Date(now - 25 * hour),
  )
  await savePostmortem(
    orm,
    admin,
    second.number,
    {
      revision: 0,
      changeNote: 'First write-up',
      sections: {
        summary:
          'A full search index rebuild ran without the incremental feed, so products added during the rebuild were missing from results for about 40 minutes.',
        customerImpact:
          'Shoppers could not find products added between 10:00 and 10:40 UTC; existing products were unaffected.',
        rootCause:
          'The rebuild job paused the change feed and resumed it from the end of the rebuild instead of from where it paused.',
        wentWell: 'The stale results were noticed by the catalogue team within 20 minutes.',
        wentPoorly: 'No alert covers index freshness.',
        lessons: 'Index freshness needs its own alert and a resume-from-checkpoint test.',
      },
      timeline: [
        { seq: 1, note: 'Reported by the catalogue team' },
        { seq: 3, note: 'Feed resumed from the checkpoint' },
      ],
    },
    new Date(now - 24 * hour),
  )
  // Due two days ago, so the demo engineer has an overdue item on their home page.
  const twoDaysAgo = new Date(now - 48 * hour)
  await createActionItem(
    orm,
    admin,
    second.number,
    {
      title: 'Alert when the newest indexed product is older than 10 minutes',
      ownerId: engineerId,
      dueOn: localDate(twoDaysAgo, organization.timezone),
      priority: 'high',
    },
    twoDaysAgo,
  )
  await createActionItem(
    orm,
    admin,
    second.number,
    {
      title: 'Resume the change feed from its checkpoint after a rebuild',
      ownerId: oncallId,
      dueOn: localDate(new Date(now + 7 * 24 * hour), organization.timezone),
      priority: 'medium',
    },
    new Date(now - 24 * hour),
  )
}
