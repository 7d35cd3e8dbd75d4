import { useId } from 'react'
import { ErrorList, Field, SelectField } from '~/components/forms'
import type { CustomFieldInputView } from '~/domain/custom-fields/custom-field-values'

/** Errors and echoed values of a refused form, as the custom field inputs read them. */
export interface CustomFieldEcho {
  errors: (name: string) => string[] | null | undefined
  /** What the form posted under `customFields.<key>`, if it was refused. */
  value: (key: string) => string | string[] | undefined
}

/** The echo of a conform reply: errors by name, values nested under `customFields`. */
export function customFieldEcho(
  result: { error?: Record<string, string[] | null> | null; initialValue?: unknown } | null,
): CustomFieldEcho | null {
  if (!result) return null
  const posted = (result.initialValue as { customFields?: Record<string, unknown> } | undefined)
    ?.customFields
  return {
    errors: (name) => result.error?.[name] ?? null,
    value: (key) => {
      const v = posted?.[key]
      if (typeof v === 'string') return v
      if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string')
      // A refused form that posted nothing for a multiple choice ticked none.
      return posted ? '' : undefined
    },
  }
}

const requiredMark = (required: boolean) =>
  required ? <span className="text-red-700"> (required)</span> : null

/**
 * One input per custom field, named `customFields.<key>`. Required fields are marked in words and
 * with `aria-required`, not with the `required` attribute: the server names what is missing, so a
 * form that needs several fields says so for all of them at once.
 */
export function CustomFieldInputs({
  fields,
  members,
  echo,
}: {
  fields: readonly CustomFieldInputView[]
  members: ReadonlyArray<{ id: string; name: string }>
  echo: CustomFieldEcho | null
}) {
  return (
    <>
      {fields.map((field) => (
        <CustomFieldInput key={field.key} field={field} members={members} echo={echo} />
      ))}
    </>
  )
}

function CustomFieldInput({
  field,
  members,
  echo,
}: {
  field: CustomFieldInputView
  members: ReadonlyArray<{ id: string; name: string }>
  echo: CustomFieldEcho | null
}) {
  const name = `customFields.${field.key}`
  const errors = echo?.errors(name) ?? undefined
  const posted = echo?.value(field.key)
  const value = posted ?? field.value
  const single = Array.isArray(value) ? (value[0] ?? '') : value
  const label = (
    <>
      {field.label}
      {requiredMark(field.required)}
    </>
  )
  const hint = field.helpText || undefined
  const common = { 'aria-required': field.required || undefined }
  switch (field.kind) {
    case 'text':
      return (
        <Field
          label={label}
          hint={hint}
          name={name}
          maxLength={1000}
          defaultValue={single}
          errors={errors}
          {...common}
        />
      )
    case 'number':
      return (
        <Field
          label={label}
          hint={hint}
          name={name}
          inputMode="decimal"
          defaultValue={single}
          errors={errors}
          {...common}
        />
      )
    case 'date':
      return (
        <Field
          label={label}
          hint={hint}
          name={name}
          type="date"
          defaultValue={single}
          errors={errors}
          {...common}
        />
      )
    case 'single_choice':
      return (
        <SelectField
          label={label}
          hint={hint}
          name={name}
          options={[
            { value: '', label: 'Not set' },
            ...field.options.map((o) => ({ value: o.id, label: o.label })),
          ]}
          defaultValue={single}
          errors={errors}
          {...common}
        />
      )
    case 'member': {
      const known = members.some((m) => m.id === single)
      return (
        <SelectField
          label={label}
          hint={hint}
          name={name}
          options={[
            { value: '', label: 'Nobody' },
            ...(single && !known ? [{ value: single, label: 'Former member' }] : []),
            ...members.map((m) => ({ value: m.id, label: m.name })),
          ]}
          defaultValue={single}
          errors={errors}
          {...common}
        />
      )
    }
    case 'multi_choice':
      return (
        <MultiChoice
          field={field}
          name={name}
          checked={Array.isArray(value) ? value : value ? [value] : []}
          errors={errors}
        />
      )
  }
}

function MultiChoice({
  field,
  name,
  checked,
  errors,
}: {
  field: CustomFieldInputView
  name: string
  checked: string[]
  errors: string[] | undefined
}) {
  const id = useId()
  const errorId = `${id}-error`
  const hintId = `${id}-hint`
  const describedBy =
    [field.helpText ? hintId : null, errors?.length ? errorId : null].filter(Boolean).join(' ') ||
    undefined
  return (
    <fieldset
      className="mb-4"
      aria-describedby={describedBy}
      aria-invalid={errors?.length ? true : undefined}
    >
      <legend className="block text-sm font-medium text-slate-800">
        {field.label}
        {requiredMark(field.required)}
      </legend>
      {/* Posted even when nothing is ticked, so "none" reaches the server. */}
      <input type="hidden" name={name} value="" />
      <div className="mt-1 flex flex-wrap gap-x-4 gap-y-1">
        {field.options.map((o) => (
          <label key={o.id} className="flex items-center gap-2 text-sm">
            <input
              type="checkbox"
              name={name}
              value={o.id}
              defaultChecked={checked.includes(o.id)}
              className="rounded border-slate-300"
            />
            {o.label}
          </label>
        ))}
      </div>
      {field.helpText ? (
        <p id={hintId} className="mt-1 text-xs text-slate-500">
          {field.helpText}
        </p>
      ) : null}
      <ErrorList id={errorId} errors={errors} />
    </fieldset>
  )
}
