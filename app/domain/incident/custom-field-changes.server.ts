import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { MembershipSchema } from '../../../db/entities/access'
import type { Incident } from '../../../db/entities/incident'
import { inScope } from '../../../db/tenant'
import { now as clockNow } from '~/utils/clock'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { DomainError } from '~/domain/domain-error'
import {
  activeFields,
  customFieldsIn,
} from '~/domain/custom-fields/custom-field-definitions.server'
import {
  fieldErrorName,
  isChoiceKind,
  isRequiredAt,
  optionLabels,
  parseCustomFieldValue,
  requiredFromText,
  sameValue,
  type CustomFieldDefinition,
  type CustomFieldValue,
  type CustomFieldValues,
} from '~/domain/custom-fields/custom-field-values'
import { appendEvent, lockIncident } from './event-store.server'
import { IncidentError } from './incident-errors'
import { canWork } from './incident-queries.server'
import { STATUS_LABELS, type IncidentStatus } from './vocabulary'

/**
 * Changing an incident's custom field values: each changed value is its own
 * `incident.custom_field_changed` entry on the chain, with the value before and after, in the
 * transaction that changes `incident.custom_fields`. Values arrive keyed by field key, as forms
 * and the API send them; they are kept keyed by field id.
 */

type Actorish = Pick<Member, 'user' | 'role' | 'organization'>

/** Values as sent, by field key: strings from forms, JSON from the API; null or '' clears. */
export type CustomFieldInput = Record<string, unknown>

/** Several field errors at once: every wrong field is named, and nothing is written. */
export class CustomFieldValueError extends DomainError {
  constructor(fieldErrors: Record<string, string[]>) {
    const names = Object.keys(fieldErrors)
    super(
      names.length === 1
        ? fieldErrors[names[0]!]![0]!
        : 'Some custom fields need attention: see the messages under them.',
      { fieldErrors },
    )
  }
}

/**
 * Validates `input` against the fields and writes what changed, as entries by `actorId`. Refuses
 * unknown keys and archived fields. Returns how many values changed.
 */
export async function applyCustomFieldInput(
  em: EntityManager,
  incident: Incident,
  fields: readonly CustomFieldDefinition[],
  input: CustomFieldInput,
  actorId: string | null,
  now: Date,
): Promise<number> {
  const byKey = new Map(fields.map((f) => [f.key, f]))
  const errors: Record<string, string[]> = {}
  const changes: Array<{
    field: CustomFieldDefinition
    from: CustomFieldValue | null
    to: CustomFieldValue | null
  }> = []
  const current = incident.customFields
  for (const [key, raw] of Object.entries(input)) {
    const field = byKey.get(key)
    if (!field) {
      errors[fieldErrorName(key)] = ['There is no such field.']
      continue
    }
    if (field.archivedAt) {
      errors[fieldErrorName(key)] = ['This field is archived and cannot change.']
      continue
    }
    const held = current[field.id]
    const parsed = parseCustomFieldValue(field, raw, held)
    if (!parsed.ok) {
      errors[fieldErrorName(key)] = [parsed.message]
      continue
    }
    if (!sameValue(held, parsed.value))
      changes.push({ field, from: held ?? null, to: parsed.value })
  }
  const members = changes.filter((c) => c.field.kind === 'member' && c.to !== null)
  if (members.length > 0) {
    const ids = [...new Set(members.map((c) => String(c.to)))]
    const active = await em.find(
      MembershipSchema,
      { organizationId: incident.organizationId, userId: { $in: ids }, active: true },
      { fields: ['userId'] },
    )
    const found = new Set(active.map((m) => m.userId))
    for (const c of members)
      if (!found.has(String(c.to)))
        errors[fieldErrorName(c.field.key)] = ['Choose an active member of this organization.']
  }
  if (Object.keys(errors).length > 0) throw new CustomFieldValueError(errors)
  if (changes.length === 0) return 0
  const values: CustomFieldValues = { ...current }
  for (const { field, from, to } of changes) {
    if (to === null) delete values[field.id]
    else values[field.id] = to
    const texts = isChoiceKind(field.kind)
      ? { fromText: optionLabels(field, from), toText: optionLabels(field, to) }
      : {}
    await appendEvent(
      em,
      incident,
      'incident.custom_field_changed',
      {
        fieldId: field.id,
        fieldKey: field.key,
        fieldLabel: field.label,
        kind: field.kind,
        from,
        to,
        ...texts,
      },
      actorId,
      now,
    )
  }
  incident.customFields = values
  return changes.length
}

