import { ErrorList, Field } from '~/components/forms'
import type { PostmortemPageView } from '~/domain/postmortem/postmortem-page.server'
import { TIMELINE_NOTE_MAX } from '~/domain/postmortem/vocabulary'

/** The incident's events to choose the postmortem's timeline from, each with a note. */
export function TimelinePicker({
  events,
  incidentNumber,
  isChosen,
  noteOf,
  errors,
}: {
  events: PostmortemPageView['events']
  incidentNumber: number
  isChosen: (seq: number) => boolean
  noteOf: (seq: number) => string
  errors: (name: string) => string[] | null
}) {
  const timelineErrors = errors('timeline')
  return (
    <fieldset
      className="mt-6 rounded-lg border border-slate-200 bg-white p-4"
      aria-describedby="timeline-hint"
    >
      <legend className="px-1 text-sm font-medium text-slate-800">Timeline</legend>
      <p id="timeline-hint" className="text-xs text-slate-500">
        Choose the events the postmortem&apos;s timeline shows, oldest first; a note is kept only
        for an included event.
      </p>
      <ErrorList id="timeline-error" errors={timelineErrors} />
      <ol className="mt-3 divide-y divide-slate-100">
        {events.map((e) => (
          <li key={e.seq} className="py-2" data-seq={e.seq}>
            <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1 text-sm">
              <label className="inline-flex items-center gap-2 font-medium">
                <input
                  type="checkbox"
                  name="include"
                  value={e.seq}
                  defaultChecked={isChosen(e.seq)}
                  className="rounded border-slate-300"
                />
                Include #{e.seq}
              </label>
              <a href={`/incidents/${incidentNumber}#event-${e.seq}`} className="underline">
                #{e.seq}
              </a>
              <time dateTime={e.at} title={e.atUtc} className="text-slate-600">
                {e.atText}
              </time>
              <span>
                <strong>{e.actor}</strong> {e.summary}
              </span>
            </div>
            {e.detail ? (
              <p className="ml-6 text-xs break-words text-slate-600">{e.detail}</p>
            ) : null}
            <Field
              label={`Note on #${e.seq}`}
              name={`note-${e.seq}`}
              id={`note-${e.seq}`}
              maxLength={TIMELINE_NOTE_MAX}
              className="mt-1 ml-6"
              defaultValue={noteOf(e.seq)}
              errors={errors(`note-${e.seq}`)}
            />
          </li>
        ))}
      </ol>
    </fieldset>
  )
}
