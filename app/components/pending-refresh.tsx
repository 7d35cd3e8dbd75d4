import { Link, useLocation, useRevalidator } from '@remix-run/react'
import { useEffect } from 'react'

/** Seconds between two looks at a job the worker has not finished. */
export const PENDING_REFRESH_SECONDS = 2

/**
 * Rendered while a page waits for the worker (a report, a postmortem draft, a webhook delivery),
 * it shows the result without reloading the page on a timer: a timed reload
 * (`<meta http-equiv="refresh">`) sends a screen reader back to the top and takes the focus away
 * every few seconds, with no way to stop it (WCAG 2.2.1). With JavaScript, the page's loaders run
 * again every `PENDING_REFRESH_SECONDS` for as long as this is rendered, and the page's status
 * region (`role="status"`) announces the change; without JavaScript, its link loads the page
 * again when the reader chooses.
 */
export function PendingRefresh() {
  const { state, revalidate } = useRevalidator()
  const location = useLocation()
  useEffect(() => {
    if (state !== 'idle') return
    const timer = setTimeout(revalidate, PENDING_REFRESH_SECONDS * 1000)
    return () => clearTimeout(timer)
  }, [state, revalidate])
  return (
    <Link
      to={`${location.pathname}${location.search}`}
      className="font-medium text-brand-700 underline"
    >
      Check again
    </Link>
  )
}
