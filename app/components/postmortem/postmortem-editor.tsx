import type { SubmissionResult } from '@conform-to/react'
import { Form } from '@remix-run/react'
import { FormError } from '~/components/form-error'
import { Field, SubmitButton, TextareaField } from '~/components/forms'
import type { PostmortemPageView } from '~/domain/postmortem/postmortem-page.server'
import {
  CHANGE_NOTE_MAX,
  POSTMORTEM_SECTIONS,
  POSTMORTEM_SECTION_LABELS,
  POSTMORTEM_SECTION_MAX,
} from '~/domain/postmortem/vocabulary'
import { TimelinePicker } from './timeline-picker'

/**
 * "Edit postmortem": every section, the timeline picker under the summary and a change note. A
 * refused save echoes what was typed and chosen; otherwise the newest revision's text shows.
 */
export function PostmortemEditor({
  view: { incident, postmortem, sections, chosen, events },
  saveResult,
  conflict,
}: {
  view: Pick<PostmortemPageView, 'incident' | 'postmortem' | 'sections' | 'chosen' | 'events'>
  /** The refused save's reply, if the last submission was a save. */
  saveResult: SubmissionResult<string[]> | null
  conflict: boolean
}) {
  const echoed = (saveResult?.initialValue ?? null) as Record<string, unknown> | null
  const echo = (name: string): string | undefined => {
    const v = echoed?.[name]
    return typeof v === 'string' ? v : undefined
  }
  const echoedIncludes = echoed
    ? new Set(
        ([] as unknown[])
          .concat(echoed.include ?? [])
          .filter((v): v is string => typeof v === 'string'),
      )
    : null
  const fieldErrors = (name: string) => saveResult?.error?.[name] ?? null
  return (
    <Form
      method="post"
      aria-label="Edit postmortem"
      className="space-y-6"
      key={`${postmortem.currentRevision}-${saveResult ? 'echo' : 'fresh'}`}
    >
      <input type="hidden" name="revision" value={postmortem.currentRevision} />
      {saveResult && !conflict ? <FormError errors={saveResult.error?.[''] ?? null} /> : null}
      {POSTMORTEM_SECTIONS.map((key) => (
        <div key={key}>
          <TextareaField
            label={POSTMORTEM_SECTION_LABELS[key]}
            name={key}
            id={`section-${key}`}
            rows={key === 'summary' || key === 'rootCause' ? 8 : 5}
            maxLength={POSTMORTEM_SECTION_MAX}
            defaultValue={echo(key) ?? sections?.[key] ?? ''}
            errors={fieldErrors(key)}
            hint={key === 'summary' ? 'Markdown. Required before review or publishing.' : null}
          />
          {key === 'summary' ? (
            <TimelinePicker
              events={events}
              incidentNumber={incident.number}
              isChosen={(seq) =>
                echoedIncludes ? echoedIncludes.has(String(seq)) : String(seq) in chosen
              }
              noteOf={(seq) => echo(`note-${seq}`) ?? chosen[String(seq)] ?? ''}
              errors={fieldErrors}
            />
          ) : null}
        </div>
      ))}
      <Field
        label="Change note"
        name="changeNote"
        maxLength={CHANGE_NOTE_MAX}
        hint="Optional: what this revision changes."
        defaultValue={echo('changeNote') ?? ''}
        errors={fieldErrors('changeNote')}
      />
      <SubmitButton name="intent" value="save" pendingLabel="Saving…">
        Save postmortem
      </SubmitButton>
    </Form>
  )
}
