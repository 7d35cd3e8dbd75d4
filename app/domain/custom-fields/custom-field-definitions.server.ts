import type { EntityManager, MikroORM } from '@mikro-orm/postgresql'
import { inScope, readScope } from '../../../db/tenant'
import { readReference, referenceWritten } from '~/utils/reference-cache.server'
import type { Member } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { DomainError, FieldRefusal } from '~/domain/domain-error'
import type { IncidentStatus } from '~/domain/incident/vocabulary'
import {
  KEY_PATTERN,
  isChoiceKind,
  keyFor,
  optionIdFor,
  type CustomFieldDefinition,
  type CustomFieldKind,
  type CustomFieldOption,
} from './custom-field-values'

/**
 * The organization's custom field definitions: defined, changed, reordered and archived by admins
 * on /admin/fields. A field is never deleted (its values and timeline entries stay readable); its
 * kind and key never change, so values written earlier keep their meaning.
 */

export class CustomFieldError extends FieldRefusal {}

/** The admin form was rendered from an older version of the field: nothing was changed. */
export class CustomFieldConflictError extends DomainError {
  constructor() {
    super('This field changed since you opened the page. Review it below, then submit again.', {
      status: 409,
    })
  }
}

export const LABEL_MAX = 80
export const HELP_TEXT_MAX = 300
export const OPTION_LABEL_MAX = 80
/** More options than this make a form nobody reads. */
export const OPTIONS_MAX = 50
/** Active fields per organization: each is a form input on the declare form. */
export const ACTIVE_FIELDS_MAX = 30

type Editor = Pick<Member, 'role'> & { organization: Pick<Member['organization'], 'id'> }

function assertAdmin(member: Editor) {
  if (!can(member.role, 'settings.manage'))
    throw new CustomFieldError(null, 'Only admins can change custom fields.', 403)
}

interface Row {
  id: string
  key: string
  label: string
  help_text: string
  kind: CustomFieldKind
  options: CustomFieldOption[]
  required_from_status: IncidentStatus | null
  position: number
  version: number
  archived_at: Date | null
}

const toDefinition = (r: Row): CustomFieldDefinition => ({
  id: r.id,
  key: r.key,
  label: r.label,
  helpText: r.help_text,
  kind: r.kind,
  options: r.options.map((o) => ({ id: o.id, label: o.label, retired: Boolean(o.retired) })),
  requiredFromStatus: r.required_from_status,
  position: r.position,
  version: r.version,
  archivedAt: r.archived_at ? new Date(r.archived_at).toISOString() : null,
})

const SELECT = `select id, key, label, help_text, kind, options, required_from_status, position,
                       version, archived_at
                  from custom_field`

/**
 * Every field of the organization, archived ones too: active fields in their order, then archived
 * ones by label. Inside the caller's transaction.
 */
export async function customFieldsIn(
  em: EntityManager,
  organizationId: string,
): Promise<CustomFieldDefinition[]> {
  const rows = await em.execute<Row[]>(
    `${SELECT} where organization_id = ?
      order by archived_at is not null, position, label`,
    [organizationId],
  )
  return rows.map(toDefinition)
}

/**
 * The same through the process's reference cache, for pages, exports and the API. Call it before
 * opening a transaction, never inside one.
 */
export function customFieldDefinitions(
  orm: MikroORM,
  organizationId: string,
): Promise<readonly CustomFieldDefinition[]> {
  return readReference(orm, organizationId, 'custom-fields', () =>
    readScope(orm, { organizationId }, (em) => customFieldsIn(em, organizationId)),
  )
}

export const activeFields = (fields: readonly CustomFieldDefinition[]) =>
  fields.filter((f) => !f.archivedAt)

export interface NewFieldInput {
  label: string
  /** Made from the label when not given. */
  key?: string | undefined
  kind: CustomFieldKind
  helpText?: string | undefined
  /** Option labels of a choice field, in order. */
  options?: string[] | undefined
  requiredFromStatus?: IncidentStatus | null | undefined
}

function checkLabel(label: string) {
  const trimmed = label.trim()
  if (!trimmed) throw new CustomFieldError('label', 'Enter a label.')
  if (trimmed.length > LABEL_MAX)
    throw new CustomFieldError('label', `Use at most ${LABEL_MAX} characters.`)
  if (trimmed.includes('\u0000')) throw new CustomFieldError('label', 'Remove the NUL character.')
  return trimmed
}

function checkHelpText(text: string | undefined) {
  const trimmed = (text ?? '').trim()
  if (trimmed.length > HELP_TEXT_MAX)
    throw new CustomFieldError('helpText', `Use at most ${HELP_TEXT_MAX} characters.`)
  if (trimmed.includes('\u0000'))
    throw new CustomFieldError('helpText', 'Remove the NUL character.')
  return trimmed
}

