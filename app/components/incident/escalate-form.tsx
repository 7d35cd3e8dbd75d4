import { Form } from '@remix-run/react'
import { FormError } from '~/components/form-error'
import { VersionField } from '~/components/live/version-field'
import { Field, SelectField, SubmitButton } from '~/components/forms'
import type { Severity } from '~/domain/incident/vocabulary'
import type { FormResult } from './form-result'
import { severityOptions } from './severity-form'

/** "Force-escalate": only to a higher severity, with a reason, optionally taking command. */
export function EscalateForm({
  version,
  higher,
  takeCommandByDefault,
  result,
}: {
  version: number
  /** The severities above the current one. */
  higher: readonly Severity[]
  takeCommandByDefault: boolean
  result: FormResult
}) {
  return (
    <Form
      method="post"
      aria-label="Force-escalate"
      className="rounded-lg border border-red-200 bg-white p-4"
    >
      <h2 className="mb-3 text-lg font-semibold">Force-escalate</h2>
      <VersionField version={version} />
      {result?.formErrors && !result.conflict ? <FormError errors={result.formErrors} /> : null}
      <SelectField
        label="Escalate to"
        name="severity"
        options={severityOptions.filter((o) => higher.includes(o.value))}
        defaultValue={result?.value('severity')}
        errors={result?.fieldErrors('severity')}
      />
      <Field
        label="Escalation reason"
        name="reason"
        required
        maxLength={1000}
        defaultValue={result?.value('reason')}
        errors={result?.fieldErrors('reason')}
      />
      <label className="mb-4 flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          name="takeCommand"
          defaultChecked={takeCommandByDefault}
          className="rounded border-slate-300"
        />
        Take command
      </label>
      <SubmitButton name="intent" value="escalate" variant="danger">
        Force-escalate
      </SubmitButton>
    </Form>
  )
}
