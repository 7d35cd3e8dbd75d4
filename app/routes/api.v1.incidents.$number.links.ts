import { apiJson, incidentPost, methodNotAllowed } from '~/domain/api/http.server'
import { requireIncidentDetail, toApiIncident } from '~/domain/api/incidents.server'
import { relateThroughApi } from '~/domain/api/relations.server'
import { RelatedLinkRequestSchema } from '~/domain/api/schemas'

export const loader = methodNotAllowed(['POST'])

/**
 * POST /api/v1/incidents/{number}/links: links the incident as related to `relatedNumber` (shown
 * on both, an entry on both timelines), as "Link incident" on the incident page.
 */
export const action = incidentPost(
  RelatedLinkRequestSchema,
  async ({ context, actor, number, input }) => {
    await relateThroughApi(context.orm, actor, number, input, 'add')
    const detail = await requireIncidentDetail(context.orm, actor, number)
    return apiJson(toApiIncident(detail, actor, context.env.APP_URL), 201)
  },
)
