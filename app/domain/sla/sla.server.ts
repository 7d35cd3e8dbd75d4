import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { DomainError, messagesPerField } from '~/domain/domain-error'
import type { Incident } from '../../../db/entities/incident'
import { SlaPolicySchema, type SlaPolicy } from '../../../db/entities/sla'
import { inScope } from '../../../db/tenant'
import { referenceWritten } from '~/utils/reference-cache.server'
import { can, type Role } from '~/domain/access/permissions'
import type { Severity } from '~/domain/incident/vocabulary'
import {
  crossedThresholds,
  nextDeadline,
  slaClock,
  type SlaSignal,
  type TargetClock,
} from './clock'
import { DEFAULT_SLA_TARGETS, validateTargets, type SlaTargets } from './policy'

/** The policy in force: the organization's latest version, created from the defaults if none. */
export async function currentPolicy(em: EntityManager, organizationId: string): Promise<SlaPolicy> {
  const latest = await em.findOne(
    SlaPolicySchema,
    { organizationId },
    { orderBy: { version: 'desc' } },
  )
  if (latest) return latest
  // Two first declarations may race here; the unique (organization, version) lets one insert.
  await em.execute(
    `insert into sla_policy (organization_id, version, targets) values (?, 1, ?)
     on conflict (organization_id, version) do nothing`,
    [organizationId, JSON.stringify(DEFAULT_SLA_TARGETS)],
  )
  return em.findOneOrFail(SlaPolicySchema, { organizationId, version: 1 })
}

export async function policyHistory(orm: MikroORM, organizationId: string) {
  return inScope(orm, { organizationId }, async (em) => {
    const current = await currentPolicy(em, organizationId)
    const versions = await em.find(
      SlaPolicySchema,
      { organizationId },
      { orderBy: { version: 'desc' }, limit: 20 },
    )
    return { current, versions }
  })
}

/** A refused policy save; `fieldErrors` is keyed by the form's field names (`SEV-1.acknowledge`). */
export class SlaPolicyError extends DomainError {
  constructor(
    message: string,
    fieldErrors: Record<string, string> = {},
    status: 400 | 403 | 409 = 400,
  ) {
    super(message, { fieldErrors: messagesPerField(fieldErrors), status })
  }
}

/**
 * Saves new targets as the next version. Incidents keep the version they were declared under;
 * only incidents declared from now on use the new one. `baseVersion` is the version the form
 * showed: saving over someone else's newer edit is refused.
 */
export async function savePolicy(
  orm: MikroORM,
  member: { role: Role; user: { id: string }; organization: { id: string } },
  targets: SlaTargets,
  baseVersion: number,
) {
  if (!can(member.role, 'settings.manage'))
    throw new SlaPolicyError('Only admins can change SLA targets.', {}, 403)
  const fieldErrors = validateTargets(targets)
  if (Object.keys(fieldErrors).length)
    throw new SlaPolicyError('Some targets need correcting.', fieldErrors)
  const organizationId = member.organization.id
  const version = await inScope(orm, { organizationId }, async (em) => {
    await currentPolicy(em, organizationId)
    // Serialise saves: the second of two concurrent saves waits here, then sees the new version.
    // A transaction-level advisory lock, because the application role may not lock policy rows
    // (FOR UPDATE needs the UPDATE privilege, and versions are never updated).
    await em.execute(`select pg_advisory_xact_lock(hashtextextended(?, 0))`, [
      `sla_policy:${organizationId}`,
    ])
    const latest = await em.findOneOrFail(
      SlaPolicySchema,
      { organizationId },
      { orderBy: { version: 'desc' }, refresh: true },
    )
    if (latest.version !== baseVersion)
      throw new SlaPolicyError(
        `The SLA policy changed since you opened this page (now version ${latest.version}). Review it and save again.`,
        {},
        409,
      )
    const created = em.create(SlaPolicySchema, {
      organizationId,
      version: latest.version + 1,
      targets,
      createdBy: member.user.id,
    })
    await em.flush()
    return created.version
  })
  referenceWritten(orm, organizationId)
  return version
}

type SlaIncident = Pick<
  Incident,
  | 'id'
  | 'organizationId'
  | 'severity'
  | 'impactStartedAt'
  | 'acknowledgedAt'
  | 'mitigatedAt'
  | 'resolvedAt'
  | 'slaPolicyId'
>

export function clocksFor(incident: SlaIncident, targets: SlaTargets, now: Date): TargetClock[] {
  return slaClock(
    {
      impactStartedAt: incident.impactStartedAt,
      acknowledgedAt: incident.acknowledgedAt ?? null,
      mitigatedAt: incident.mitigatedAt ?? null,
      resolvedAt: incident.resolvedAt ?? null,
    },
    targets[incident.severity as Severity],
    now,
  )
}

export async function signalsOf(em: EntityManager, incidentIds: string[]) {
  const bySignal = new Map<string, SlaSignal[]>()
  if (incidentIds.length === 0) return bySignal
  const rows = await em.execute<
    { incident_id: string; target: SlaSignal['target']; kind: SlaSignal['kind'] }[]
  >(
    // Ids travel as one JSON parameter: the query layer would spread a plain array into a list.
    `select incident_id, target, kind from sla_signal
      where incident_id = any(array(select jsonb_array_elements_text(?::jsonb)::uuid))`,
    [JSON.stringify(incidentIds)],
  )
  for (const row of rows) {
    const list = bySignal.get(row.incident_id) ?? []
    list.push({ target: row.target, kind: row.kind })
    bySignal.set(row.incident_id, list)
  }
  return bySignal
}

/** Policies by id, loaded once per unit of work. */
export async function policiesById(em: EntityManager, ids: Iterable<string | null | undefined>) {
  const wanted = [...new Set([...ids].filter((id): id is string => Boolean(id)))]
  const map = new Map<string, SlaPolicy>()
  if (wanted.length === 0) return map
  for (const policy of await em.find(SlaPolicySchema, { id: { $in: wanted } }))
    map.set(policy.id, policy)
  return map
}

/**
 * Recomputes the incident's next SLA deadline after any change to what the clock reads
 * (status, severity, impact start). The caller holds the incident's row lock.
 */
export async function refreshSlaDeadline(em: EntityManager, incident: Incident, now: Date) {
  if (!incident.slaPolicyId) {
    incident.slaNextDeadline = null
    return
  }
  const policy = await em.findOneOrFail(SlaPolicySchema, { id: incident.slaPolicyId })
  // An incident with no entries yet (being declared) has had no SLA signal.
  const signals =
    incident.lastEventSeq === 0 ? [] : ((await signalsOf(em, [incident.id])).get(incident.id) ?? [])
  const clocks = clocksFor(incident, policy.targets, now)
  incident.slaNextDeadline = nextDeadline(clocks, signals)
}

export { crossedThresholds }
