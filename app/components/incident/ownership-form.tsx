import { Form } from '@remix-run/react'
import { FormError } from '~/components/form-error'
import { VersionField } from '~/components/live/version-field'
import { SelectField, SubmitButton } from '~/components/forms'
import type { IncidentPageView } from '~/domain/incident/incident-page.server'
import type { FormResult } from './form-result'

/** "Ownership": the commander and the assignees, chosen among the active members. */
export function OwnershipForm({
  incident,
  members,
  result,
}: {
  incident: Pick<IncidentPageView['incident'], 'version' | 'commanderId' | 'assigneeIds'>
  members: IncidentPageView['members']
  result: FormResult
}) {
  return (
    <Form
      method="post"
      aria-label="Assign"
      className="rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 className="mb-3 text-lg font-semibold">Ownership</h2>
      <VersionField version={incident.version} />
      {result?.formErrors && !result.conflict ? <FormError errors={result.formErrors} /> : null}
      <SelectField
        label="Commander"
        name="commanderId"
        options={[
          { value: '', label: 'Nobody' },
          ...members.map((m) => ({ value: m.id, label: m.name })),
        ]}
        defaultValue={incident.commanderId ?? ''}
        errors={result?.fieldErrors('commanderId')}
      />
      <fieldset className="mb-4">
        <legend className="text-sm font-medium text-slate-800">Assignees</legend>
        <div className="mt-1 grid gap-1 sm:grid-cols-2">
          {members.map((m) => (
            <label key={m.id} className="flex items-center gap-2 text-sm">
              <input
                type="checkbox"
                name="assigneeIds"
                value={m.id}
                defaultChecked={incident.assigneeIds.includes(m.id)}
                className="rounded border-slate-300"
              />
              {m.name}
            </label>
          ))}
        </div>
      </fieldset>
      <SubmitButton name="intent" value="assign">
        Save ownership
      </SubmitButton>
    </Form>
  )
}
