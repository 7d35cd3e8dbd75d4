import { apiJson, incidentPost, methodNotAllowed } from '~/domain/api/http.server'
import { requireIncidentDetail, toApiIncident } from '~/domain/api/incidents.server'
import { VisibilityRequestSchema } from '~/domain/api/schemas'
import { setIncidentVisibility } from '~/domain/incident/visibility.server'

export const loader = methodNotAllowed(['POST'])

/**
 * POST /api/v1/incidents/{number}/visibility: makes the incident private or visible to the whole
 * organization again, with a reason, as the incident's Visibility page does.
 */
export const action = incidentPost(
  VisibilityRequestSchema,
  async ({ context, actor, number, input }) => {
    await setIncidentVisibility(context.orm, actor, number, input)
    const detail = await requireIncidentDetail(context.orm, actor, number)
    return apiJson(toApiIncident(detail, actor, context.env.APP_URL))
  },
)