function checkOptionLabels(labels: string[], field: string) {
  const seen = new Set<string>()
  for (const label of labels) {
    if (label.length > OPTION_LABEL_MAX)
      throw new CustomFieldError(field, `Keep each option under ${OPTION_LABEL_MAX} characters.`)
    if (label.includes('\u0000')) throw new CustomFieldError(field, 'Remove the NUL character.')
    const folded = label.toLowerCase()
    if (seen.has(folded)) throw new CustomFieldError(field, `“${label}” is listed twice.`)
    seen.add(folded)
  }
}

/** Defines a field at the end of the organization's order. */
export async function createCustomField(
  orm: MikroORM,
  member: Editor,
  input: NewFieldInput,
): Promise<CustomFieldDefinition> {
  assertAdmin(member)
  const organizationId = member.organization.id
  const label = checkLabel(input.label)
  const key = input.key?.trim() || keyFor(label)
  if (!KEY_PATTERN.test(key))
    throw new CustomFieldError(
      'key',
      'Use lower-case letters, digits and _ (starting with a letter), at most 40.',
    )
  const helpText = checkHelpText(input.helpText)
  const labels = (input.options ?? []).map((o) => o.trim()).filter(Boolean)
  let options: CustomFieldOption[] = []
  if (isChoiceKind(input.kind)) {
    if (labels.length === 0) throw new CustomFieldError('options', 'List at least one option.')
    if (labels.length > OPTIONS_MAX)
      throw new CustomFieldError('options', `List at most ${OPTIONS_MAX} options.`)
    checkOptionLabels(labels, 'options')
    const taken = new Set<string>()
    options = labels.map((l) => {
      const id = optionIdFor(l, taken)
      taken.add(id)
      return { id, label: l, retired: false }
    })
  } else if (labels.length > 0) {
    throw new CustomFieldError('options', 'Only choice fields have options.')
  }
  const created = await inScope(orm, { organizationId }, async (em) => {
    // One definer at a time per organization, so positions and the limit stay exact.
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [
      `custom_field:${organizationId}`,
    ])
    const existing = await customFieldsIn(em, organizationId)
    const active = activeFields(existing)
    if (active.some((f) => f.label.toLowerCase() === label.toLowerCase()))
      throw new CustomFieldError('label', 'Another field already has this label.')
    if (existing.some((f) => f.key === key))
      throw new CustomFieldError(
        'key',
        'Another field (perhaps an archived one) already uses this key.',
      )
    if (active.length >= ACTIVE_FIELDS_MAX)
      throw new CustomFieldError(
        null,
        `An organization can have at most ${ACTIVE_FIELDS_MAX} active fields. Archive one first.`,
      )
    const position = Math.max(0, ...existing.map((f) => f.position)) + 1
    const [row] = await em.execute<Row[]>(
      `insert into custom_field
         (organization_id, key, label, help_text, kind, options, required_from_status, position)
       values (?, ?, ?, ?, ?, ?::jsonb, ?, ?)
       returning id, key, label, help_text, kind, options, required_from_status, position,
                 version, archived_at`,
      [
        organizationId,
        key,
        label,
        helpText,
        input.kind,
        JSON.stringify(options),
        input.requiredFromStatus ?? null,
        position,
      ],
    )
    return toDefinition(row!)
  })
  referenceWritten(orm, organizationId)
  return created
}

export interface FieldChangeInput {
  version: number
  label: string
  helpText?: string | undefined
  requiredFromStatus: IncidentStatus | null
  /** New labels of existing options (by option id); options not named keep their label. */
  optionLabels?: Record<string, string> | undefined
  /** Option ids to retire; options not named are active. */
  retiredOptions?: string[] | undefined
  /** Labels of options to add at the end. */
  newOptions?: string[] | undefined
}

/**
 * Changes a field's label, help text, requirement and options. Options keep their ids: renaming
 * one relabels every value that holds it, retiring one stops it being offered while values that
 * hold it keep showing its label.
 */
