import type { LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { Form, isRouteErrorResponse, useLoaderData, useRouteError } from '@remix-run/react'
import { ErrorPage } from '~/components/error-page'
import { IncidentSubpageHeader } from '~/components/incident-subpage-header'
import { TableHead } from '~/components/table-head'
import { requireMember } from '~/domain/access/guard.server'
import { countChanges, diffRevisions, type DiffLine } from '~/domain/postmortem/diff'
import { getRevisionPair, listRevisions } from '~/domain/postmortem/postmortem.server'
import { POSTMORTEM_STATUS_LABELS } from '~/domain/postmortem/vocabulary'
import { formatInZone, utcTitle } from '~/utils/time'
import { requireIncidentNumber } from '~/domain/incident/incident-number'

/** A revision number from the query string: absent → null, anything but a positive integer → 400. */
function parseRevision(value: string | null) {
  if (value === null || value === '') return null
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 2_000_000_000)
    throw new Response('Choose revisions from the list.', { status: 400 })
  return n
}

const SOURCE_LABELS = { human: 'Person', template: 'Template draft', llm: 'Model draft' }

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const listed = await listRevisions(context.orm, member, number)
  if (!listed)
    throw new Response('This incident has no postmortem. It gets one when it enters Postmortem.', {
      status: 404,
    })
  const { view, revisions } = listed
  const timeZone = view.organization.timezone
  const url = new URL(request.url)
  const newest = revisions[0]?.revision ?? null
  const to = parseRevision(url.searchParams.get('to')) ?? newest
  const from =
    parseRevision(url.searchParams.get('from')) ?? (to !== null && to > 1 ? to - 1 : null)
  let comparison = null
  if (from !== null && to !== null) {
    const pair = await getRevisionPair(context.orm, member, number, from, to)
    if (!pair) throw new Response('Revision not found', { status: 404 })
    const sections = diffRevisions(pair.from, pair.to).map((s) => ({
      ...s,
      counts: countChanges(s.lines),
    }))
    comparison = {
      from: { revision: pair.from.revision, status: pair.from.status },
      to: { revision: pair.to.revision, status: pair.to.status },
      sections,
    }
  }
  return {
    incident: { number: view.incident.number, title: view.incident.title },
    revisions: revisions.map((r) => ({
      ...r,
      createdAtText: formatInZone(r.createdAt, timeZone),
      createdAtUtc: utcTitle(r.createdAt),
    })),
    from,
    to,
    comparison,
  }
}

function DiffLines({ lines }: { lines: DiffLine[] }) {
  if (lines.length === 0) return <p className="text-sm text-slate-500">Empty in both revisions.</p>
  return (
    <ol className="overflow-x-auto rounded-md border border-slate-200 bg-white font-mono text-sm">
      {lines.map((line, i) => (
        <li
          key={i}
          data-diff={line.kind}
          className={
            line.kind === 'added'
              ? 'bg-emerald-50 px-3 whitespace-pre-wrap text-emerald-950'
              : line.kind === 'removed'
                ? 'bg-red-50 px-3 whitespace-pre-wrap text-red-950'
                : 'px-3 whitespace-pre-wrap text-slate-700'
          }
        >
          {line.kind === 'added' ? (
            <ins className="no-underline">
              <span aria-hidden="true">+ </span>
              <span className="sr-only">Added: </span>
              {line.text || ' '}
            </ins>
          ) : line.kind === 'removed' ? (
            <del>
              <span aria-hidden="true">− </span>
              <span className="sr-only">Removed: </span>
              {line.text || ' '}
            </del>
          ) : (
            <>
              <span aria-hidden="true">{'  '}</span>
              {line.text || ' '}
            </>
          )}
        </li>
      ))}
    </ol>
  )
}

