import { Form } from '@remix-run/react'
import { CustomFieldInputs, customFieldEcho } from '~/components/custom-fields/custom-field-inputs'
import { FormError } from '~/components/form-error'
import { SubmitButton } from '~/components/forms'
import { VersionField } from '~/components/live/version-field'
import type { IncidentPageView } from '~/domain/incident/incident-page.server'
import type { IncidentActionData } from './form-result'

/**
 * The incident's custom fields: each value in words, and "Edit fields" for those who may work the
 * incident while it is open. Archived fields that still hold a value are listed as archived.
 */
export function CustomFieldsSection({
  customFields,
  version,
  canEdit,
  actionData,
}: {
  customFields: IncidentPageView['customFields']
  version: number
  canEdit: boolean
  actionData: IncidentActionData | undefined
}) {
  if (customFields.shown.length === 0) return null
  const refused = actionData?.intent === 'custom-fields' ? actionData : null
  const echo = refused ? customFieldEcho(refused.result) : null
  const formErrors = refused && !refused.conflict ? (refused.result.error?.[''] ?? null) : null
  return (
    <section
      aria-labelledby="custom-fields-heading"
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 id="custom-fields-heading" className="text-sm font-semibold text-slate-500">
        Fields
      </h2>
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
        {customFields.shown.map((f) => (
          <div key={f.key} className="contents" data-custom-field={f.key}>
            <dt className="text-slate-500">{f.label}</dt>
            <dd className="break-words">
              {f.text ?? (f.required ? 'Not set (required)' : 'Not set')}
            </dd>
          </div>
        ))}
      </dl>
      {canEdit && customFields.inputs.length > 0 ? (
        <details open={Boolean(refused)} data-no-print>
          <summary className="cursor-pointer text-sm font-medium">Edit fields</summary>
          <Form method="post" aria-label="Edit fields" className="mt-3">
            <VersionField version={version} />
            <FormError errors={formErrors} />
            <CustomFieldInputs
              fields={customFields.inputs}
              members={customFields.members}
              echo={echo}
            />
            <SubmitButton name="intent" value="custom-fields" variant="secondary">
              Save fields
            </SubmitButton>
          </Form>
        </details>
      ) : null}
    </section>
  )
}
