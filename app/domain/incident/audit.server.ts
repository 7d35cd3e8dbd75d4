import type { MikroORM } from '@mikro-orm/postgresql'
import { IncidentEventSchema, IncidentSchema } from '../../../db/entities/incident'
import { inScope } from '../../../db/tenant'
import { FoldError, diffState, foldEvents, verifyChain, type ChainProblem } from './events'
import { toStoredEvent } from './event-store.server'
import { stateOf } from './incident-queries.server'
import { roleHoldersByIncident } from './incident-roles.server'

export interface AuditProblem {
  organizationId: string
  incidentId: string
  number: number
  /** The first event at which the chain or the replay goes wrong. */
  seq: number
  kind: ChainProblem['kind'] | 'tail' | 'state'
  detail: string
}

export interface AuditResult {
  ok: boolean
  incidents: number
  events: number
  problem: AuditProblem | null
}

const BATCH = 200

const DESCRIBE: Record<ChainProblem['kind'], string> = {
  'seq-gap': 'an event is missing or out of order',
  'prev-hash': 'the link to the previous event is broken',
  hash: "the event's content does not match its hash",
  fold: 'the events do not replay',
}

/**
 * Verifies every incident of one organization: each chain (gap-free seq, prev_hash links,
 * hashes), that the chain ends where the incident says it does, and that replaying the events
 * gives the stored incident. Stops at the first problem.
 */
export async function verifyOrganization(
  orm: MikroORM,
  organizationId: string,
): Promise<AuditResult> {
  let incidents = 0
  let events = 0
  let after = 0
  for (;;) {
    const batch = await inScope(orm, { organizationId }, async (em) => {
      const rows = await em.find(
        IncidentSchema,
        { organizationId, number: { $gt: after } },
        { orderBy: { number: 'asc' }, limit: BATCH },
      )
      const eventRows = rows.length
        ? await em.find(
            IncidentEventSchema,
            { organizationId, incidentId: { $in: rows.map((r) => r.id) } },
            { orderBy: { incidentId: 'asc', seq: 'asc' } },
          )
        : []
      const roles = await roleHoldersByIncident(
        em,
        organizationId,
        rows.map((r) => r.id),
      )
      return { rows, eventRows, roles }
    })
    if (batch.rows.length === 0) break
    const byIncident = new Map<string, ReturnType<typeof toStoredEvent>[]>()
    for (const row of batch.eventRows) {
      const list = byIncident.get(row.incidentId) ?? []
      list.push(toStoredEvent(row))
      byIncident.set(row.incidentId, list)
    }
    for (const incident of batch.rows) {
      incidents++
      const chain = byIncident.get(incident.id) ?? []
      events += chain.length
      const base = { organizationId, incidentId: incident.id, number: incident.number }
      const broken = verifyChain(chain)
      if (broken) {
        return {
          ok: false,
          incidents,
          events,
          problem: { ...base, seq: broken.seq, kind: broken.kind, detail: DESCRIBE[broken.kind] },
        }
      }
      const last = chain[chain.length - 1]
      if (!last || last.seq !== incident.lastEventSeq || last.hash !== incident.lastEventHash) {
        return {
          ok: false,
          incidents,
          events,
          problem: {
            ...base,
            seq: (last?.seq ?? 0) + 1,
            kind: 'tail',
            detail: `the incident records ${incident.lastEventSeq} events but ${chain.length} remain`,
          },
        }
      }
      try {
        const stored = stateOf(incident, batch.roles.get(incident.id) ?? {})
        const differences = diffState(stored, foldEvents(chain))
        if (differences.length) {
          return {
            ok: false,
            incidents,
            events,
            problem: {
              ...base,
              seq: last.seq,
              kind: 'state',
              detail: `stored incident differs from its replay in: ${differences.join(', ')}`,
            },
          }
        }
      } catch (error) {
        if (!(error instanceof FoldError)) throw error
        return {
          ok: false,
          incidents,
          events,
          problem: { ...base, seq: last.seq, kind: 'fold', detail: error.message },
        }
      }
    }
    after = batch.rows[batch.rows.length - 1]!.number
  }
  return { ok: true, incidents, events, problem: null }
}

/**
 * Every organization's chains. The list of organizations comes from `tenant` (ids only); each
 * organization is then verified under its own tenant scope.
 */
export async function verifyAllOrganizations(orm: MikroORM) {
  const tenants = await inScope(orm, {}, (em) =>
    em.execute<{ id: string }[]>('select id from tenant order by id'),
  )
  let incidents = 0
  let events = 0
  for (const tenant of tenants) {
    const result = await verifyOrganization(orm, tenant.id)
    incidents += result.incidents
    events += result.events
    if (!result.ok) return { ...result, incidents, events, organizations: tenants.length }
  }
  return { ok: true, incidents, events, problem: null, organizations: tenants.length }
}
