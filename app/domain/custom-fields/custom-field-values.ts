import { INCIDENT_STATUSES, STATUS_LABELS, type IncidentStatus } from '~/domain/incident/vocabulary'

/**
 * Custom fields as data: the kinds an admin can define, what a value of each kind is, how a value
 * typed into a form or sent to the API becomes one (or a field error), and how it reads. Pure: the
 * one check that needs the database (a member is an active member) is left to the caller through
 * `pendingMembers`.
 */

export const CUSTOM_FIELD_KINDS = [
  'text',
  'number',
  'single_choice',
  'multi_choice',
  'member',
  'date',
] as const
export type CustomFieldKind = (typeof CUSTOM_FIELD_KINDS)[number]

export const CUSTOM_FIELD_KIND_LABELS: Record<CustomFieldKind, string> = {
  text: 'Text',
  number: 'Number',
  single_choice: 'Single choice',
  multi_choice: 'Multiple choice',
  member: 'Member',
  date: 'Date',
}

export const isChoiceKind = (kind: CustomFieldKind) =>
  kind === 'single_choice' || kind === 'multi_choice'

/** One option of a choice field. Its id never changes; renaming changes the label only. */
export interface CustomFieldOption {
  id: string
  label: string
  /** A retired option is offered no more; values that hold it still show its label. */
  retired: boolean
}

export interface CustomFieldDefinition {
  id: string
  key: string
  label: string
  helpText: string
  kind: CustomFieldKind
  options: CustomFieldOption[]
  /** From this status on (in lifecycle order) the field must hold a value; null: optional. */
  requiredFromStatus: IncidentStatus | null
  position: number
  version: number
  archivedAt: string | null
}

/** text and number values; option ids (one, or several in the options' order); a user id; `YYYY-MM-DD`. */
export type CustomFieldValue = string | number | string[]
export type CustomFieldValues = Record<string, CustomFieldValue>

export const TEXT_VALUE_MAX = 1000
/** Numbers beyond this lose integer precision in JSON and JavaScript alike. */
export const NUMBER_VALUE_MAX = 1e15

const STATUS_RANK = new Map<IncidentStatus, number>(INCIDENT_STATUSES.map((s, i) => [s, i]))

/** Whether a field must hold a value when the incident is (or moves) in `status`. */
export function isRequiredAt(
  definition: Pick<CustomFieldDefinition, 'requiredFromStatus' | 'archivedAt'>,
  status: IncidentStatus,
): boolean {
  if (definition.archivedAt || !definition.requiredFromStatus) return false
  return STATUS_RANK.get(status)! >= STATUS_RANK.get(definition.requiredFromStatus)!
}

export function requiredFromText(status: IncidentStatus | null): string {
  return status ? `Required from ${STATUS_LABELS[status]} on` : 'Optional'
}

/** The field-error name of a field: forms name their inputs so, the API reports it so. */
export const fieldErrorName = (key: string) => `customFields.${key}`

export type ParseOutcome =
  { ok: true; value: CustomFieldValue | null } | { ok: false; message: string }

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function isCalendarDate(text: string) {
  const match = DATE_PATTERN.exec(text)
  if (!match) return false
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])]
  if (year < 1900 || year > 9999) return false
  const date = new Date(Date.UTC(year, month - 1, day))
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day
}

/** Form posts carry strings; the API carries JSON. Both come here as `unknown`. */
const asText = (raw: unknown): string | null =>
  typeof raw === 'string' ? raw.trim() : typeof raw === 'number' ? String(raw) : null

/**
 * One field's new value from what was sent, or the words of its field error. Empty means "no
 * value" (null). `current` is the value the incident holds now: a retired option, or a member
 * who has left, stays acceptable while it is not changed.
 */
