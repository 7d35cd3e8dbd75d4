import type { MikroORM } from '@mikro-orm/postgresql'
import { memberDirectory } from '~/domain/reference/reference-data.server'
import { customFieldDefinitions } from './custom-field-definitions.server'
import type { IncidentStatus } from '~/domain/incident/vocabulary'
import {
  customFieldInputs,
  formatCustomFieldValue,
  isRequiredAt,
  type CustomFieldInputView,
  type CustomFieldValues,
} from './custom-field-values'

/** What a form with custom field inputs needs: the inputs, and the members a member field offers. */
export interface CustomFieldForm {
  inputs: CustomFieldInputView[]
  members: Array<{ id: string; name: string }>
}

/**
 * The declare form's custom fields: every active field, empty, those required from Detected on
 * marked required. Read through the reference cache, before any transaction.
 */
export async function declareFormCustomFields(
  orm: MikroORM,
  organizationId: string,
): Promise<CustomFieldForm> {
  const fields = await customFieldDefinitions(orm, organizationId)
  const inputs = customFieldInputs(fields, {}, 'detected')
  return {
    inputs,
    members: inputs.some((f) => f.kind === 'member')
      ? await activeMembers(orm, organizationId)
      : [],
  }
}

export async function activeMembers(orm: MikroORM, organizationId: string) {
  const directory = await memberDirectory(orm, organizationId)
  return directory.filter((m) => m.active).map((m) => ({ id: m.userId, name: m.displayName }))
}

/**
 * The incident page's custom fields: each active field's value in words (and archived fields that
 * still hold one), the "Edit fields" inputs, and for each status the empty fields it requires —
 * the inputs a lifecycle step's form offers.
 */
export async function incidentCustomFields(
  orm: MikroORM,
  organizationId: string,
  values: CustomFieldValues,
  status: IncidentStatus,
  name: (userId: string) => string | null,
) {
  const fields = await customFieldDefinitions(orm, organizationId)
  const inputs = customFieldInputs(fields, values, status)
  const members = inputs.some((f) => f.kind === 'member')
    ? await activeMembers(orm, organizationId)
    : []
  const shown = fields
    .filter((f) => !f.archivedAt || values[f.id] !== undefined)
    .map((f) => ({
      key: f.key,
      label: f.archivedAt ? `${f.label} (archived)` : f.label,
      text: formatCustomFieldValue(f, values[f.id], name),
      required: isRequiredAt(f, status),
    }))
  return {
    view: { shown, inputs, members },
    /** The inputs of the fields `to` requires that hold no value yet. */
    requiredFor: (to: IncidentStatus) => {
      const needed = new Set(
        fields.filter((f) => isRequiredAt(f, to) && values[f.id] === undefined).map((f) => f.key),
      )
      return customFieldInputs(fields, values, to).filter((i) => needed.has(i.key))
    },
  }
}
