import { Link } from '@remix-run/react'
import type { ReactNode } from 'react'

/** The dashboard's exports (for those who may export) and the printable report, same filters. */
export function ExportLinks({ query, canExport }: { query: string; canExport: boolean }) {
  const exportLink = (path: string) => `/analytics/${path}?${query}`
  return (
    <nav aria-label="Exports and report" className="flex flex-wrap gap-2 text-sm">
      {canExport ? (
        <>
          <ExportLink to={exportLink('incidents.csv')}>Export incidents (CSV)</ExportLink>
          <ExportLink to={exportLink('incidents.json')}>Export incidents (JSON)</ExportLink>
          <ExportLink to={exportLink('metrics.csv')}>Export metrics (CSV)</ExportLink>
          <ExportLink to={exportLink('metrics.json')}>Export metrics (JSON)</ExportLink>
        </>
      ) : null}
      <Link
        to={`/reports/print?${query}`}
        className="rounded-md border border-slate-300 bg-white px-3 py-1.5 hover:bg-slate-50"
      >
        Printable report
      </Link>
    </nav>
  )
}

function ExportLink({ to, children }: { to: string; children: ReactNode }) {
  // A plain link with `reloadDocument`: the browser downloads the file instead of routing.
  return (
    <Link
      to={to}
      reloadDocument
      className="rounded-md border border-slate-300 bg-white px-3 py-1.5 hover:bg-slate-50"
    >
      {children}
    </Link>
  )
}