export async function updateCustomField(
  orm: MikroORM,
  member: Editor,
  id: string,
  input: FieldChangeInput,
): Promise<CustomFieldDefinition> {
  assertAdmin(member)
  const organizationId = member.organization.id
  const label = checkLabel(input.label)
  const helpText = checkHelpText(input.helpText)
  const updated = await inScope(orm, { organizationId }, async (em) => {
    const field = await lockField(em, organizationId, id)
    if (field.version !== input.version) throw new CustomFieldConflictError()
    if (field.archivedAt) throw new CustomFieldError(null, 'Restore the field before changing it.')
    const others = await customFieldsIn(em, organizationId)
    if (
      activeFields(others).some((f) => f.id !== id && f.label.toLowerCase() === label.toLowerCase())
    )
      throw new CustomFieldError('label', 'Another field already has this label.')
    let options = field.options
    if (isChoiceKind(field.kind)) {
      const retired = new Set(input.retiredOptions ?? [])
      options = field.options.map((o) => {
        const renamed = input.optionLabels?.[o.id]?.trim()
        return { id: o.id, label: renamed || o.label, retired: retired.has(o.id) }
      })
      const added = (input.newOptions ?? []).map((o) => o.trim()).filter(Boolean)
      const taken = new Set(options.map((o) => o.id))
      for (const l of added) {
        const optionId = optionIdFor(l, taken)
        taken.add(optionId)
        options.push({ id: optionId, label: l, retired: false })
      }
      checkOptionLabels(
        options.map((o) => o.label),
        added.length ? 'newOptions' : 'options',
      )
      if (options.length > OPTIONS_MAX)
        throw new CustomFieldError('newOptions', `A field has at most ${OPTIONS_MAX} options.`)
      if (!options.some((o) => !o.retired))
        throw new CustomFieldError('options', 'Keep at least one option active.')
    }
    const [row] = await em.execute<Row[]>(
      `update custom_field
          set label = ?, help_text = ?, required_from_status = ?, options = ?::jsonb,
              version = version + 1, updated_at = now()
        where organization_id = ? and id = ?
        returning id, key, label, help_text, kind, options, required_from_status, position,
                  version, archived_at`,
      [label, helpText, input.requiredFromStatus, JSON.stringify(options), organizationId, id],
    )
    return toDefinition(row!)
  })
  referenceWritten(orm, organizationId)
  return updated
}

async function lockField(em: EntityManager, organizationId: string, id: string) {
  const [row] = await em.execute<Row[]>(
    `${SELECT} where organization_id = ? and id = ? for update`,
    [organizationId, id],
  )
  // Another organization's field is as absent as one that never existed.
  if (!row) throw new CustomFieldError(null, 'Field not found.', 404)
  return toDefinition(row)
}

/**
 * Archives a field (it leaves forms, lists and filters; its values and timeline entries stay) or
 * restores it at the end of the order.
 */
export async function setCustomFieldArchived(
  orm: MikroORM,
  member: Editor,
  id: string,
  archived: boolean,
  version: number,
) {
  assertAdmin(member)
  const organizationId = member.organization.id
  await inScope(orm, { organizationId }, async (em) => {
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [
      `custom_field:${organizationId}`,
    ])
    const field = await lockField(em, organizationId, id)
    if (field.version !== version) throw new CustomFieldConflictError()
    if (Boolean(field.archivedAt) === archived)
      throw new CustomFieldError(null, archived ? 'Already archived.' : 'Not archived.')
    if (!archived) {
      const fields = await customFieldsIn(em, organizationId)
      const active = activeFields(fields)
      if (active.length >= ACTIVE_FIELDS_MAX)
        throw new CustomFieldError(
          null,
          `An organization can have at most ${ACTIVE_FIELDS_MAX} active fields. Archive one first.`,
        )
      if (active.some((f) => f.label.toLowerCase() === field.label.toLowerCase()))
        throw new CustomFieldError(null, 'An active field already has this label.')
      const position = Math.max(0, ...fields.map((f) => f.position)) + 1
      await em.execute(
        `update custom_field set archived_at = null, position = ?, version = version + 1,
                updated_at = now()
          where organization_id = ? and id = ?`,
        [position, organizationId, id],
      )
    } else {
      await em.execute(
        `update custom_field set archived_at = now(), version = version + 1, updated_at = now()
          where organization_id = ? and id = ?`,
        [organizationId, id],
      )
    }
  })
  referenceWritten(orm, organizationId)
}

/** Moves an active field one place up or down in the order forms and the list use. */
export async function moveCustomField(
  orm: MikroORM,
  member: Editor,
  id: string,
  direction: 'up' | 'down',
) {
  assertAdmin(member)
  const organizationId = member.organization.id
  await inScope(orm, { organizationId }, async (em) => {
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [
      `custom_field:${organizationId}`,
    ])
    const field = await lockField(em, organizationId, id)
    if (field.archivedAt) throw new CustomFieldError(null, 'Archived fields have no place.')
    const active = activeFields(await customFieldsIn(em, organizationId))
    const at = active.findIndex((f) => f.id === id)
    const other = active[direction === 'up' ? at - 1 : at + 1]
    if (!other) return
    await em.execute(
      `update custom_field
          set position = case id when ?::uuid then ?::integer else ?::integer end,
              version = version + 1, updated_at = now()
        where organization_id = ? and id in (?, ?)`,
      [field.id, other.position, field.position, organizationId, field.id, other.id],
    )
  })
  referenceWritten(orm, organizationId)
}
