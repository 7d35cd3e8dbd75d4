import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { MembershipSchema, UserSchema } from '../../../db/entities/access'
import {
  IncidentTypeSchema,
  ServiceSchema,
  TriageMatrixSchema,
} from '../../../db/entities/incident'
import { SlaPolicySchema } from '../../../db/entities/sla'
import { readScope } from '../../../db/tenant'
import { readReference } from '~/utils/reference-cache.server'
import type { Role } from '~/domain/access/permissions'
import { DEFAULT_TRIAGE_MATRIX, type TriageMatrix } from '~/domain/incident/triage'
import type { SlaTargets } from '~/domain/sla/policy'

/**
 * The organization's reference data as pages show it, read through the process's reference
 * cache (app/utils/reference-cache.server.ts). Each kind has exactly one loader here, so one
 * cache key never holds two shapes. Writes are never served from here: a change reads what it
 * checks inside its own transaction, and permission checks read the viewer's own role fresh.
 *
 * Call these before opening a transaction, never inside one: a load may need a connection of
 * its own.
 */

export interface CatalogEntry {
  id: string
  name: string
  description: string
  active: boolean
}

export interface ReferenceCatalog {
  /** Every service, retired ones too, by name (the database's collation). */
  services: readonly CatalogEntry[]
  types: readonly CatalogEntry[]
  matrix: TriageMatrix
}

export async function loadTriageMatrix(
  em: EntityManager,
  organizationId: string,
): Promise<TriageMatrix> {
  const row = await em.findOne(TriageMatrixSchema, { organizationId })
  return row?.matrix ?? DEFAULT_TRIAGE_MATRIX
}

const entry = (e: CatalogEntry): CatalogEntry => ({
  id: e.id,
  name: e.name,
  description: e.description,
  active: e.active,
})

/** Services, incident types and the triage matrix. */
export function referenceCatalog(orm: MikroORM, organizationId: string): Promise<ReferenceCatalog> {
  return readReference(orm, organizationId, 'catalog', () =>
    readScope(orm, { organizationId }, async (em) => {
      // One after another: a transaction has one connection.
      const services = await em.find(
        ServiceSchema,
        { organizationId },
        { orderBy: { name: 'asc' } },
      )
      const types = await em.find(
        IncidentTypeSchema,
        { organizationId },
        { orderBy: { name: 'asc' } },
      )
      const matrix = await loadTriageMatrix(em, organizationId)
      return {
        services: services.map(entry),
        types: types.map(entry),
        // A copy: the default matrix is a shared module constant, and the result is frozen.
        matrix: structuredClone(matrix),
      }
    }),
  )
}

export interface MemberRow {
  membershipId: string
  userId: string
  email: string
  displayName: string
  role: Role
  active: boolean
  /** As of the last load: written at most once a minute, and it does not invalidate the cache. */
  lastSeenAt: Date | null
  joinedAt: Date
}

/**
 * Every member of the organization, active first, then by name: names for pages and pickers.
 * Not for deciding what someone may do (guard.server.ts reads the viewer's role fresh).
 */
export function memberDirectory(
  orm: MikroORM,
  organizationId: string,
): Promise<readonly MemberRow[]> {
  return readReference(orm, organizationId, 'members', () =>
    readScope(orm, { organizationId }, async (em) => {
      const memberships = await em.find(MembershipSchema, { organizationId })
      const users = await em.find(UserSchema, { id: { $in: memberships.map((m) => m.userId) } })
      const byId = new Map(users.map((u) => [u.id, u]))
      return memberships
        .map((m): MemberRow => ({
          membershipId: m.id,
          userId: m.userId,
          email: byId.get(m.userId)!.email,
          displayName: byId.get(m.userId)!.displayName,
          role: m.role,
          active: m.active,
          lastSeenAt: m.lastSeenAt ?? null,
          joinedAt: m.createdAt,
        }))
        .sort(
          (a, b) =>
            Number(b.active) - Number(a.active) || a.displayName.localeCompare(b.displayName),
        )
    }),
  )
}

export interface SlaPolicyVersion {
  id: string
  version: number
  targets: SlaTargets
}

/**
 * One version of the organization's SLA policy. Versions are never changed once written, so a
 * kept one stays right; it is still dropped with the rest of the organization's data.
 */
export function slaPolicyVersion(
  orm: MikroORM,
  organizationId: string,
  policyId: string,
): Promise<SlaPolicyVersion | null> {
  return readReference(orm, organizationId, `sla-policy:${policyId}`, () =>
    readScope(orm, { organizationId }, async (em) => {
      const policy = await em.findOne(SlaPolicySchema, { id: policyId, organizationId })
      return policy
        ? { id: policy.id, version: policy.version, targets: structuredClone(policy.targets) }
        : null
    }),
  )
}
