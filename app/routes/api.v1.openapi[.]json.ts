import type { LoaderFunctionArgs } from '@remix-run/node'
import { apiJson, apiRoute, methodNotAllowed } from '~/domain/api/http.server'
import { openApiDocument } from '~/domain/api/openapi'

/** GET /api/v1/openapi.json: the API's description; public, like the rest of the docs. */
export const loader = apiRoute(async ({ context }: LoaderFunctionArgs) =>
  apiJson(openApiDocument(new URL('/api/v1', context.env.APP_URL).toString()), 200, {
    // The document changes only with a release.
    'Cache-Control': 'public, max-age=300',
  }),
)

export const action = methodNotAllowed(['GET'])
