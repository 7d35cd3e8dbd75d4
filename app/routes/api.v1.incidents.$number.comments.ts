import { addComment } from '~/domain/incident/incident-service.server'
import { apiJson, incidentPost, methodNotAllowed } from '~/domain/api/http.server'
import { requireIncidentDetail, toApiEvent } from '~/domain/api/incidents.server'
import { CommentRequestSchema } from '~/domain/api/schemas'

export const loader = methodNotAllowed(['POST'])

/**
 * POST /api/v1/incidents/{number}/comments: adds a comment as the token's user. Answers the
 * stored timeline entry; its `seq` is the incident's new version.
 */
export const action = incidentPost(
  CommentRequestSchema,
  async ({ context, actor, number, input }) => {
    const { seq } = await addComment(context.orm, actor, number, input)
    const detail = await requireIncidentDetail(context.orm, actor, number)
    const event = detail.events.find((e) => e.seq === seq)
    if (!event) throw new Error(`comment #${seq} of INC-${number} missing after commit`)
    return apiJson(toApiEvent(event, detail, actor.organization.timezone), 201, {
      Location: new URL(`/api/v1/incidents/${number}/timeline`, context.env.APP_URL).toString(),
    })
  },
)
