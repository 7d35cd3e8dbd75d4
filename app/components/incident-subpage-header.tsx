import { Link } from '@remix-run/react'
import { Fragment, type ReactNode } from 'react'

/**
 * The breadcrumb (Incidents / INC-n / …) and title ("Page: INC-n title") of a page below an
 * incident. A crumb with `to` is a link; the last one names the page itself.
 */
export function IncidentSubpageHeader({
  incident,
  crumbs,
  title,
  className,
  children,
}: {
  incident: { number: number; title: string }
  crumbs: Array<{ label: string; to?: string }>
  title: string
  className: string
  /** What the header shows under the title. */
  children?: ReactNode
}) {
  return (
    <header className={className}>
      <p className="text-sm text-slate-600">
        <Link to="/incidents" className="underline">
          Incidents
        </Link>{' '}
        /{' '}
        <Link to={`/incidents/${incident.number}`} className="underline">
          INC-{incident.number}
        </Link>
        {crumbs.map((crumb) => (
          <Fragment key={crumb.label}>
            {' '}
            /{' '}
            {crumb.to ? (
              <Link to={crumb.to} className="underline">
                {crumb.label}
              </Link>
            ) : (
              crumb.label
            )}
          </Fragment>
        ))}
      </p>
      <h1 className="text-2xl font-bold break-words">
        {title}: <span className="text-slate-500">INC-{incident.number}</span> {incident.title}
      </h1>
      {children}
    </header>
  )
}
