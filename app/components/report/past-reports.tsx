import { Link } from '@remix-run/react'
import { TableHead } from '~/components/table-head'
import type { ReportListRow } from '~/domain/report/report-list.server'
import { REPORT_STATUS_WORDS } from '~/domain/report/report-text'

/** The organization's past reports, newest first, each with its status and file. */
export function PastReports({ reports }: { reports: ReportListRow[] }) {
  return (
    <section aria-labelledby="past-heading" className="space-y-3">
      <h2 id="past-heading" className="text-lg font-semibold">
        Past reports
      </h2>
      {reports.length === 0 ? (
        <p className="text-sm text-slate-600">No reports yet.</p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <caption className="sr-only">Past reports, newest first</caption>
            <TableHead columns={['Requested', 'By', 'Parameters', 'Status', 'Size', 'File']} />
            <tbody className="divide-y divide-slate-100">
              {reports.map((r) => (
                <tr key={r.id} data-report-id={r.id}>
                  <td className="px-3 py-2 whitespace-nowrap">
                    <Link to={`/reports/${r.id}`} className="text-brand-700 underline">
                      <time dateTime={r.requestedAtIso}>{r.requestedAt}</time>
                    </Link>
                  </td>
                  <td className="px-3 py-2">{r.requestedBy}</td>
                  <td className="px-3 py-2">
                    <div>{r.period}</div>
                    <div className="text-slate-600">{r.filters}</div>
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap" data-status={r.status}>
                    {r.status === 'running'
                      ? `${REPORT_STATUS_WORDS.running} (${r.progress} %)`
                      : REPORT_STATUS_WORDS[r.status]}
                  </td>
                  <td className="px-3 py-2 text-right tabular-nums whitespace-nowrap">{r.size}</td>
                  <td className="px-3 py-2 whitespace-nowrap">
                    {r.status === 'done' ? (
                      <a href={`/reports/${r.id}/download`} className="text-brand-700 underline">
                        Download PDF
                      </a>
                    ) : (
                      '—'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}
