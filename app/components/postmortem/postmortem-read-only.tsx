import type { PostmortemPageView } from '~/domain/postmortem/postmortem-page.server'
import {
  POSTMORTEM_SECTIONS,
  POSTMORTEM_SECTION_LABELS,
  type PostmortemSection,
} from '~/domain/postmortem/vocabulary'

/** The postmortem as readers see it: each section's HTML, and the chosen timeline after the summary. */
export function PostmortemReadOnly({
  incidentNumber,
  sectionsHtml,
  timelineEntries,
  note,
}: {
  incidentNumber: number
  sectionsHtml: Record<PostmortemSection, string> | null
  timelineEntries: PostmortemPageView['timelineEntries']
  note: string
}) {
  const block = (key: PostmortemSection) => (
    <section key={key} aria-labelledby={`read-${key}`}>
      <h2 id={`read-${key}`} className="text-lg font-semibold">
        {POSTMORTEM_SECTION_LABELS[key]}
      </h2>
      {sectionsHtml?.[key] ? (
        <div
          className="markdown mt-2 max-w-none break-words"
          dangerouslySetInnerHTML={{ __html: sectionsHtml[key] }}
        />
      ) : (
        <p className="mt-2 text-sm text-slate-500">Not written yet.</p>
      )}
    </section>
  )
  const [first, ...rest] = POSTMORTEM_SECTIONS
  return (
    <div className="space-y-6 rounded-lg border border-slate-200 bg-white p-4">
      <p className="text-sm text-slate-600">{note}</p>
      {block(first)}
      <section aria-labelledby="read-timeline">
        <h2 id="read-timeline" className="text-lg font-semibold">
          Timeline
        </h2>
        {timelineEntries.length === 0 ? (
          <p className="mt-2 text-sm text-slate-500">No events chosen yet.</p>
        ) : (
          <ol className="mt-2 space-y-2 text-sm">
            {timelineEntries.map((e) => (
              <li key={e.seq}>
                <a href={`/incidents/${incidentNumber}#event-${e.seq}`} className="underline">
                  #{e.seq}
                </a>{' '}
                <time dateTime={e.at} title={e.atUtc} className="text-slate-600">
                  {e.atText}
                </time>{' '}
                <strong>{e.actor}</strong> {e.summary}
                {e.detail ? <span className="text-slate-600"> — {e.detail}</span> : null}
                {e.note ? <p className="ml-6 text-slate-800">{e.note}</p> : null}
              </li>
            ))}
          </ol>
        )}
      </section>
      {rest.map(block)}
    </div>
  )
}
