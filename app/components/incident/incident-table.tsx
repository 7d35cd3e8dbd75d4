import { SeverityBadge, StatusBadge } from '~/components/badges'
import { SlaBadge } from '~/components/sla'
import { TableHead } from '~/components/table-head'
import type { IncidentListPageView } from '~/domain/incident/incident-list-page.server'
import { useFollowPlainLinks, useMarkupMemo } from '~/utils/markup-memo'
import { PrivateBadge } from './visibility-section'
import { CLASSIFICATION_LABELS } from '~/domain/incident/classification'

type IncidentRow = IncidentListPageView['rows'][number]

const bodyClass = 'divide-y divide-slate-100'

/** One page of the incident list: number and title, severity, status, owner, SLA, dates. */
export function IncidentTable({
  rows,
  customColumns = [],
}: {
  rows: IncidentRow[]
  /** Custom fields shown as columns (`col=<key>`), in the fields' order. */
  customColumns?: ReadonlyArray<{ key: string; label: string }>
}) {
  const memo = useMarkupMemo()
  const followLinks = useFollowPlainLinks((link) => link.pathname.startsWith('/incidents/'))
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
        {memo ? (
          // Each row's markup is kept by the server under the row's values (see markup-memo.tsx);
          // the browser renders the same rows from the page's data.
          <tbody
            className={bodyClass}
            onClick={followLinks}
            dangerouslySetInnerHTML={{
              __html: rows.map((r) => memo.html('incident-row', r, () => <Row r={r} />)).join(''),
            }}
          />
        ) : (
          <tbody className={bodyClass} onClick={followLinks}>
            {rows.map((r) => (
              <Row key={r.number} r={r} />
            ))}
          </tbody>
        )}
      </table>
    </div>
  )
}

/**
 * One incident: a pure function of its row, rendered outside the router (see markup-memo.tsx), so
 * its link is a plain anchor — marked `data-discover` as a `<Link>` is, so the app still learns the
 * incident page's route before the click.
 */
function Row({ r }: { r: IncidentRow }) {
  return (
    <tr>
      <td className="min-w-56 px-3 py-2">
        <a
          className="font-medium text-brand-700 underline"
          data-discover="true"
          href={`/incidents/${r.number}`}
        >
          INC-{r.number}
        </a>{' '}
        <span className="break-words">{r.title}</span>
        {r.private ? (
          <>
            {' '}
            <PrivateBadge />
          </>
        ) : null}
        {r.classification !== 'incident' ? (
          <>
            {' '}
            <span className="inline-flex items-center rounded-full border border-amber-300 bg-amber-50 px-2 py-0.5 text-xs font-semibold text-amber-900">
              {CLASSIFICATION_LABELS[r.classification]}
            </span>
          </>
        ) : null}
      </td>
      <td className="px-3 py-2">
        <SeverityBadge severity={r.severity} />
      </td>
      <td className="px-3 py-2">
        <StatusBadge status={r.status} />
      </td>
      <td className="px-3 py-2">{r.serviceName ?? '—'}</td>
      <td className="px-3 py-2">{r.commanderName ?? '—'}</td>
      {r.custom.map((text, k) => (
        <td key={k} className="px-3 py-2 break-words" data-custom-column>
          {text ?? '—'}
        </td>
      ))}
      <td className="px-3 py-2 text-xs" data-testid="sla">
        {r.sla ? (
          <span className="flex flex-col items-start gap-0.5">
            <SlaBadge state={r.sla.state} />
            {r.sla.next ? (
              <span className="whitespace-nowrap text-slate-600">
                {r.sla.next.label} due{' '}
                <time dateTime={r.sla.next.dueAt}>{r.sla.next.dueAtText}</time>
              </span>
            ) : null}
          </span>
        ) : (
          '—'
        )}
      </td>
      <td className="px-3 py-2 whitespace-nowrap">
        <time title={r.declaredUtc}>{r.declared}</time>
      </td>
      <td className="px-3 py-2 whitespace-nowrap">{r.age}</td>
    </tr>
  )
}
