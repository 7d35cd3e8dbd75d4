import {
  apiJson,
  apiRoute,
  incidentNumberParam,
  methodNotAllowed,
  readQuery,
  requireIncidentActor,
  requireMethod,
} from '~/domain/api/http.server'
import { requireIncidentDetail, toApiIncident } from '~/domain/api/incidents.server'
import { relateThroughApi } from '~/domain/api/relations.server'
import { RemoveLinkQuerySchema } from '~/domain/api/schemas'

export const loader = methodNotAllowed(['DELETE'])

/**
 * DELETE /api/v1/incidents/{number}/links/{relatedNumber}?version=n: removes a "related to" link
 * (from either end). Duplicate and merge links go with undoing the reclassification.
 */
export const action = apiRoute(async (args) => {
  requireMethod(args.request, ['DELETE'])
  const { actor, number } = await requireIncidentActor(args)
  const relatedNumber = incidentNumberParam(args.params.relatedNumber)
  const { version } = readQuery(new URL(args.request.url), RemoveLinkQuerySchema, [])
  await relateThroughApi(args.context.orm, actor, number, { relatedNumber, version }, 'remove')
  const detail = await requireIncidentDetail(args.context.orm, actor, number)
  return apiJson(toApiIncident(detail, actor, args.context.env.APP_URL))
})