function RevisionSelect({
  label,
  name,
  value,
  options,
}: {
  label: string
  name: string
  value: number | null
  options: number[]
}) {
  return (
    <label className="text-sm font-medium text-slate-800">
      {label}
      <select
        name={name}
        defaultValue={value ?? undefined}
        className="mt-1 block rounded-md border-slate-300 sm:text-sm"
      >
        {options.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </label>
  )
}

export default function PostmortemRevisions() {
  const { incident, revisions, from, to, comparison } = useLoaderData<typeof loader>()
  const base = `/incidents/${incident.number}/postmortem`
  const options = revisions.map((r) => r.revision)
  return (
    <div className="space-y-8">
      <IncidentSubpageHeader
        incident={incident}
        crumbs={[{ label: 'Postmortem', to: base }, { label: 'Revision history' }]}
        title="Revision history"
        className="space-y-2"
      >
        <p className="text-sm text-slate-600">
          Every save, accepted draft and status change is kept as its own revision; none is ever
          changed afterwards.
        </p>
      </IncidentSubpageHeader>

      <section aria-labelledby="revisions-heading">
        <h2 id="revisions-heading" className="text-lg font-semibold">
          Revisions
        </h2>
        {revisions.length === 0 ? (
          <p className="mt-2 text-sm text-slate-600">Nothing has been saved yet.</p>
        ) : (
          <div className="relative mt-3 overflow-x-auto rounded-lg border border-slate-200 bg-white">
            <table className="min-w-full divide-y divide-slate-200 text-sm">
              <TableHead
                cellClassName="px-4 py-2"
                columns={['Revision', 'Status', 'By', 'When', 'Source', 'Change note']}
              />
              <tbody className="divide-y divide-slate-100">
                {revisions.map((r) => (
                  <tr key={r.revision} data-revision={r.revision}>
                    <td className="px-4 py-2">{r.revision}</td>
                    <td className="px-4 py-2">{POSTMORTEM_STATUS_LABELS[r.status]}</td>
                    <td className="px-4 py-2">{r.authorName ?? 'System'}</td>
                    <td className="px-4 py-2">
                      <time dateTime={r.createdAt} title={r.createdAtUtc}>
                        {r.createdAtText}
                      </time>
                    </td>
                    <td className="px-4 py-2">
                      {SOURCE_LABELS[r.source]}
                      {r.model ? ` (${r.model})` : ''}
                    </td>
                    <td className="px-4 py-2 break-words">{r.changeNote ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {options.length > 1 ? (
        <section aria-labelledby="compare-heading" className="space-y-4">
          <h2 id="compare-heading" className="text-lg font-semibold">
            Compare revisions
          </h2>
          <Form method="get" className="flex flex-wrap items-end gap-3">
            <RevisionSelect label="From revision" name="from" value={from} options={options} />
            <RevisionSelect label="To revision" name="to" value={to} options={options} />
            <button
              type="submit"
              className="inline-flex items-center justify-center rounded-md border border-slate-300 bg-white px-4 py-2 text-sm font-semibold shadow-sm hover:bg-slate-50"
            >
              Show differences
            </button>
          </Form>
        </section>
      ) : null}

      {comparison ? (
        <section aria-labelledby="diff-heading" className="space-y-6">
          <h2 id="diff-heading" className="text-lg font-semibold">
            Changes from revision {comparison.from.revision} (
            {POSTMORTEM_STATUS_LABELS[comparison.from.status]}) to revision {comparison.to.revision}{' '}
            ({POSTMORTEM_STATUS_LABELS[comparison.to.status]})
          </h2>
          <p className="text-sm text-slate-600">
            Lines only in revision {comparison.from.revision} are marked “Removed” (−); lines only
            in revision {comparison.to.revision} are marked “Added” (+).
          </p>
          {comparison.sections.map((s) => (
            <section key={s.key} aria-labelledby={`diff-${s.key}`} data-section={s.key}>
              <h3 id={`diff-${s.key}`} className="font-semibold">
                {s.label}{' '}
                <span className="text-sm font-normal text-slate-600">
                  {s.changed
                    ? `${s.counts.added} ${s.counts.added === 1 ? 'line' : 'lines'} added, ${s.counts.removed} ${s.counts.removed === 1 ? 'line' : 'lines'} removed`
                    : 'No changes'}
                </span>
              </h3>
              <div className="mt-2">
                <DiffLines lines={s.lines} />
              </div>
            </section>
          ))}
        </section>
      ) : null}
    </div>
  )
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: data
      ? `Revision history · Postmortem INC-${data.incident.number} · IncidentFlow`
      : 'Revision history · IncidentFlow',
  },
]

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
