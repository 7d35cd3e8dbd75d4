import { Form } from '@remix-run/react'
import { CustomFieldInputs, customFieldEcho } from '~/components/custom-fields/custom-field-inputs'
import { FormError } from '~/components/form-error'
import { VersionField } from '~/components/live/version-field'
import { Field, SubmitButton } from '~/components/forms'
import type { IncidentPageView } from '~/domain/incident/incident-page.server'
import { resultFor, type IncidentActionData } from './form-result'

/**
 * One form per lifecycle step the viewer may take next ("Start investigating", "Reopen" …). A step
 * to a status that requires custom fields still empty offers them in its form.
 */
export function NextSteps({
  steps,
  version,
  actionData,
  customFieldMembers = [],
}: {
  steps: IncidentPageView['nextSteps']
  version: number
  actionData: IncidentActionData | undefined
  customFieldMembers?: ReadonlyArray<{ id: string; name: string }>
}) {
  return (
    <section
      aria-labelledby="steps-heading"
      className="rounded-lg border border-slate-200 bg-white p-4"
      data-no-print
    >
      <h2 id="steps-heading" className="text-sm font-semibold text-slate-500">
        Next step
      </h2>
      <div className="mt-3 flex flex-wrap items-start gap-3">
        {steps.map((step) => {
          const result = resultFor(actionData, 'transition', step.action)
          return (
            <Form
              method="post"
              key={step.action}
              aria-label={step.label}
              className="flex flex-wrap items-end gap-2"
            >
              <input type="hidden" name="intent" value="transition" />
              <input type="hidden" name="action" value={step.action} />
              <VersionField version={version} />
              {result?.formErrors && !result.conflict ? (
                <FormError errors={result.formErrors} />
              ) : null}
              {step.requiresReason ? (
                <Field
                  label="Reason"
                  name="reason"
                  required
                  maxLength={1000}
                  className="mb-0"
                  defaultValue={result?.value('reason')}
                  errors={result?.fieldErrors('reason')}
                />
              ) : null}
              {step.fields.length > 0 ? (
                <div className="w-full">
                  <CustomFieldInputs
                    fields={step.fields}
                    members={customFieldMembers}
                    echo={result && actionData ? customFieldEcho(actionData.result) : null}
                  />
                </div>
              ) : null}
              <SubmitButton variant={step.action === 'reopen' ? 'secondary' : 'primary'}>
                {step.label}
              </SubmitButton>
            </Form>
          )
        })}
      </div>
    </section>
  )
}
