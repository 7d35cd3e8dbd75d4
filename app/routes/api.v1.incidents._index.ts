import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node'
import { declareIncident } from '~/domain/incident/incident-service.server'
import {
  apiJson,
  apiRoute,
  readJsonBody,
  readQuery,
  requireApiActor,
  requireMethod,
} from '~/domain/api/http.server'
import {
  listApiIncidents,
  requireIncidentDetail,
  toApiIncident,
} from '~/domain/api/incidents.server'
import {
  DeclareIncidentRequestSchema,
  LIST_ARRAY_PARAMS,
  ListIncidentsQuerySchema,
} from '~/domain/api/schemas'

/** GET /api/v1/incidents: one page of the organization's incidents. */
export const loader = apiRoute(async ({ request, context }: LoaderFunctionArgs) => {
  const actor = await requireApiActor(request, context, 'incident.view')
  const url = new URL(request.url)
  const query = readQuery(url, ListIncidentsQuerySchema, LIST_ARRAY_PARAMS)
  return apiJson(await listApiIncidents(context.orm, actor, query, url, context.env.APP_URL))
})

/** POST /api/v1/incidents: declares an incident, as the declare form does. */
export const action = apiRoute(async ({ request, context }: ActionFunctionArgs) => {
  requireMethod(request, ['GET', 'POST'])
  const actor = await requireApiActor(request, context, 'incident.declare')
  const input = await readJsonBody(request, DeclareIncidentRequestSchema)
  const declared = await declareIncident(context.orm, actor, {
    title: input.title,
    summary: input.summary ?? '',
    severity: input.severity,
    impact: input.impact,
    urgency: input.urgency,
    serviceId: input.serviceId ?? null,
    incidentTypeId: input.incidentTypeId ?? null,
    impactStartedAt: input.impactStartedAt ? new Date(input.impactStartedAt) : null,
    private: input.private ?? false,
    customFields: input.customFields ?? {},
  })
  const detail = await requireIncidentDetail(context.orm, actor, declared.number)
  const body = toApiIncident(detail, actor, context.env.APP_URL)
  return apiJson(body, 201, { Location: body.links.self })
})
