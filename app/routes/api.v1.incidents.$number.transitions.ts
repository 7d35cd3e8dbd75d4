import { transitionIncident } from '~/domain/incident/incident-service.server'
import { apiJson, fromDomainError, incidentPost, methodNotAllowed } from '~/domain/api/http.server'
import { requireIncidentDetail, toApiIncident } from '~/domain/api/incidents.server'
import { TransitionRequestSchema } from '~/domain/api/schemas'

export const loader = methodNotAllowed(['POST'])

/**
 * POST /api/v1/incidents/{number}/transitions: moves the incident along the lifecycle; the
 * lifecycle table and the user's involvement are checked by the same service as the page's.
 */
export const action = incidentPost(
  TransitionRequestSchema,
  async ({ context, actor, number, input }) => {
    try {
      await transitionIncident(context.orm, actor, number, {
        action: input.action,
        reason: input.reason ?? null,
        version: input.version,
        customFields: input.customFields,
      })
    } catch (error) {
      // A step the lifecycle does not allow from here is refused without naming a field.
      throw fromDomainError(error, 'invalid_transition') ?? error
    }
    const detail = await requireIncidentDetail(context.orm, actor, number)
    return apiJson(toApiIncident(detail, actor, context.env.APP_URL))
  },
)
