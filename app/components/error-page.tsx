import { isRouteErrorResponse, Link } from '@remix-run/react'

const copy: Record<number, { title: string; body: string }> = {
  400: {
    title: 'Bad request',
    body: 'The request could not be understood. Check the address or the form and try again.',
  },
  403: {
    title: 'Not allowed',
    body: 'Your role does not allow this. Ask an administrator of your organization if you need it.',
  },
  404: {
    title: 'Page not found',
    body: 'There is nothing at this address, or it belongs to an organization you are not part of.',
  },
  405: { title: 'Method not allowed', body: 'This address does not accept that kind of request.' },
  409: {
    title: 'Conflict',
    body: 'Someone else changed this while you were working on it. Reload to see the current state.',
  },
  429: { title: 'Too many requests', body: 'Please wait a moment before trying again.' },
  500: {
    title: 'Something went wrong',
    body: 'The error has been logged. Try again in a moment; if it keeps happening, tell your administrator.',
  },
}

export function ErrorPage({ status, error }: { status: number; error?: unknown }) {
  const text = copy[status] ?? copy[status >= 500 ? 500 : 400]!
  // A message thrown deliberately with a response (e.g. "Incident not found") is safe to show;
  // internal error details are not. The router's own responses (no matching route, no action) are
  // marked `internal` and carry developer text such as 'Error: No route matches URL "/x"'.
  const detail =
    isRouteErrorResponse(error) &&
    !(error as { internal?: boolean }).internal &&
    typeof error.data === 'string' &&
    error.data
      ? error.data
      : null
  return (
    <section aria-labelledby="error-title" className="mx-auto max-w-xl py-12 text-center">
      <p className="text-sm font-semibold tracking-wide text-brand-600">Error {status}</p>
      <h1 id="error-title" className="mt-2 text-3xl font-bold tracking-tight text-slate-900">
        {text.title}
      </h1>
      <p className="mt-4 text-slate-600">{detail ?? text.body}</p>
      <p className="mt-8">
        <Link
          to="/"
          className="font-medium text-brand-700 underline underline-offset-4 hover:text-brand-900"
        >
          Go to the home page
        </Link>
      </p>
    </section>
  )
}
