import {
  getCollectionProps,
  getFormProps,
  getSelectProps,
  useForm,
  type FieldMetadata,
  type SubmissionResult,
} from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { Form } from '@remix-run/react'
import { FormError } from '~/components/form-error'
import { ErrorList, SubmitButton } from '~/components/forms'
import { PERIODS, PERIOD_LABELS } from '~/domain/analytics/filters'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import { reportRequestSchema, type ReportFormDefaults } from '~/domain/report/report-form'

type Choice = { id: string; name: string }

const input =
  'mt-1 block w-full rounded-md border-slate-300 text-sm aria-[invalid=true]:border-red-600'

/**
 * The form's state, from the action's last reply and the defaults. Called by the page itself, so
 * the ids conform derives from the page's place in the tree stay the same.
 */
export function useReportRequestForm(
  lastResult: SubmissionResult<string[]> | undefined,
  defaults: ReportFormDefaults,
) {
  return useForm({
    lastResult,
    constraint: getZodConstraint(reportRequestSchema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: reportRequestSchema }),
    defaultValue: defaults,
  })
}

type ReportRequestFormState = ReturnType<typeof useReportRequestForm>

/** "New PDF report": the dashboard's filters as a form, checked in the browser and again on the server. */
export function ReportRequestForm({
  form,
  fields,
  services,
  types,
  members,
}: {
  form: ReportRequestFormState[0]
  fields: ReportRequestFormState[1]
  services: Choice[]
  types: Choice[]
  members: Choice[]
}) {
  return (
    <Form
      method="post"
      {...getFormProps(form)}
      className="rounded-lg border border-slate-200 bg-white p-4"
    >
      <FormError id={form.errorId} errors={form.errors} />
      <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
        <div className="space-y-2 text-sm">
          <div>
            <label htmlFor={fields.period.id} className="block font-medium text-slate-800">
              Period
            </label>
            <select {...getSelectProps(fields.period)} className={input}>
              {PERIODS.map((p) => (
                <option key={p} value={p}>
                  {PERIOD_LABELS[p]}
                </option>
              ))}
            </select>
          </div>
          <ErrorList id={fields.period.errorId} errors={fields.period.errors} />
          <div className="grid grid-cols-2 gap-2">
            <DateField label="From" field={fields.from} />
            <DateField label="To" field={fields.to} />
          </div>
          <p className="text-xs text-slate-500">From and To apply to “Custom dates”.</p>
        </div>
        <fieldset>
          <legend className="text-sm font-medium text-slate-800">Severity</legend>
          <div className="mt-1 grid grid-cols-2 gap-1 text-sm">
            {getCollectionProps(fields.severity, {
              type: 'checkbox',
              options: [...SEVERITIES],
            }).map(({ key, ...props }) => (
              <label key={key} className="flex items-center gap-2">
                <input {...props} className="rounded border-slate-300" />
                {props.value}
              </label>
            ))}
          </div>
          <p className="mt-1 text-xs text-slate-500">None ticked: every severity.</p>
        </fieldset>
        <div className="space-y-2 text-sm">
          <ChoiceField
            label="Service"
            anyLabel="Any service"
            field={fields.service}
            options={services}
          />
          <ChoiceField
            label="Incident type"
            anyLabel="Any type"
            field={fields.type}
            options={types}
          />
        </div>
        <div className="space-y-2 text-sm">
          <ChoiceField
            label="Commander"
            anyLabel="Anyone"
            field={fields.commander}
            options={members}
          />
          <div>
            <label htmlFor={fields.bucket.id} className="block font-medium text-slate-800">
              Buckets
            </label>
            <select {...getSelectProps(fields.bucket)} className={input}>
              <option value="">Automatic</option>
              <option value="day">Days</option>
              <option value="week">Weeks</option>
            </select>
          </div>
        </div>
      </div>
      <div className="mt-4">
        <SubmitButton pendingLabel="Requesting…">Generate PDF report</SubmitButton>
      </div>
    </Form>
  )
}

function DateField({ label, field }: { label: string; field: FieldMetadata<string | undefined> }) {
  return (
    <div>
      <label className="block">
        <span className="font-medium text-slate-800">{label}</span>
        <input
          type="date"
          name={field.name}
          id={field.id}
          defaultValue={field.initialValue}
          aria-invalid={!field.valid || undefined}
          aria-describedby={field.valid ? undefined : field.errorId}
          className={input}
        />
      </label>
      <ErrorList id={field.errorId} errors={field.errors} />
    </div>
  )
}

/** A catalog entry or member to narrow the report to, or the "any" first choice (empty value). */
function ChoiceField({
  label,
  anyLabel,
  field,
  options,
}: {
  label: string
  anyLabel: string
  field: FieldMetadata<string | undefined>
  options: Choice[]
}) {
  return (
    <div>
      <label htmlFor={field.id} className="block font-medium text-slate-800">
        {label}
      </label>
      <select {...getSelectProps(field)} className={input}>
        <option value="">{anyLabel}</option>
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </select>
    </div>
  )
}
