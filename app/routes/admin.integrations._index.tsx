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
import { Card } from '~/components/card'
import { ErrorPage } from '~/components/error-page'
import { FormError } from '~/components/form-error'
import { SubmitButton } from '~/components/forms'
import {
  createIntegrationSchema,
  IntegrationFields,
} from '~/components/integration/integration-fields'
import { DataTable } from '~/components/data-table'
import { SecretShownOnce } from '~/components/secret-shown-once'
import { requireMember } from '~/domain/access/guard.server'
import {
  createIntegration,
  hookUrl,
  integrationServices,
  listIntegrations,
} from '~/domain/alerts/integrations.server'
import {
  ALERT_SOURCE_OPTION_LABELS,
  DEFAULT_RATE_LIMIT,
  RECEIPT_STATUS_LABELS,
} from '~/domain/alerts/vocabulary'
import { formatInZone } from '~/utils/time'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { forwardCacheControl } from '~/utils/cache-headers'
import { readFormData } from '~/utils/form-data.server'

/** The token is in the answer to the add form: no cache may keep that page. */
export const headers = forwardCacheControl

export const meta: MetaFunction = () => [{ title: 'Integrations · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const integrations = await listIntegrations(context.orm, member)
  const services = await integrationServices(context.orm, member)
  return {
    timeZone: member.organization.timezone,
    services,
    integrations: integrations.map((i) => ({
      ...i,
      lastReceivedAt: i.lastReceivedAt?.toISOString() ?? null,
      lastReceipt: i.lastReceipt
        ? { status: i.lastReceipt.status, receivedAt: i.lastReceipt.receivedAt.toISOString() }
        : null,
    })),
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const formData = await readFormData(request)
  const submission = parseWithZod(formData, { schema: createIntegrationSchema })
  // The signing secret is never sent back to the browser, not even to correct a typo.
  const hide = { hideFields: ['signingSecret'] }
  if (submission.status !== 'success')
    return data({ result: submission.reply(hide), created: null }, { status: 400 })
  try {
    const { intent: _intent, ...input } = submission.value
    const created = await createIntegration(context.orm, member, {
      ...input,
      signingSecret: input.signingSecret ?? null,
    })
    // Shown on this answer only (201, not a redirect): nothing keeps the token to show it again.
    return data(
      {
        result: submission.reply({ resetForm: true }),
        created: {
          id: created.id,
          name: input.name,
          kind: created.kind,
          url: hookUrl(context.env.APP_URL, created.kind, created.token),
        },
      },
      { status: 201, headers: { 'Cache-Control': 'no-store' } },
    )
  } catch (error) {
    return replyWithDomainError(submission, error, { ...hide, extra: { created: null } })
  }
}

export default function Integrations() {
  const { integrations, services, timeZone } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const [form, fields] = useForm({
    lastResult: actionData?.result,
    constraint: getZodConstraint(createIntegrationSchema),
    defaultValue: {
      kind: 'alertmanager',
      defaultSeverity: 'SEV-3',
      rateLimitPerMinute: String(DEFAULT_RATE_LIMIT),
    },
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: createIntegrationSchema }),
  })
  const created = actionData?.created ?? null
  const when = (iso: string) => formatInZone(iso, timeZone)
  return (
    <div className="space-y-10">
      <header>
        <h1 className="text-2xl font-bold">Integrations</h1>
        <p className="mt-1 text-sm text-slate-600">
          Monitoring systems post alerts to these webhook URLs: a firing alert declares an incident
          for the integration’s service, or adds to the open incident it already declared. Setting
          up Alertmanager, PagerDuty and the generic JSON format is described in{' '}
          <code>docs/integrations.md</code>.
        </p>
        <p className="mt-2 text-sm">
          <Link to="/admin/integrations/slack" className="font-medium text-brand-700 underline">
            Slack and Microsoft Teams
          </Link>
        </p>
      </header>

      {created ? <NewUrl created={created} /> : null}

      <section aria-labelledby="integrations-heading">
        <h2 id="integrations-heading" className="text-lg font-semibold">
          Your integrations
        </h2>
        {integrations.length === 0 ? (
          <p className="mt-2 text-sm text-slate-600">No integrations yet.</p>
        ) : (
          <DataTable
            cellClassName="px-4 py-2"
            columns={['Name', 'Source', 'Service', 'State', 'Last received']}
          >
            {integrations.map((i) => (
              <tr key={i.id}>
                <td className="px-4 py-2 align-top">
                  <Link
                    to={`/admin/integrations/${i.id}`}
                    className="font-medium text-brand-700 underline"
                  >
                    {i.name}
                  </Link>
                  <div className="font-mono text-xs text-slate-500">{i.tokenHint}</div>
                </td>
                <td className="px-4 py-2 align-top">{ALERT_SOURCE_OPTION_LABELS[i.kind]}</td>
                <td className="px-4 py-2 align-top">
                  {i.service ? i.service.name : '—'}
                  {i.service && !i.service.active ? (
                    <div className="text-xs text-slate-500">Service inactive</div>
                  ) : null}
                </td>
                <td className="px-4 py-2 align-top">{i.active ? 'Active' : 'Inactive'}</td>
                <td className="px-4 py-2 align-top">
                  {i.lastReceivedAt ? (
                    <>
                      <time dateTime={i.lastReceivedAt}>{when(i.lastReceivedAt)}</time>
                      {i.lastReceipt ? (
                        <div className="text-xs text-slate-500">
                          {RECEIPT_STATUS_LABELS[i.lastReceipt.status]}
                        </div>
                      ) : null}
                    </>
                  ) : (
                    'Nothing yet'
                  )}
                </td>
              </tr>
            ))}
          </DataTable>
        )}
      </section>

      <Card id="add-heading" heading="Add an integration">
        {services.length === 0 ? (
          <p className="mt-2 text-sm text-slate-600">
            Integrations belong to a service.{' '}
            <Link to="/admin/services" className="underline">
              Add a service
            </Link>{' '}
            first.
          </p>
        ) : null}
        <Form method="post" className="mt-4 max-w-2xl" {...getFormProps(form)}>
          <FormError id={form.errorId} errors={form.errors} />
          <IntegrationFields
            fields={fields}
            services={services}
            secretHint="PagerDuty only: the secret PagerDuty shows when you create the webhook subscription with this integration’s URL. It can be entered later on the integration’s page; until then PagerDuty’s requests are refused."
          />
          <SubmitButton name="intent" value="create" pendingLabel="Adding…">
            Add integration
          </SubmitButton>
        </Form>
      </Card>
    </div>
  )
}

function NewUrl({ created }: { created: { id: string; name: string; url: string } }) {
  return (
    <SecretShownOnce
      id="new-url"
      heading={<>Integration “{created.name}” added</>}
      message="Copy the webhook URL now and give it to the sending side. You will not see it again: IncidentFlow keeps only a fingerprint of its token. If it is lost, rotate the token."
      label="Webhook URL"
      value={created.url}
    >
      <p className="mt-2 text-sm">
        <Link to={`/admin/integrations/${created.id}`} className="underline">
          Open the integration
        </Link>
      </p>
    </SecretShownOnce>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
