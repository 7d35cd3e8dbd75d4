import { TableHead } from '~/components/table-head'
import { useDocumentMarkup, useFollowPlainLinks } from '~/utils/markup-memo'

/** The element that shows the rows (and where the browser finds them when it hydrates). */
export const INCIDENT_ROWS_ID = 'incident-rows'

/**
 * One page of the incident list: number and title, severity, status, owner, SLA, dates. The rows
 * come as markup made on the server (incident-rows.server.tsx) and are shown as they are, on the
 * server and in the browser alike, so hydration finds exactly what the server sent; their plain
 * `INC-n` links are followed inside the app.
 */
export function IncidentTable({
  rowsHtml,
  customColumns = [],
}: {
  /** The rows' markup, or null when the document already shows it (see useDocumentMarkup). */
  rowsHtml: string | null
  /** Custom fields shown as columns (`col=<key>`), in the fields' order. */
  customColumns?: ReadonlyArray<{ key: string; label: string }>
}) {
  const followLinks = useFollowPlainLinks((link) => link.pathname.startsWith('/incidents/'))
  const html = useDocumentMarkup(INCIDENT_ROWS_ID, rowsHtml)
  return (
    <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
      <table className="min-w-full divide-y divide-slate-200 text-sm">
        <caption className="sr-only">Incidents, most severe first, then newest</caption>
        <TableHead
          columns={[
            'Incident',
            'Severity',
            'Status',
            'Service',
            'Commander',
            ...customColumns.map((c) => c.label),
            'SLA',
            'Declared',
            'Age',
          ]}
        />
        <tbody
          id={INCIDENT_ROWS_ID}
          className="divide-y divide-slate-100"
          onClick={followLinks}
          dangerouslySetInnerHTML={{ __html: html }}
        />
      </table>
    </div>
  )
}
