import { getFormProps, useForm, type SubmissionResult } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { Form } from '@remix-run/react'
import * as z from '~/utils/zod'
import { Card } from '~/components/card'
import { FormError } from '~/components/form-error'
import { SubmitButton } from '~/components/forms'
import { EndpointFields, endpointFieldsSchema } from './endpoint-fields'

/** The endpoint page's edit form. */
export const endpointEditSchema = endpointFieldsSchema.extend({ intent: z.literal('save') })

/**
 * The edit form's state, from the endpoint as stored and the last answer to a save. Called by the
 * page itself, so the form's generated ids stay those of the page.
 */
export function useEndpointEditForm(
  endpoint: { url: string; description: string; eventTypes: string[] },
  lastResult: SubmissionResult<string[]> | null | undefined,
) {
  return useForm({
    lastResult,
    constraint: getZodConstraint(endpointEditSchema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: endpointEditSchema }),
    defaultValue: {
      url: endpoint.url,
      description: endpoint.description,
      eventTypes: endpoint.eventTypes,
    },
  })
}

type EndpointEditState = ReturnType<typeof useEndpointEditForm>

export function EndpointEditForm({
  action,
  form,
  fields,
}: {
  action: string
  form: EndpointEditState[0]
  fields: EndpointEditState[1]
}) {
  return (
    <Card id="edit-heading" heading="Edit endpoint">
      <Form method="post" action={action} className="mt-4 max-w-2xl" {...getFormProps(form)}>
        <FormError id={form.errorId} errors={form.errors} />
        <EndpointFields fields={fields} />
        <SubmitButton name="intent" value="save" pendingLabel="Saving…">
          Save endpoint
        </SubmitButton>
      </Form>
    </Card>
  )
}
