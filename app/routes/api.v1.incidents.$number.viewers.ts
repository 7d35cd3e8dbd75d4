import { apiJson, incidentPost, methodNotAllowed } from '~/domain/api/http.server'
import { requireIncidentDetail, toApiIncident } from '~/domain/api/incidents.server'
import { ViewerRequestSchema } from '~/domain/api/schemas'
import { addIncidentViewer } from '~/domain/incident/visibility.server'

export const loader = methodNotAllowed(['POST'])

/** POST /api/v1/incidents/{number}/viewers: gives a member sight of the private incident. */
export const action = incidentPost(
  ViewerRequestSchema,
  async ({ context, actor, number, input }) => {
    await addIncidentViewer(context.orm, actor, number, input)
    const detail = await requireIncidentDetail(context.orm, actor, number)
    return apiJson(toApiIncident(detail, actor, context.env.APP_URL))
  },
)