/** The active fields that `status` requires and `values` leaves empty, in the fields' order. */
export function missingRequiredFields(
  fields: readonly CustomFieldDefinition[],
  values: CustomFieldValues,
  status: IncidentStatus,
): CustomFieldDefinition[] {
  return activeFields(fields).filter(
    (f) => isRequiredAt(f, status) && (values[f.id] === undefined || values[f.id] === null),
  )
}

/** The refusal of a move to `status` while required fields are empty, naming each of them. */
export function requiredFieldsError(
  missing: readonly CustomFieldDefinition[],
  status: IncidentStatus,
) {
  const fieldErrors: Record<string, string[]> = {}
  for (const f of missing)
    fieldErrors[fieldErrorName(f.key)] = [
      `Fill in ${f.label}: ${requiredFromText(f.requiredFromStatus).toLowerCase()}.`,
    ]
  const labels = missing.map((f) => f.label).join(', ')
  return new DomainError(
    `${STATUS_LABELS[status]} needs ${missing.length === 1 ? 'this field' : 'these fields'} filled in first: ${labels}.`,
    { fieldErrors },
  )
}

/** In words for the lifecycle's guards (the system's own moves), or null when nothing is missing. */
export async function requiredFieldsRefusal(
  em: EntityManager,
  incident: Incident,
  status: IncidentStatus,
): Promise<string | null> {
  const fields = await customFieldsIn(em, incident.organizationId)
  const missing = missingRequiredFields(fields, incident.customFields, status)
  return missing.length ? requiredFieldsError(missing, status).message : null
}

/**
 * A person's lifecycle step: the values sent with it (the step's form offers the fields its
 * status requires) are written first, then every field the new status requires must hold a
 * value, or the whole step is refused with the empty fields named.
 */
export async function applyStepFields(
  em: EntityManager,
  incident: Incident,
  input: CustomFieldInput | undefined,
  to: IncidentStatus,
  actorId: string,
  now: Date,
) {
  const fields = await customFieldsIn(em, incident.organizationId)
  if (fields.length === 0) return
  if (input && Object.keys(input).length > 0)
    await applyCustomFieldInput(em, incident, fields, input, actorId, now)
  const missing = missingRequiredFields(fields, incident.customFields, to)
  if (missing.length) throw requiredFieldsError(missing, to)
}

/**
 * The values of a person's declaration, after its `incident.declared` entry. Only forms and the API
 * pass them (`input` defined): they must fill the fields required from Detected on. Declarations
 * from chat and alerts cannot, and are not held up by them.
 */
export async function applyDeclaredFields(
  em: EntityManager,
  incident: Incident,
  input: CustomFieldInput | undefined,
  actorId: string,
  now: Date,
) {
  if (input === undefined) return
  const fields = await customFieldsIn(em, incident.organizationId)
  if (fields.length === 0 && Object.keys(input).length === 0) return
  const errors: Record<string, string[]> = {}
  try {
    await applyCustomFieldInput(em, incident, fields, input, actorId, now)
  } catch (error) {
    if (!(error instanceof CustomFieldValueError)) throw error
    Object.assign(errors, error.fieldErrors)
  }
  const missing = missingRequiredFields(fields, incident.customFields, 'detected').filter(
    (f) => !errors[fieldErrorName(f.key)],
  )
  if (missing.length) Object.assign(errors, requiredFieldsError(missing, 'detected').fieldErrors)
  if (Object.keys(errors).length > 0) throw new CustomFieldValueError(errors)
  await em.flush()
}

/**
 * "Edit fields": changes values of an incident by someone who may work on it. A value the
 * incident's status requires cannot be cleared.
 */
export async function setCustomFieldValues(
  orm: MikroORM,
  member: Actorish,
  number: number,
  input: { values: CustomFieldInput; version?: number | undefined },
  now = clockNow(),
) {
  return inScope(orm, { organizationId: member.organization.id }, async (em) => {
    const incident = await lockIncident(em, member.organization.id, number, input.version)
    if (!canWork(member, incident) && !can(member.role, 'incident.assign'))
      throw new IncidentError(
        null,
        'Only the commander, an assignee, a manager or an admin can edit this incident.',
        403,
      )
    if (incident.status === 'closed')
      throw new IncidentError(null, 'A closed incident cannot change.')
    const fields = await customFieldsIn(em, member.organization.id)
    const changed = await applyCustomFieldInput(
      em,
      incident,
      fields,
      input.values,
      member.user.id,
      now,
    )
    const missing = missingRequiredFields(fields, incident.customFields, incident.status).filter(
      (f) => f.key in input.values,
    )
    if (missing.length) throw requiredFieldsError(missing, incident.status)
    if (changed === 0) throw new IncidentError(null, 'Nothing changed.')
    return { changed, version: incident.version }
  })
}
