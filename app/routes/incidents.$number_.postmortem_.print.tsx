import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { redirect } from '@remix-run/node'
import { Form, Link, isRouteErrorResponse, useLoaderData, useRouteError } from '@remix-run/react'
import type { ReactNode } from 'react'
import { ActionItemTable } from '~/components/action-items'
import { ErrorPage } from '~/components/error-page'
import { PrintPage } from '~/components/print-page'
import { SubmitButton } from '~/components/forms'
import { TableHead } from '~/components/table-head'
import { requireMember } from '~/domain/access/guard.server'
import { can } from '~/domain/access/permissions'
import { STATUS_LABELS } from '~/domain/incident/vocabulary'
import { listActionItems } from '~/domain/postmortem/action-items.server'
import { getPostmortemView } from '~/domain/postmortem/postmortem.server'
import {
  POSTMORTEM_SECTIONS,
  POSTMORTEM_SECTION_LABELS,
  POSTMORTEM_STATUS_LABELS,
} from '~/domain/postmortem/vocabulary'
import { requestPostmortemReport } from '~/domain/report/report.server'
import { now as clockNow } from '~/utils/clock'
import { renderMarkdown } from '~/utils/markdown.server'
import { formatInZone } from '~/utils/time'
import type { RouteHandle } from '~/root'
import { requireIncidentNumber } from '~/domain/incident/incident-number'
import { refusalResponse } from '~/utils/error-reply.server'

/**
 * The postmortem laid out for paper: a header with organization, incident, postmortem status and
 * revision and the generation time; every section; the chosen timeline in the organization's
 * time zone; the action items. The app's navigation is left out (see `handle`), so the browser's
 * "Print" gives a clean A4 document. "Generate PDF" asks the report worker for the same as a PDF
 * file and goes to its status page.
 */

export const handle: RouteHandle = { bare: true }

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'incident.view')
  const number = requireIncidentNumber(params.number)
  const view = await getPostmortemView(context.orm, member, number)
  if (!view) throw new Response('Postmortem not found', { status: 404 })
  const now = clockNow()
  const zone = view.organization.timezone
  const items = await listActionItems(context.orm, member.organization.id, view.postmortem.id, now)
  const at = (iso: string | null) => (iso ? formatInZone(iso, zone) : null)
  return {
    view,
    sections: POSTMORTEM_SECTIONS.map((key) => ({
      key,
      label: POSTMORTEM_SECTION_LABELS[key],
      html: view.revision ? renderMarkdown(view.revision.sections[key]) : '',
    })),
    timeline: view.timelineEntries.map((e) => ({ ...e, when: at(e.at)! })),
    items,
    times: {
      impactStarted: at(view.incident.impactStartedAt),
      declared: at(view.incident.declaredAt),
      acknowledged: at(view.incident.acknowledgedAt),
      mitigated: at(view.incident.mitigatedAt),
      resolved: at(view.incident.resolvedAt),
      closed: at(view.incident.closedAt),
      published: at(view.postmortem.publishedAt),
    },
    generated: formatInZone(now.toISOString(), zone),
    generatedAt: now.toISOString(),
    canGeneratePdf: can(member.role, 'report.create'),
  }
}

/** "Generate PDF": a postmortem report through the report worker, then its status page (303). */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'report.create')
  const number = requireIncidentNumber(params.number)
  try {
    const { report } = await requestPostmortemReport(context.orm, context.boss, member, number)
    return redirect(`/reports/${report.id}`, 303)
  } catch (error) {
    throw refusalResponse(error)
  }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  {
    title: data
      ? `Postmortem · INC-${data.view.incident.number} ${data.view.incident.title} · ${data.view.organization.name}`
      : 'Postmortem · IncidentFlow',
  },
]

const cell = 'border border-slate-300 px-2 py-1 align-top'

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={`${id}-heading`} className="space-y-2 pt-6 print:pt-3">
      <h2 id={`${id}-heading`} className="text-xl font-bold">
        {title}
      </h2>
      {children}
    </section>
  )
}

