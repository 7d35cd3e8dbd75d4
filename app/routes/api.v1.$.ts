import type { LoaderFunctionArgs } from '@remix-run/node'
import { ApiError, apiRoute } from '~/domain/api/http.server'

/** Any other /api/v1 path: a JSON 404, whatever the method, so clients never get an HTML page. */
const notFound = apiRoute(async ({ request }: LoaderFunctionArgs) => {
  const path = new URL(request.url).pathname
  throw new ApiError(
    'not_found',
    `No such endpoint: ${request.method} ${path}. See /api/v1/openapi.json.`,
  )
})

export const loader = notFound
export const action = notFound
