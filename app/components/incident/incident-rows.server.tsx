import { SeverityBadge, StatusBadge } from '~/components/badges'
import { SlaBadge } from '~/components/sla'
import type { IncidentListPageView } from '~/domain/incident/incident-list-page.server'
import { CLASSIFICATION_LABELS } from '~/domain/incident/classification'
import { forOrganization, pageMarkupMemo } from '~/utils/markup-memo.server'
import { PrivateBadge } from './visibility-section'

export type IncidentRow = IncidentListPageView['rows'][number]

/**
 * The markup of one page of the incident list's rows, made on the server and sent to the browser
 * as this one string (IncidentTable shows it as it is, on the server and in the browser alike):
 * the page's data carries one string instead of every row's fields, and the browser renders no
 * rows of its own. Each row is kept in the page markup memo under every value it shows, per
 * organization (see markup-memo.server.ts).
 */
export function incidentRowsHtml(organizationId: string, rows: readonly IncidentRow[]) {
  const memo = forOrganization(pageMarkupMemo, organizationId)
  return rows.map((r) => memo.html('incident-row', r, () => <IncidentRowMarkup r={r} />)).join('')
}

/**
 * One incident: a pure function of its row. It is rendered outside the router, so its link is a
 * plain anchor — marked `data-discover` as a `<Link>` is, so the app still learns the incident
 * page's route before the click; IncidentTable follows it inside the app.
 */
export function IncidentRowMarkup({ r }: { r: IncidentRow }) {
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
