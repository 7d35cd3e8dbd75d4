import { Link } from '@remix-run/react'

/** The answer to "Send test event": queued, with a link to the delivery's result. */
export function TestEventQueued({ resultUrl }: { resultUrl: string }) {
  return (
    <div
      role="status"
      className="rounded-md border border-sky-300 bg-sky-50 px-4 py-3 text-sm text-sky-900"
    >
      <p className="font-semibold">Test event queued</p>
      <p>
        The worker sends it in a moment.{' '}
        <Link to={resultUrl} className="font-medium underline">
          See the result
        </Link>
      </p>
    </div>
  )
}
