import { isRouteErrorResponse, useRouteError } from '@remix-run/react'
import { ErrorPage } from '~/components/error-page'

/**
 * Every address no other route matches. A real (splat) route rather than the router's own "no
 * match": the root loader runs, so the 404 page keeps the header with the signed-in person, and
 * the client router is in an ordinary state. From the router's "no match" state, a link followed
 * while lazy route discovery was still loading rendered the next page without its loader data.
 */
export function loader() {
  throw new Response(null, { status: 404 })
}

export function action() {
  throw new Response(null, { status: 404 })
}

export default function NotFound() {
  return null
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
