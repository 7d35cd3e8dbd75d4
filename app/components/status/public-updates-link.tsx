import { Link } from '@remix-run/react'

/** The incident page's way to its public updates (the status page's side of the incident). */
export function PublicUpdatesLink({ number }: { number: number }) {
  return (
    <p className="text-sm" data-no-print>
      <Link to={`/incidents/${number}/public-updates`} className="text-brand-700 underline">
        Public updates
      </Link>{' '}
      <span className="text-slate-600">— what the status page says about this incident</span>
    </p>
  )
}
