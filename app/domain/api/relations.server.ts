import type { MikroORM } from '@mikro-orm/postgresql'
import { DomainError } from '~/domain/domain-error'
import { assignIncidentRoles, listIncidentRoles } from '~/domain/incident/incident-roles.server'
import { getIncidentDetail } from '~/domain/incident/incident-queries.server'
import {
  addRelatedLink,
  reclassifyIncident,
  removeRelatedLink,
  undoReclassification,
} from '~/domain/incident/reclassification.server'
import { ApiError, fromDomainError } from './http.server'
import type { ApiActor } from './tokens.server'

/**
 * Reclassification, related links and incident roles through the API: the same services as the
 * incident page, with the page's field names (`targetNumber`, `role-<id>`) turned into the
 * request's (`target`, `holders.<key>`), and another incident the token's user cannot see
 * answered 404 like the incident itself.
 */

/**
 * The domain's refusal in the API's words. A refusal under `domainField` that names an incident
 * the token's user cannot see (none of that number in the organization, or a private one) is a
 * 404: the API does not tell the two apart, nor say which incident was missing.
 */
async function refusal(
  orm: MikroORM,
  actor: ApiActor,
  error: unknown,
  other: { domainField: string; apiField: string; number: number | undefined },
): Promise<unknown> {
  if (!(error instanceof DomainError)) return error
  if (other.number !== undefined && error.fieldErrors[other.domainField]) {
    if (!(await getIncidentDetail(orm, actor, other.number)))
      return new ApiError('not_found', 'Incident not found.')
  }
  const renamed = renameFields(error.fieldErrors, (field) =>
    field === other.domainField ? other.apiField : field,
  )
  return fromDomainError(withFields(error, renamed)) ?? error
}

function renameFields(fields: Record<string, string[]>, rename: (field: string) => string) {
  const renamed: Record<string, string[]> = Object.create(null)
  for (const [field, messages] of Object.entries(fields))
    renamed[rename(field)] = [...(renamed[rename(field)] ?? []), ...messages]
  return renamed
}

function withFields(error: DomainError, fieldErrors: Record<string, string[]>): DomainError {
  const copy = new DomainError(error.message, { fieldErrors, status: error.status })
  if ('currentVersion' in error) Object.assign(copy, { currentVersion: error.currentVersion })
  return copy
}

export interface ApiReclassification {
  classification: 'incident' | 'declined' | 'duplicate' | 'merged'
  target?: number
  reason: string
  version?: number
}

/** Reclassifies the incident, or (`incident`) undoes its reclassification. */
export async function reclassifyThroughApi(
  orm: MikroORM,
  actor: ApiActor,
  number: number,
  input: ApiReclassification,
) {
  try {
    if (input.classification === 'incident')
      await undoReclassification(orm, actor, number, {
        reason: input.reason,
        version: input.version,
      })
    else
      await reclassifyIncident(orm, actor, number, {
        classification: input.classification,
        targetNumber: input.target ?? null,
        reason: input.reason,
        version: input.version,
      })
  } catch (error) {
    throw await refusal(orm, actor, error, {
      domainField: 'targetNumber',
      apiField: 'target',
      number: input.target,
    })
  }
}

/** Adds (`add`) or removes a "related to" link between the incident and `relatedNumber`. */
export async function relateThroughApi(
  orm: MikroORM,
  actor: ApiActor,
  number: number,
  input: { relatedNumber: number; version?: number },
  change: 'add' | 'remove',
) {
  try {
    if (change === 'add') await addRelatedLink(orm, actor, number, input)
    else await removeRelatedLink(orm, actor, number, input)
  } catch (error) {
    throw await refusal(orm, actor, error, {
      domainField: 'relatedNumber',
      apiField: 'relatedNumber',
      number: input.relatedNumber,
    })
  }
}

/**
 * Sets who holds the roles named by key (null: nobody). An unknown key is refused under
 * `holders.<key>` before anything is looked at on the incident.
 */
export async function assignRolesThroughApi(
  orm: MikroORM,
  actor: ApiActor,
  number: number,
  input: { holders: Record<string, string | null>; version?: number },
) {
  const roles = await listIncidentRoles(orm, actor.organization.id)
  const byKey = new Map(roles.map((r) => [r.key, r]))
  const keyById = new Map(roles.map((r) => [r.id, r.key]))
  const unknown = Object.keys(input.holders).filter((key) => !byKey.has(key))
  if (unknown.length)
    throw new ApiError('validation_failed', 'Use the role keys of this organization.', {
      fields: Object.fromEntries(
        unknown.map((key) => [`holders.${key}`, ['There is no role with this key.']]),
      ),
    })
  const holders = Object.fromEntries(
    Object.entries(input.holders).map(([key, userId]) => [byKey.get(key)!.id, userId]),
  )
  try {
    await assignIncidentRoles(orm, actor, number, { holders, version: input.version })
  } catch (error) {
    if (!(error instanceof DomainError)) throw error
    const renamed = renameFields(error.fieldErrors, (field) => {
      const key = field.startsWith('role-') ? keyById.get(field.slice('role-'.length)) : undefined
      return key ? `holders.${key}` : field
    })
    throw fromDomainError(withFields(error, renamed)) ?? error
  }
}
