import type { SubmissionResult } from '@conform-to/react'
import { Form } from '@remix-run/react'
import { FormError } from '~/components/form-error'
import { Field, SelectField, SubmitButton, TextareaField } from '~/components/forms'
import {
  CUSTOM_FIELD_KINDS,
  CUSTOM_FIELD_KIND_LABELS,
} from '~/domain/custom-fields/custom-field-values'
import { REQUIRED_FROM_OPTIONS, echoOf } from './custom-field-editor'

/** "Add field": label, optional key, kind, help text, options of a choice, requirement. */
export function CustomFieldAddForm({ result }: { result: SubmissionResult<string[]> | null }) {
  const echo = echoOf(result)
  return (
    <section
      aria-labelledby="add-field-heading"
      className="rounded-lg border border-slate-200 bg-white p-6"
    >
      <h2 id="add-field-heading" className="text-lg font-semibold">
        Add a field
      </h2>
      <Form method="post" aria-label="Add field" className="mt-3 grid gap-x-4 sm:grid-cols-2">
        <div className="sm:col-span-2">
          <FormError errors={echo.formErrors} />
        </div>
        <Field
          label="Label"
          name="label"
          required
          maxLength={80}
          defaultValue={echo.value('label')}
          errors={echo.errors('label')}
        />
        <Field
          label="Key"
          hint="Used by the API and exports; made from the label when left empty. It cannot change later."
          name="key"
          maxLength={40}
          pattern="[a-z][a-z0-9_]*"
          defaultValue={echo.value('key')}
          errors={echo.errors('key')}
        />
        <SelectField
          label="Kind"
          name="kind"
          options={CUSTOM_FIELD_KINDS.map((k) => ({
            value: k,
            label: CUSTOM_FIELD_KIND_LABELS[k],
          }))}
          defaultValue={echo.value('kind') ?? 'text'}
          errors={echo.errors('kind')}
        />
        <SelectField
          label="Required from status"
          name="requiredFromStatus"
          options={REQUIRED_FROM_OPTIONS}
          defaultValue={echo.value('requiredFromStatus') ?? ''}
          errors={echo.errors('requiredFromStatus')}
        />
        <Field
          label="Help text"
          name="helpText"
          maxLength={300}
          className="mb-4 sm:col-span-2"
          defaultValue={echo.value('helpText')}
          errors={echo.errors('helpText')}
        />
        <TextareaField
          label="Options"
          hint="For single and multiple choice fields: one option per line."
          name="options"
          rows={4}
          className="mb-4 sm:col-span-2"
          defaultValue={echo.value('options')}
          errors={echo.errors('options')}
        />
        <div>
          <SubmitButton name="intent" value="add">
            Add field
          </SubmitButton>
        </div>
      </Form>
    </section>
  )
}
