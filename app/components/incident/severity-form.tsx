import { Form } from '@remix-run/react'
import { FormError } from '~/components/form-error'
import { VersionField } from '~/components/live/version-field'
import { Field, SelectField, SubmitButton } from '~/components/forms'
import { SEVERITIES, SEVERITY_DESCRIPTIONS } from '~/domain/incident/vocabulary'
import type { FormResult } from './form-result'

export const severityOptions = SEVERITIES.map((s) => ({
  value: s,
  label: `${s} — ${SEVERITY_DESCRIPTIONS[s]}`,
}))

/** "Change severity": any severity, with a reason. */
export function SeverityForm({
  version,
  severity,
  result,
}: {
  version: number
  severity: string
  result: FormResult
}) {
  return (
    <Form
      method="post"
      aria-label="Change severity"
      className="rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 className="mb-3 text-lg font-semibold">Change severity</h2>
      <VersionField version={version} />
      {result?.formErrors && !result.conflict ? <FormError errors={result.formErrors} /> : null}
      <SelectField
        label="Severity"
        name="severity"
        options={severityOptions}
        defaultValue={result?.value('severity') ?? severity}
        errors={result?.fieldErrors('severity')}
      />
      <Field
        label="Reason"
        name="reason"
        required
        maxLength={1000}
        defaultValue={result?.value('reason')}
        errors={result?.fieldErrors('reason')}
      />
      <SubmitButton name="intent" value="severity">
        Change severity
      </SubmitButton>
    </Form>
  )
}
