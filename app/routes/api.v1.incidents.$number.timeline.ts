import type { LoaderFunctionArgs } from '@remix-run/node'
import { apiJson, apiRoute, methodNotAllowed, requireIncidentActor } from '~/domain/api/http.server'
import { requireIncidentDetail, toApiTimeline } from '~/domain/api/incidents.server'

/** GET /api/v1/incidents/{number}/timeline: every entry, oldest first, with its hashes. */
export const loader = apiRoute(async (args: LoaderFunctionArgs) => {
  const { context } = args
  const { actor, number } = await requireIncidentActor(args)
  const detail = await requireIncidentDetail(context.orm, actor, number)
  return apiJson(toApiTimeline(detail, actor, context.env.APP_URL))
})

export const action = methodNotAllowed(['GET'])
