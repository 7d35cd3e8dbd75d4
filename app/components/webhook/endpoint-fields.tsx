import { getCollectionProps, getInputProps, type FieldMetadata } from '@conform-to/react'
import * as z from '~/utils/zod'
import { WEBHOOK_EVENT_TYPES } from '~/domain/notify/kinds'
import { ErrorList, Field } from '~/components/forms'

/** What adding and editing a webhook endpoint both ask for; each form adds its own `intent`. */
export const endpointFieldsSchema = z.object({
  url: z
    .string({ error: 'Enter the endpoint URL' })
    .trim()
    .min(1, 'Enter the endpoint URL')
    .max(2000, 'Use at most 2000 characters'),
  description: z.string().trim().max(300, 'Use at most 300 characters').optional().default(''),
  eventTypes: z
    .array(z.enum(WEBHOOK_EVENT_TYPES), { error: 'Choose at least one event type' })
    .min(1, 'Choose at least one event type'),
})

export function EndpointFields({
  fields,
  urlHint,
}: {
  fields: {
    url: FieldMetadata<string>
    description: FieldMetadata<string | undefined>
    eventTypes: FieldMetadata<string[]>
  }
  urlHint?: string
}) {
  const eventTypeErrorId = `${fields.eventTypes.id}-error`
  return (
    <>
      <Field
        label="Endpoint URL"
        {...(urlHint ? { hint: urlHint } : {})}
        errors={fields.url.errors}
        autoComplete="off"
        {...getInputProps(fields.url, { type: 'url' })}
      />
      <Field
        label="Description"
        errors={fields.description.errors}
        {...getInputProps(fields.description, { type: 'text' })}
      />
      <fieldset
        className="mb-4"
        aria-invalid={fields.eventTypes.errors ? true : undefined}
        aria-describedby={fields.eventTypes.errors ? eventTypeErrorId : undefined}
      >
        <legend className="text-sm font-medium text-slate-800">Event types</legend>
        <div className="mt-2 grid gap-1 sm:grid-cols-2">
          {getCollectionProps(fields.eventTypes, {
            type: 'checkbox',
            options: [...WEBHOOK_EVENT_TYPES],
          }).map(({ key, ...props }) => (
            <label key={key} className="flex items-center gap-2 text-sm">
              <input {...props} className="rounded border-slate-300" />
              <code>{props.value}</code>
            </label>
          ))}
        </div>
        <ErrorList id={eventTypeErrorId} errors={fields.eventTypes.errors} />
      </fieldset>
    </>
  )
}