export function parseCustomFieldValue(
  definition: Pick<CustomFieldDefinition, 'kind' | 'options'>,
  raw: unknown,
  current: CustomFieldValue | undefined,
): ParseOutcome {
  if (raw === null || raw === undefined) return { ok: true, value: null }
  switch (definition.kind) {
    case 'text': {
      if (typeof raw !== 'string') return { ok: false, message: 'Enter text.' }
      const text = raw.trim()
      if (text.includes('\u0000'))
        return { ok: false, message: 'This text contains a NUL character. Remove it.' }
      if (text.length > TEXT_VALUE_MAX)
        return { ok: false, message: `Use at most ${TEXT_VALUE_MAX} characters.` }
      return { ok: true, value: text === '' ? null : text }
    }
    case 'number': {
      const text = asText(raw)
      if (text === null) return { ok: false, message: 'Enter a number.' }
      if (text === '') return { ok: true, value: null }
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
        return { ok: false, message: 'Enter a number, such as 42 or 3.5.' }
      const value = Number(text)
      if (!Number.isFinite(value) || Math.abs(value) > NUMBER_VALUE_MAX)
        return { ok: false, message: 'Enter a number between -10^15 and 10^15.' }
      return { ok: true, value: Object.is(value, -0) ? 0 : value }
    }
    case 'date': {
      if (typeof raw !== 'string') return { ok: false, message: 'Enter a date (YYYY-MM-DD).' }
      const text = raw.trim()
      if (text === '') return { ok: true, value: null }
      if (!isCalendarDate(text)) return { ok: false, message: 'Enter a date (YYYY-MM-DD).' }
      return { ok: true, value: text }
    }
    case 'member': {
      if (typeof raw !== 'string') return { ok: false, message: 'Choose a member.' }
      const text = raw.trim()
      if (text === '') return { ok: true, value: null }
      if (!UUID_PATTERN.test(text))
        return { ok: false, message: 'Choose an active member of this organization.' }
      return { ok: true, value: text.toLowerCase() }
    }
    case 'single_choice': {
      if (typeof raw !== 'string') return { ok: false, message: 'Choose one of the options.' }
      const text = raw.trim()
      if (text === '') return { ok: true, value: null }
      const option = definition.options.find((o) => o.id === text)
      if (!option || (option.retired && current !== text))
        return { ok: false, message: 'Choose one of the options.' }
      return { ok: true, value: text }
    }
    case 'multi_choice': {
      const list = Array.isArray(raw) ? raw : [raw]
      if (!list.every((v) => typeof v === 'string'))
        return { ok: false, message: 'Choose among the options.' }
      const chosen = new Set((list as string[]).map((v) => v.trim()).filter((v) => v !== ''))
      const held = new Set(Array.isArray(current) ? current : [])
      for (const id of chosen) {
        const option = definition.options.find((o) => o.id === id)
        if (!option || (option.retired && !held.has(id)))
          return { ok: false, message: 'Choose among the options.' }
      }
      if (chosen.size === 0) return { ok: true, value: null }
      // In the options' order, so the same choice is always the same value.
      return {
        ok: true,
        value: definition.options.filter((o) => chosen.has(o.id)).map((o) => o.id),
      }
    }
  }
}

/** Whether two values are the same (multiple choices are kept in one order). */
export function sameValue(
  a: CustomFieldValue | null | undefined,
  b: CustomFieldValue | null | undefined,
) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
}

/** A choice value in words: its options' labels, retired ones too. */
export function optionLabels(
  definition: Pick<CustomFieldDefinition, 'options'>,
  value: CustomFieldValue | null | undefined,
): string | null {
  if (value === null || value === undefined) return null
  const ids = Array.isArray(value) ? value : [String(value)]
  return ids.map((id) => definition.options.find((o) => o.id === id)?.label ?? id).join(', ')
}

/**
 * A value in words, as the page, the exports and the timeline show it. `name` turns a member's
 * user id into their name.
 */
