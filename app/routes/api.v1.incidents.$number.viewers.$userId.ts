import type { LoaderFunctionArgs } from '@remix-run/node'
import {
  apiJson,
  apiRoute,
  methodNotAllowed,
  readQuery,
  requireIncidentActor,
  requireMethod,
} from '~/domain/api/http.server'
import { requireIncidentDetail, toApiIncident } from '~/domain/api/incidents.server'
import { RemoveViewerQuerySchema } from '~/domain/api/schemas'
import { removeIncidentViewer } from '~/domain/incident/visibility.server'

const NO_USER = '00000000-0000-0000-0000-000000000000'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const loader = methodNotAllowed(['DELETE'])

/**
 * DELETE /api/v1/incidents/{number}/viewers/{userId}[?version=N]: takes the viewer's sight of the
 * private incident away, as the incident's Visibility page does.
 */
export const action = apiRoute(async (args: LoaderFunctionArgs) => {
  requireMethod(args.request, ['DELETE'])
  const { context, request, params } = args
  const { actor, number } = await requireIncidentActor(args)
  const { version } = readQuery(new URL(request.url), RemoveViewerQuerySchema, [])
  // A path that is no user id names no viewer: the service refuses it as it would any non-viewer,
  // after checking the incident and the actor's right to change it.
  const named = params.userId ?? ''
  const userId = UUID.test(named) ? named : NO_USER
  await removeIncidentViewer(context.orm, actor, number, { userId, version })
  const detail = await requireIncidentDetail(context.orm, actor, number)
  return apiJson(toApiIncident(detail, actor, context.env.APP_URL))
})
