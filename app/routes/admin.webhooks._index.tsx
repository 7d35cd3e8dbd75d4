import { getFormProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import {
  Form,
  isRouteErrorResponse,
  Link,
  useActionData,
  useLoaderData,
  useRouteError,
} from '@remix-run/react'
import * as z from '~/utils/zod'
import { Card } from '~/components/card'
import { ErrorPage } from '~/components/error-page'
import { FormError } from '~/components/form-error'
import { deliveryStatusLabel } from '~/components/webhook/delivery-status'
import { DeliveryTime } from '~/components/webhook/delivery-time'
import { EndpointFields, endpointFieldsSchema } from '~/components/webhook/endpoint-fields'
import { SubmitButton } from '~/components/forms'
import { DataTable } from '~/components/data-table'
import { requireMember } from '~/domain/access/guard.server'
import { createEndpoint, listEndpoints } from '~/domain/notify/webhooks.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { readFormData } from '~/utils/form-data.server'

const endpointSchema = endpointFieldsSchema.extend({ intent: z.literal('create') })

export const meta: MetaFunction = () => [{ title: 'Webhooks · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const endpoints = await listEndpoints(context.orm, member)
  return {
    endpoints: endpoints.map((e) => ({
      ...e,
      lastDelivery: e.lastDelivery
        ? { status: e.lastDelivery.status, at: e.lastDelivery.at.toISOString() }
        : null,
    })),
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const formData = await readFormData(request)
  const submission = parseWithZod(formData, { schema: endpointSchema })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  try {
    const { id } = await createEndpoint(context.orm, member, submission.value, {
      allowedHosts: context.env.WEBHOOK_ALLOWED_HOSTS,
    })
    return redirectWithFlash(
      `/admin/webhooks/${id}`,
      {
        kind: 'success',
        message: 'Endpoint added. Give its signing secret (below) to the receiving side.',
      },
      context.env,
    )
  } catch (error) {
    return replyWithDomainError(submission, error)
  }
}

export default function Webhooks() {
  const { endpoints } = useLoaderData<typeof loader>()
  const lastResult = useActionData<typeof action>()?.result
  const [form, fields] = useForm({
    lastResult,
    constraint: getZodConstraint(endpointSchema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: endpointSchema }),
  })
  return (
    <div className="space-y-10">
      <header className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-bold">Webhooks</h1>
          <p className="mt-1 text-sm text-slate-600">
            IncidentFlow POSTs signed JSON to these URLs when incidents change.
          </p>
        </div>
        <Link to="/admin/deliveries" className="text-sm font-medium text-brand-700 underline">
          Failed deliveries
        </Link>
      </header>

      <section aria-labelledby="endpoints-heading">
        <h2 id="endpoints-heading" className="text-lg font-semibold">
          Endpoints
        </h2>
        {endpoints.length === 0 ? (
          <p className="mt-2 text-sm text-slate-600">No endpoints yet.</p>
        ) : (
          <DataTable
            cellClassName="px-4 py-2"
            columns={['URL', 'Event types', 'Enabled', 'Last delivery']}
          >
            {endpoints.map((e) => (
              <tr key={e.id}>
                <td className="px-4 py-2 align-top">
                  <Link
                    to={`/admin/webhooks/${e.id}`}
                    className="font-medium break-all text-brand-700 underline"
                  >
                    {e.url}
                  </Link>
                  {e.description ? (
                    <div className="text-xs text-slate-500">{e.description}</div>
                  ) : null}
                </td>
                <td className="px-4 py-2 align-top text-xs">{e.eventTypes.join(', ')}</td>
                <td className="px-4 py-2 align-top">
                  {e.enabled ? 'Enabled' : 'Disabled'}
                  {e.disabledReason ? (
                    <div className="text-xs text-slate-500">{e.disabledReason}</div>
                  ) : null}
                </td>
                <td className="px-4 py-2 align-top">
                  {e.lastDelivery ? (
                    <>
                      {deliveryStatusLabel(e.lastDelivery.status)}
                      <div className="text-xs text-slate-500">
                        <DeliveryTime iso={e.lastDelivery.at} />
                      </div>
                    </>
                  ) : (
                    'None yet'
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>

      <Card id="add-heading" heading="Add an endpoint">
        <Form method="post" className="mt-4 max-w-2xl" {...getFormProps(form)}>
          <FormError id={form.errorId} errors={form.errors} />
          <EndpointFields
            fields={fields}
            urlHint="https:// is recommended. Private and internal addresses are refused."
          />
          <SubmitButton name="intent" value="create" pendingLabel="Checking…">
            Add endpoint
          </SubmitButton>
        </Form>
      </Card>
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
