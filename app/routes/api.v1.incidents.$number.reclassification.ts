import { apiJson, incidentPost, methodNotAllowed } from '~/domain/api/http.server'
import { requireIncidentDetail, toApiIncident } from '~/domain/api/incidents.server'
import { reclassifyThroughApi } from '~/domain/api/relations.server'
import { ReclassificationRequestSchema } from '~/domain/api/schemas'

export const loader = methodNotAllowed(['POST'])

/**
 * POST /api/v1/incidents/{number}/reclassification: marks the incident declined, a duplicate of
 * `target` or merged into it, or (`incident`) undoes that, as "Reclassify" on the incident page.
 */
export const action = incidentPost(
  ReclassificationRequestSchema,
  async ({ context, actor, number, input }) => {
    await reclassifyThroughApi(context.orm, actor, number, input)
    const detail = await requireIncidentDetail(context.orm, actor, number)
    return apiJson(toApiIncident(detail, actor, context.env.APP_URL))
  },
)
