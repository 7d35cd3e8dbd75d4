import type { SubmissionResult } from '@conform-to/react'
import { Form } from '@remix-run/react'
import { FormError } from '~/components/form-error'
import { Field, SelectField, SubmitButton, TextareaField } from '~/components/forms'
import { secondaryButtonClass } from '~/components/settings-page'
import {
  CUSTOM_FIELD_KIND_LABELS,
  isChoiceKind,
  requiredFromText,
  type CustomFieldDefinition,
} from '~/domain/custom-fields/custom-field-values'
import { INCIDENT_STATUSES, STATUS_LABELS } from '~/domain/incident/vocabulary'

/** What the admin page's action answers a refused form with. */
export interface FieldFormReply {
  result: SubmissionResult<string[]>
  conflict: boolean
}

export const REQUIRED_FROM_OPTIONS = [
  { value: '', label: 'Optional' },
  ...INCIDENT_STATUSES.map((s) => ({ value: s, label: `Required from ${STATUS_LABELS[s]} on` })),
]

export function echoOf(result: SubmissionResult<string[]> | null | undefined) {
  const initial = result?.initialValue as Record<string, unknown> | undefined
  return {
    formErrors: result?.error?.[''] ?? null,
    errors: (name: string) => result?.error?.[name] ?? undefined,
    value: (name: string) => {
      const v = initial?.[name]
      return typeof v === 'string' ? v : undefined
    },
    nested: (name: string, key: string) => {
      const v = (initial?.[name] as Record<string, unknown> | undefined)?.[key]
      return typeof v === 'string' ? v : undefined
    },
  }
}

type Field = Omit<CustomFieldDefinition, 'options'> & {
  options: CustomFieldDefinition['options']
}

/** One active field: its settings form, and buttons to move and archive it. */
export function CustomFieldEditor({
  field,
  first,
  last,
  result,
  buttonResult,
}: {
  field: Field
  first: boolean
  last: boolean
  result: FieldFormReply | null
  buttonResult: FieldFormReply | null
}) {
  const echo = echoOf(result?.result)
  const buttonErrors = buttonResult && !buttonResult.conflict ? echoOf(buttonResult.result) : null
  return (
    <article
      aria-label={field.label}
      className="rounded-lg border border-slate-200 bg-white p-4"
      data-field-key={field.key}
    >
      <header className="flex flex-wrap items-baseline justify-between gap-2">
        <h3 className="font-semibold">
          {field.label}{' '}
          <span className="text-sm font-normal text-slate-500">
            {CUSTOM_FIELD_KIND_LABELS[field.kind]} · key <code>{field.key}</code> ·{' '}
            {requiredFromText(field.requiredFromStatus)}
          </span>
        </h3>
        <div className="flex flex-wrap gap-2">
          {first ? null : (
            <IntentButton field={field} intent="up">
              {`Move ${field.label} up`}
            </IntentButton>
          )}
          {last ? null : (
            <IntentButton field={field} intent="down">
              {`Move ${field.label} down`}
            </IntentButton>
          )}
          <IntentButton field={field} intent="archive">
            {`Archive ${field.label}`}
          </IntentButton>
        </div>
      </header>
      {buttonErrors ? <FormError errors={buttonErrors.formErrors} /> : null}
      <details className="mt-3" open={Boolean(result)}>
        <summary className="cursor-pointer text-sm font-medium">Change {field.label}</summary>
        <Form method="post" aria-label={`Change ${field.label}`} className="mt-3">
          <input type="hidden" name="id" value={field.id} />
          <input type="hidden" name="version" value={field.version} />
          {result && !result.conflict ? <FormError errors={echo.formErrors} /> : null}
          <Field
            label="Label"
            name="label"
            required
            maxLength={80}
            defaultValue={echo.value('label') ?? field.label}
            errors={echo.errors('label')}
          />
          <Field
            label="Help text"
            name="helpText"
            maxLength={300}
            defaultValue={echo.value('helpText') ?? field.helpText}
            errors={echo.errors('helpText')}
          />
          <SelectField
            label="Required from status"
            name="requiredFromStatus"
            options={REQUIRED_FROM_OPTIONS}
            defaultValue={echo.value('requiredFromStatus') ?? field.requiredFromStatus ?? ''}
            errors={echo.errors('requiredFromStatus')}
          />
          {isChoiceKind(field.kind) ? (
            <fieldset className="mb-4">
              <legend className="text-sm font-medium text-slate-800">Options</legend>
              <p className="text-xs text-slate-500">
                Renaming an option relabels every value that holds it. A retired option is no longer
                offered; incidents that hold it keep showing it.
              </p>
              <ul className="mt-2 space-y-2">
                {field.options.map((o) => (
                  <li key={o.id} className="flex flex-wrap items-end gap-3">
                    <Field
                      label={`Option ${o.id}`}
                      name={`optionLabel.${o.id}`}
                      maxLength={80}
                      className="mb-0"
                      defaultValue={echo.nested('optionLabel', o.id) ?? o.label}
                      errors={echo.errors(`optionLabel.${o.id}`)}
                    />
                    <label className="flex items-center gap-2 pb-2 text-sm">
                      <input
                        type="checkbox"
                        name="retire"
                        value={o.id}
                        defaultChecked={o.retired}
                        className="rounded border-slate-300"
                      />
                      Retire {o.label}
                    </label>
                  </li>
                ))}
              </ul>
              <ErrorLine errors={echo.errors('options')} />
              <TextareaField
                label="New options"
                hint="One per line, added at the end."
                name="newOptions"
                rows={2}
                className="mt-3"
                defaultValue={echo.value('newOptions')}
                errors={echo.errors('newOptions')}
              />
            </fieldset>
          ) : null}
          <SubmitButton name="intent" value="update" variant="secondary">
            Save {field.label}
          </SubmitButton>
        </Form>
      </details>
    </article>
  )
}

function ErrorLine({ errors }: { errors: string[] | undefined }) {
  if (!errors?.length) return null
  return <p className="mt-1 text-sm text-red-700">{errors.join(' ')}</p>
}

function IntentButton({
  field,
  intent,
  children,
}: {
  field: Pick<Field, 'id' | 'version'>
  intent: 'up' | 'down' | 'archive' | 'restore'
  children: string
}) {
  return (
    <Form method="post">
      <input type="hidden" name="id" value={field.id} />
      <input type="hidden" name="version" value={field.version} />
      <button type="submit" name="intent" value={intent} className={secondaryButtonClass}>
        {children}
      </button>
    </Form>
  )
}

/** An archived field: what it was, and a button to restore it. */
export function ArchivedCustomField({
  field,
  result,
}: {
  field: Field
  result: FieldFormReply | null
}) {
  const echo = result && !result.conflict ? echoOf(result.result) : null
  return (
    <li className="flex flex-wrap items-center justify-between gap-2 p-3 text-sm">
      <span>
        <span className="font-medium">{field.label}</span>{' '}
        <span className="text-slate-500">
          {CUSTOM_FIELD_KIND_LABELS[field.kind]} · key <code>{field.key}</code>
        </span>
        {echo ? <ErrorLine errors={echo.formErrors ?? undefined} /> : null}
      </span>
      <IntentButton field={field} intent="restore">
        {`Restore ${field.label}`}
      </IntentButton>
    </li>
  )
}