export default function PrintablePostmortem() {
  const { view, sections, timeline, items, times, generated, generatedAt, canGeneratePdf } =
    useLoaderData<typeof loader>()
  const { incident, postmortem } = view
  const reference = `INC-${incident.number}`
  const runningHead = `${view.organization.name} · ${reference} postmortem`
  const runningFoot = `Revision ${postmortem.currentRevision} · generated ${generated}`
  const facts: Array<[string, string | null]> = [
    ['Severity', incident.severity],
    ['Incident status', STATUS_LABELS[incident.status]],
    ['Service', incident.serviceName ?? 'None'],
    ['Commander', incident.commanderName ?? 'Nobody'],
    ['Impact started', times.impactStarted],
    ['Declared', times.declared],
    ['Acknowledged', times.acknowledged],
    ['Mitigated', times.mitigated],
    ['Resolved', times.resolved],
    ['Closed', times.closed],
  ]

  return (
    <PrintPage
      runningHead={runningHead}
      runningFoot={runningFoot}
      tableRules=".print-table thead { display: table-header-group; } .print-table tr { break-inside: avoid; }"
      instructions="Print this page (Ctrl+P or ⌘P) for a clean A4 document."
      links={
        <div className="flex flex-wrap items-center gap-3">
          <Link to={`/incidents/${incident.number}/postmortem`} className="underline">
            Back to the postmortem
          </Link>
          {canGeneratePdf ? (
            <Form method="post">
              <SubmitButton pendingLabel="Requesting…" variant="secondary">
                Generate PDF
              </SubmitButton>
            </Form>
          ) : null}
        </div>
      }
    >
      <main id="main">
        <header className="space-y-1 border-b-2 border-slate-800 pb-3" data-report-header>
          <p className="text-sm text-slate-600">{view.organization.name} · postmortem</p>
          <h1 className="text-3xl font-bold break-words">
            {reference} · {incident.title}
          </h1>
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 text-sm">
            <dt className="font-semibold">Postmortem</dt>
            <dd>
              {POSTMORTEM_STATUS_LABELS[postmortem.status]}, revision {postmortem.currentRevision}
              {times.published
                ? ` · published ${times.published}${postmortem.publishedByName ? ` by ${postmortem.publishedByName}` : ''}`
                : ''}
            </dd>
            {facts.map(([label, value]) => (
              <div key={label} className="contents">
                <dt className="font-semibold">{label}</dt>
                <dd>{value ?? '—'}</dd>
              </div>
            ))}
            <dt className="font-semibold">Generated</dt>
            <dd>
              <time dateTime={generatedAt}>{generated}</time>
            </dd>
          </dl>
        </header>

        {sections.map((section) => (
          <Section key={section.key} id={section.key} title={section.label}>
            {section.html ? (
              <div className="markdown" dangerouslySetInnerHTML={{ __html: section.html }} />
            ) : (
              <p className="text-slate-500">Not written yet.</p>
            )}
          </Section>
        ))}

        <Section id="timeline" title="Timeline">
          <p className="text-sm text-slate-600">Times in {view.organization.timezone}.</p>
          <table className="print-table w-full border-collapse text-sm">
            <caption className="sr-only">Timeline of {reference}</caption>
            <TableHead cellClassName={cell} columns={['Time', 'Who', 'What happened', 'Note']} />
            <tbody>
              {timeline.length === 0 ? (
                <tr>
                  <td className={cell} colSpan={4}>
                    No timeline entries chosen.
                  </td>
                </tr>
              ) : null}
              {timeline.map((entry) => (
                <tr key={entry.seq}>
                  <td className={`${cell} whitespace-nowrap`}>
                    <time dateTime={entry.at}>{entry.when}</time>
                  </td>
                  <td className={cell}>{entry.actor}</td>
                  <td className={cell}>
                    {entry.summary}
                    {entry.detail ? <div className="text-slate-600">{entry.detail}</div> : null}
                  </td>
                  <td className={cell}>{entry.note}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Section>

        <Section id="action-items" title="Action items">
          <ActionItemTable
            items={items}
            caption={`Action items of the ${reference} postmortem`}
            empty="No action items."
            cellClassName={cell}
          />
        </Section>
      </main>
    </PrintPage>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
