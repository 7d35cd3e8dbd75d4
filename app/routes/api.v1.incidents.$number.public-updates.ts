import type { LoaderFunctionArgs } from '@remix-run/node'
import { apiJson, apiRoute, incidentPost, requireIncidentActor } from '~/domain/api/http.server'
import { apiPublicUpdates, postApiPublicUpdate } from '~/domain/api/public-updates.server'
import { PublicUpdateRequestSchema } from '~/domain/api/schemas'

/** GET /api/v1/incidents/{number}/public-updates: what the status page says of it, newest first. */
export const loader = apiRoute(async (args: LoaderFunctionArgs) => {
  const { actor, number } = await requireIncidentActor(args)
  return apiJson(await apiPublicUpdates(args.context, actor, number))
})

/**
 * POST /api/v1/incidents/{number}/public-updates: publishes an update on the status page, as
 * "Post public update" on the incident's Public updates page does.
 */
export const action = incidentPost(
  PublicUpdateRequestSchema,
  async ({ context, actor, number, input }) => {
    const update = await postApiPublicUpdate(context, actor, number, input)
    return apiJson(update, 201, {
      Location: new URL(
        `/api/v1/incidents/${number}/public-updates`,
        context.env.APP_URL,
      ).toString(),
    })
  },
)
