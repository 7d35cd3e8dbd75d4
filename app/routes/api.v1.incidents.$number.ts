import type { LoaderFunctionArgs } from '@remix-run/node'
import { apiJson, apiRoute, methodNotAllowed, requireIncidentActor } from '~/domain/api/http.server'
import { requireIncidentDetail, toApiIncident } from '~/domain/api/incidents.server'

/** GET /api/v1/incidents/{number}: one incident of the token's organization. */
export const loader = apiRoute(async (args: LoaderFunctionArgs) => {
  const { context } = args
  const { actor, number } = await requireIncidentActor(args)
  const detail = await requireIncidentDetail(context.orm, actor, number)
  return apiJson(toApiIncident(detail, actor, context.env.APP_URL))
})

export const action = methodNotAllowed(['GET'])
