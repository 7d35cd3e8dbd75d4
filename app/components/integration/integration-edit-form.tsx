import { getFormProps, useForm, type SubmissionResult } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { Form } from '@remix-run/react'
import * as z from '~/utils/zod'
import { Card } from '~/components/card'
import { FormError } from '~/components/form-error'
import { SubmitButton } from '~/components/forms'
import type { IntegrationPage } from '~/domain/alerts/integration-page.server'
import { IntegrationFields, integrationFieldsSchema } from './integration-fields'

/** The integration page's edit form, with the version it was rendered from. */
export const integrationEditSchema = integrationFieldsSchema.extend({
  intent: z.literal('save'),
  version: z.string().max(40),
})

/**
 * The edit form's state, from the integration as stored and the last answer to a save. Called by
 * the page itself, so the form's generated ids stay those of the page.
 */
export function useIntegrationEditForm(
  integration: IntegrationPage['integration'],
  lastResult: SubmissionResult<string[]> | null | undefined,
) {
  return useForm({
    lastResult,
    constraint: getZodConstraint(integrationEditSchema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: integrationEditSchema }),
    defaultValue: {
      name: integration.name,
      serviceId: integration.service?.id ?? '',
      defaultSeverity: integration.defaultSeverity,
      mitigateOnResolve: integration.mitigateOnResolve ? 'on' : undefined,
      rateLimitPerMinute: String(integration.rateLimitPerMinute),
    },
  })
}

type IntegrationEditState = ReturnType<typeof useIntegrationEditForm>

export function IntegrationEditForm({
  action,
  integration,
  services,
  form,
  fields,
}: {
  action: string
  integration: IntegrationPage['integration']
  services: IntegrationPage['services']
  form: IntegrationEditState[0]
  fields: IntegrationEditState[1]
}) {
  return (
    <Card id="edit-heading" heading="Edit integration">
      <Form method="post" action={action} className="mt-4 max-w-2xl" {...getFormProps(form)}>
        <FormError id={form.errorId} errors={form.errors} />
        {/* Always the version just loaded: after a conflict, saving again is a deliberate choice. */}
        <input type="hidden" name="version" value={integration.version} />
        <IntegrationFields
          fields={fields}
          services={services}
          showSecret={integration.kind === 'pagerduty'}
          secretHint="Leave empty to keep the current secret; enter a new one after PagerDuty rotates it."
        />
        <SubmitButton name="intent" value="save" pendingLabel="Saving…">
          Save integration
        </SubmitButton>
      </Form>
    </Card>
  )
}
