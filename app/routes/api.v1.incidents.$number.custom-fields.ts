import { apiJson, incidentPost, methodNotAllowed } from '~/domain/api/http.server'
import { requireIncidentDetail, toApiIncident } from '~/domain/api/incidents.server'
import { CustomFieldsRequestSchema } from '~/domain/api/schemas'
import { setCustomFieldValues } from '~/domain/incident/custom-field-changes.server'

export const loader = methodNotAllowed(['POST'])

/**
 * POST /api/v1/incidents/{number}/custom-fields: sets the custom field values named (by key; null
 * or "" clears), each change a timeline entry, as "Edit fields" on the incident page does.
 */
export const action = incidentPost(
  CustomFieldsRequestSchema,
  async ({ context, actor, number, input }) => {
    await setCustomFieldValues(context.orm, actor, number, {
      values: input.customFields,
      version: input.version,
    })
    const detail = await requireIncidentDetail(context.orm, actor, number)
    return apiJson(toApiIncident(detail, actor, context.env.APP_URL))
  },
)