export function formatCustomFieldValue(
  definition: Pick<CustomFieldDefinition, 'kind' | 'options'>,
  value: CustomFieldValue | null | undefined,
  name: (userId: string) => string | null,
): string | null {
  if (value === null || value === undefined) return null
  switch (definition.kind) {
    case 'single_choice':
    case 'multi_choice':
      return optionLabels(definition, value)
    case 'member':
      return name(String(value)) ?? 'former member'
    case 'number':
      return String(value)
    default:
      return String(value)
  }
}

/** An option id made from its first label: lower-case words joined by `_`, unique in the field. */
export function optionIdFor(label: string, taken: ReadonlySet<string>): string {
  const base =
    label
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 40) || 'option'
  let id = base
  for (let n = 2; taken.has(id); n++) id = `${base}_${n}`
  return id
}

/** A field key made from its label, the same way. */
export function keyFor(label: string): string {
  const base = optionIdFor(label, new Set())
  return /^[a-z]/.test(base) ? base.slice(0, 40) : `f_${base}`.slice(0, 40)
}

export const KEY_PATTERN = /^[a-z][a-z0-9_]{0,39}$/

/** The input prefix forms use: `customFields.<key>`. */
const FORM_PREFIX = 'customFields.'

/**
 * The custom field values a form posted, by key: one value as a string, several (checkboxes) as a
 * list. A multiple choice posts a hidden empty value too, so "none ticked" still arrives.
 */
export function customFieldsFromForm(formData: FormData): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = {}
  for (const name of new Set(formData.keys())) {
    if (!name.startsWith(FORM_PREFIX)) continue
    const all = formData.getAll(name).map((v) => (typeof v === 'string' ? v : ''))
    values[name.slice(FORM_PREFIX.length)] = all.length === 1 ? all[0]! : all
  }
  return values
}

/** One field as a form shows it: what to render, the value to start from, whether it is required. */
export interface CustomFieldInputView {
  key: string
  label: string
  helpText: string
  kind: CustomFieldKind
  required: boolean
  /** Active options, plus a retired one the incident still holds. */
  options: Array<{ id: string; label: string }>
  /** As a form posts it: a string, or the option ids of a multiple choice. */
  value: string | string[]
}

/** The active fields as inputs, with the values held now and what `status` requires. */
export function customFieldInputs(
  fields: readonly CustomFieldDefinition[],
  values: CustomFieldValues,
  status: IncidentStatus,
): CustomFieldInputView[] {
  return fields
    .filter((f) => !f.archivedAt)
    .map((f) => {
      const held = values[f.id]
      const heldIds = new Set(Array.isArray(held) ? held : held === undefined ? [] : [String(held)])
      return {
        key: f.key,
        label: f.label,
        helpText: f.helpText,
        kind: f.kind,
        required: isRequiredAt(f, status),
        options: f.options
          .filter((o) => !o.retired || heldIds.has(o.id))
          .map((o) => ({ id: o.id, label: o.label })),
        value: Array.isArray(held) ? held : held === undefined ? '' : String(held),
      }
    })
}

/** One value per field, in words, for pages and exports: active fields in order. */
export function customFieldDisplay(
  fields: readonly CustomFieldDefinition[],
  values: CustomFieldValues,
  name: (userId: string) => string | null,
): Array<{ key: string; label: string; text: string | null }> {
  return fields
    .filter((f) => !f.archivedAt)
    .map((f) => ({
      key: f.key,
      label: f.label,
      text: formatCustomFieldValue(f, values[f.id], name),
    }))
}

/** Values keyed by field key, as the API and JSON exports give them (active fields only). */
export function customFieldsByKey(
  fields: readonly CustomFieldDefinition[],
  values: CustomFieldValues,
): Record<string, CustomFieldValue | null> {
  const out: Record<string, CustomFieldValue | null> = {}
  for (const f of fields) if (!f.archivedAt) out[f.key] = values[f.id] ?? null
  return out
}
