import type { SubmissionResult } from '@conform-to/react'
import { Form } from '@remix-run/react'
import { Card } from '~/components/card'
import { FormError } from '~/components/form-error'
import { Field, SelectField, SubmitButton, TextareaField } from '~/components/forms'
import {
  COMPONENT_STATES,
  COMPONENT_STATE_LABELS,
  PUBLIC_STATUSES,
  PUBLIC_STATUS_LABELS,
} from '~/domain/status/status-vocabulary'

/**
 * "Post public update": what visitors of the status page read, typed apart from the internal
 * timeline. Each component has a state select ("Not affected" leaves it out). A refused post
 * comes back with what was typed.
 */
export function PublicUpdateForm({
  components,
  defaults,
  result,
}: {
  components: Array<{ id: string; name: string; state: string | null }>
  defaults: { title: string; status: string | null }
  result: SubmissionResult<string[]> | null
}) {
  const typed = (result?.initialValue ?? null) as Record<string, unknown> | null
  const value = (name: string, fallback: string) => {
    const v = typed?.[name]
    return typeof v === 'string' ? v : fallback
  }
  const errors = result?.error ?? {}
  return (
    <Card id="post-heading" heading="Post public update">
      <p className="mt-1 text-sm text-slate-600">
        Published at once on the status page and e-mailed to its subscribers. The internal timeline
        records that it was posted.
      </p>
      <Form method="post" className="mt-4" aria-labelledby="post-heading">
        <FormError errors={errors['']} />
        <Field
          label="Public title"
          name="title"
          required
          maxLength={200}
          defaultValue={value('title', defaults.title)}
          errors={errors.title}
        />
        <fieldset className="mb-4">
          <legend className="text-sm font-medium text-slate-800">Status</legend>
          <div className="mt-1 flex flex-wrap gap-4">
            {PUBLIC_STATUSES.map((status) => (
              <label key={status} className="flex items-center gap-2 text-sm">
                <input
                  type="radio"
                  name="status"
                  value={status}
                  required
                  defaultChecked={value('status', defaults.status ?? 'investigating') === status}
                />
                {PUBLIC_STATUS_LABELS[status]}
              </label>
            ))}
          </div>
        </fieldset>
        <TextareaField
          label="Message"
          name="body"
          required
          maxLength={5000}
          defaultValue={value('body', '')}
          errors={errors.body}
          hint="Plain text, as visitors will read it. Nothing internal is published unless written here."
        />
        {components.length > 0 ? (
          <fieldset className="mb-4">
            <legend className="text-sm font-medium text-slate-800">Affected components</legend>
            <div className="grid gap-x-4 sm:grid-cols-2">
              {components.map((c) => (
                <SelectField
                  key={c.id}
                  label={c.name}
                  name={`component.${c.id}`}
                  defaultValue={value(`component.${c.id}`, c.state ?? '')}
                  options={[
                    { value: '', label: 'Not affected' },
                    ...COMPONENT_STATES.map((s) => ({
                      value: s,
                      label: COMPONENT_STATE_LABELS[s],
                    })),
                  ]}
                />
              ))}
            </div>
            <FormError errors={errors.components} />
          </fieldset>
        ) : (
          <p className="mb-4 text-sm text-slate-600">
            The status page has no components yet; an admin adds them in Settings → Status page.
          </p>
        )}
        <SubmitButton name="intent" value="post" pendingLabel="Posting…">
          Post public update
        </SubmitButton>
      </Form>
    </Card>
  )
}

export function PublicUpdateList({
  updates,
}: {
  updates: Array<{
    id: string
    title: string
    status: string
    body: string
    postedAt: string
    postedBy: string
    components: string[]
  }>
}) {
  return (
    <section aria-labelledby="posted-heading">
      <h2 id="posted-heading" className="text-lg font-semibold">
        Posted updates
      </h2>
      {updates.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">
          Nothing has been published about this incident.
        </p>
      ) : (
        <ol className="mt-2 space-y-3">
          {updates.map((u) => (
            <li key={u.id} className="rounded-md border border-slate-200 bg-white p-3 text-sm">
              <p className="font-medium">
                {u.status} — {u.title}
              </p>
              <p className="mt-1 whitespace-pre-wrap">{u.body}</p>
              <p className="mt-1 text-slate-600">
                {u.postedAt} by {u.postedBy}
                {u.components.length > 0 ? ` · ${u.components.join(', ')}` : ''}
              </p>
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
