import {
  apiJson,
  apiRoute,
  methodNotAllowed,
  readJsonBody,
  requireIncidentActor,
  requireMethod,
} from '~/domain/api/http.server'
import { requireIncidentDetail, toApiIncident } from '~/domain/api/incidents.server'
import { assignRolesThroughApi } from '~/domain/api/relations.server'
import { IncidentRolesRequestSchema } from '~/domain/api/schemas'

export const loader = methodNotAllowed(['PUT'])

/**
 * PUT /api/v1/incidents/{number}/roles: sets who holds the roles named by key (null: nobody), one
 * timeline entry per change, as "Roles" on the incident page. Roles not named stay as they are.
 */
export const action = apiRoute(async (args) => {
  requireMethod(args.request, ['PUT'])
  const { actor, number } = await requireIncidentActor(args)
  const input = await readJsonBody(args.request, IncidentRolesRequestSchema)
  await assignRolesThroughApi(args.context.orm, actor, number, input)
  const detail = await requireIncidentDetail(args.context.orm, actor, number)
  return apiJson(toApiIncident(detail, actor, args.context.env.APP_URL))
})
