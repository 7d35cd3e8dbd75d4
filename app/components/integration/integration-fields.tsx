import { getInputProps, getSelectProps, type FieldMetadata } from '@conform-to/react'
import * as z from '~/utils/zod'
import { SEVERITIES, SEVERITY_DESCRIPTIONS } from '~/domain/incident/vocabulary'
import {
  ALERT_SOURCE_OPTION_LABELS,
  ALERT_SOURCES,
  INTEGRATION_NAME_MAX,
  RATE_LIMIT_MAX,
  SIGNING_SECRET_MAX,
} from '~/domain/alerts/vocabulary'
import { ErrorList, Field, SelectField } from '~/components/forms'

const rateError = `Enter a whole number from 1 to ${RATE_LIMIT_MAX}`

/** What adding and editing an integration both ask for; each form adds its own fields. */
export const integrationFieldsSchema = z.object({
  name: z
    .string({ error: 'Give the integration a name' })
    .trim()
    .min(1, 'Give the integration a name')
    .max(INTEGRATION_NAME_MAX, `Use at most ${INTEGRATION_NAME_MAX} characters`),
  serviceId: z.string({ error: 'Choose a service' }).min(1, 'Choose a service'),
  defaultSeverity: z.enum(SEVERITIES, { error: 'Choose a severity' }),
  mitigateOnResolve: z.boolean().default(false),
  signingSecret: z
    .string()
    .trim()
    .max(SIGNING_SECRET_MAX, `Use at most ${SIGNING_SECRET_MAX} characters`)
    .optional(),
  rateLimitPerMinute: z
    .number({ error: rateError })
    .int(rateError)
    .min(1, rateError)
    .max(RATE_LIMIT_MAX, rateError),
})

/** The add form: the source too. */
export const createIntegrationSchema = integrationFieldsSchema.extend({
  intent: z.literal('create'),
  kind: z.enum(ALERT_SOURCES, { error: 'Choose a source' }),
})

interface Fields {
  name: FieldMetadata<string>
  serviceId: FieldMetadata<string>
  defaultSeverity: FieldMetadata<string>
  mitigateOnResolve: FieldMetadata<boolean | undefined>
  signingSecret: FieldMetadata<string | undefined>
  rateLimitPerMinute: FieldMetadata<number>
  kind?: FieldMetadata<string>
}

export function IntegrationFields({
  fields,
  services,
  secretHint,
  showSecret = true,
}: {
  fields: Fields
  services: Array<{ id: string; name: string }>
  secretHint: string
  /** The edit form of a source that does not sign its requests has no secret to ask for. */
  showSecret?: boolean
}) {
  const mitigateHintId = `${fields.mitigateOnResolve.id}-hint`
  const mitigateErrorId = `${fields.mitigateOnResolve.id}-error`
  return (
    <>
      <Field
        label="Name"
        hint="E.g. “Prometheus production”."
        errors={fields.name.errors}
        autoComplete="off"
        {...getInputProps(fields.name, { type: 'text' })}
      />
      <SelectField
        label="Service"
        hint="Incidents this integration declares belong to this service."
        errors={fields.serviceId.errors}
        options={[
          { value: '', label: 'Choose a service' },
          ...services.map((s) => ({ value: s.id, label: s.name })),
        ]}
        {...getSelectProps(fields.serviceId)}
      />
      {fields.kind ? (
        <SelectField
          label="Source"
          hint="Decides the webhook URL and the payload format; it cannot change later."
          errors={fields.kind.errors}
          options={ALERT_SOURCES.map((value) => ({
            value,
            label: ALERT_SOURCE_OPTION_LABELS[value],
          }))}
          {...getSelectProps(fields.kind)}
        />
      ) : null}
      <SelectField
        label="Default severity"
        hint="For alerts that name no severity (e.g. no severity label)."
        errors={fields.defaultSeverity.errors}
        options={SEVERITIES.map((s) => ({ value: s, label: `${s} — ${SEVERITY_DESCRIPTIONS[s]}` }))}
        {...getSelectProps(fields.defaultSeverity)}
      />
      <div className="mb-4">
        <label className="flex items-center gap-2 text-sm font-medium text-slate-800">
          <input
            {...getInputProps(fields.mitigateOnResolve, { type: 'checkbox' })}
            aria-describedby={
              fields.mitigateOnResolve.errors
                ? `${mitigateHintId} ${mitigateErrorId}`
                : mitigateHintId
            }
            className="rounded border-slate-300"
          />
          Mark mitigated when the alert resolves
        </label>
        <p id={mitigateHintId} className="mt-1 text-xs text-slate-500">
          An investigating incident moves to Mitigated when its alert resolves. Incidents nobody has
          acknowledged stay Detected.
        </p>
        <ErrorList id={mitigateErrorId} errors={fields.mitigateOnResolve.errors} />
      </div>
      {showSecret ? (
        <Field
          label="PagerDuty signing secret"
          hint={secretHint}
          errors={fields.signingSecret.errors}
          autoComplete="off"
          spellCheck={false}
          {...getInputProps(fields.signingSecret, { type: 'password' })}
        />
      ) : null}
      <Field
        label="Requests per minute"
        hint="More requests than this in one minute are refused with 429 and Retry-After."
        errors={fields.rateLimitPerMinute.errors}
        inputMode="numeric"
        {...getInputProps(fields.rateLimitPerMinute, { type: 'number' })}
      />
    </>
  )
}
