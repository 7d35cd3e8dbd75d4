import { Form } from '@remix-run/react'
import { FormError } from '~/components/form-error'
import { VersionField } from '~/components/live/version-field'
import { Field, SelectField, SubmitButton, TextareaField } from '~/components/forms'
import type { IncidentPageView } from '~/domain/incident/incident-page.server'
import { COMMENT_MAX } from '~/domain/incident/vocabulary'
import type { FormResult } from './form-result'

/** "Edit details": title, service, incident type, summary and impact start, behind a disclosure. */
export function EditDetailsForm({
  incident,
  services,
  types,
  result,
}: {
  incident: IncidentPageView['incident']
  services: IncidentPageView['services']
  types: IncidentPageView['types']
  result: FormResult
}) {
  return (
    <details className="rounded-lg border border-slate-200 bg-white p-4" open={Boolean(result)}>
      <summary className="cursor-pointer text-lg font-semibold">Edit details</summary>
      <Form method="post" aria-label="Edit details" className="mt-3">
        <VersionField version={incident.version} />
        {result?.formErrors && !result.conflict ? <FormError errors={result.formErrors} /> : null}
        <Field
          label="Title"
          name="title"
          required
          minLength={3}
          maxLength={200}
          defaultValue={result?.value('title') ?? incident.title}
          errors={result?.fieldErrors('title')}
        />
        <div>
          <SelectField
            label="Service"
            name="serviceId"
            options={[
              { value: '', label: 'Not set' },
              ...services.map((x) => ({ value: x.id, label: x.name })),
            ]}
            defaultValue={result?.value('serviceId') ?? incident.serviceId ?? ''}
            errors={result?.fieldErrors('serviceId')}
          />
          <SelectField
            label="Incident type"
            name="incidentTypeId"
            options={[
              { value: '', label: 'Not set' },
              ...types.map((x) => ({ value: x.id, label: x.name })),
            ]}
            defaultValue={result?.value('incidentTypeId') ?? incident.incidentTypeId ?? ''}
            errors={result?.fieldErrors('incidentTypeId')}
          />
        </div>
        <TextareaField
          label="Summary"
          name="summary"
          maxLength={COMMENT_MAX}
          defaultValue={result?.value('summary') ?? incident.summary}
          errors={result?.fieldErrors('summary')}
        />
        <Field
          label="Impact started at"
          name="impactStartedAt"
          type="datetime-local"
          defaultValue={result?.value('impactStartedAt') ?? incident.impactStartedAtLocal}
          errors={result?.fieldErrors('impactStartedAt')}
        />
        <SubmitButton name="intent" value="edit" variant="secondary">
          Save details
        </SubmitButton>
      </Form>
    </details>
  )
}
