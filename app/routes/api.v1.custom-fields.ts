import type { LoaderFunctionArgs } from '@remix-run/node'
import { apiJson, apiRoute, methodNotAllowed, requireApiActor } from '~/domain/api/http.server'
import { customFieldDefinitions } from '~/domain/custom-fields/custom-field-definitions.server'

/** GET /api/v1/custom-fields: the organization's active custom fields, in order. */
export const loader = apiRoute(async ({ request, context }: LoaderFunctionArgs) => {
  const actor = await requireApiActor(request, context, 'incident.view')
  const fields = await customFieldDefinitions(context.orm, actor.organization.id)
  return apiJson({
    data: fields
      .filter((f) => !f.archivedAt)
      .map((f) => ({
        key: f.key,
        label: f.label,
        helpText: f.helpText,
        kind: f.kind,
        options: f.options.map((o) => ({ id: o.id, label: o.label, retired: o.retired })),
        requiredFromStatus: f.requiredFromStatus,
      })),
  })
})

export const action = methodNotAllowed(['GET'])
