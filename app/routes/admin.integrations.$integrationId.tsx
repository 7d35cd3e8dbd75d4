import { getFormProps, useForm, type SubmissionResult } from '@conform-to/react'
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
import { ErrorPage } from '~/components/error-page'
import { FormError } from '~/components/form-error'
import { SubmitButton } from '~/components/forms'
import { IntegrationFields, integrationFieldsSchema } from '~/components/integration-fields'
import { DataTable } from '~/components/data-table'
import { SecretShownOnce } from '~/components/secret-shown-once'
import { Card } from '~/components/card'
import { DeleteSection, DetailHeader, IntentButtons } from '~/components/settings-page'
import { requireMember } from '~/domain/access/guard.server'
import {
  deleteIntegration,
  getIntegration,
  hookUrl,
  IntegrationError,
  integrationServices,
  rotateIntegrationToken,
  setIntegrationActive,
  updateIntegration,
} from '~/domain/alerts/integrations.server'
import {
  ALERT_SOURCE_OPTION_LABELS,
  OUTCOME_LABELS,
  RECEIPT_STATUS_LABELS,
} from '~/domain/alerts/vocabulary'
import { redirectWithFlash } from '~/utils/flash.server'
import { formatInZone } from '~/utils/time'
import { replyErrors } from '~/utils/form-errors'
import { forwardCacheControl } from '~/utils/cache-headers'
import { readFormData } from '~/utils/form-data.server'

const editSchema = integrationFieldsSchema.extend({
  intent: z.literal('save'),
  version: z.string().max(40),
})

const buttonSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('rotate-token') }),
  z.object({ intent: z.literal('activate') }),
  z.object({ intent: z.literal('deactivate') }),
  z.object({ intent: z.literal('delete'), confirm: z.string().optional() }),
])

interface ActionData {
  intent: string
  result: SubmissionResult<string[]> | null
  error: string | null
  /** The webhook URL with a new token: in this answer only. */
  rotatedUrl: string | null
}

function reply(value: Partial<ActionData> & { intent: string }, status: number, init = {}) {
  return data<ActionData>(
    { result: null, error: null, rotatedUrl: null, ...value },
    { status, ...init },
  )
}

/** An IntegrationError that is not about the form becomes the page's HTTP answer. */
function answerFor(error: unknown): unknown {
  if (error instanceof IntegrationError && (error.status === 403 || error.status === 404))
    return new Response(error.message, { status: error.status })
  return error
}

/** A rotated token is in the answer: no cache may keep that page. */
export const headers = forwardCacheControl

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  try {
    const integration = await getIntegration(context.orm, member, params.integrationId ?? '')
    const active = await integrationServices(context.orm, member)
    // The current service stays choosable even when it has been retired since.
    const services =
      integration.service && !active.some((s) => s.id === integration.service!.id)
        ? [
            ...active,
            { id: integration.service.id, name: `${integration.service.name} (inactive)` },
          ]
        : active
    return {
      timeZone: member.organization.timezone,
      services,
      integration: {
        ...integration,
        createdAt: integration.createdAt.toISOString(),
        lastReceivedAt: integration.lastReceivedAt?.toISOString() ?? null,
        receipts: integration.receipts.map((r) => ({
          ...r,
          receivedAt: r.receivedAt.toISOString(),
          processedAt: r.processedAt?.toISOString() ?? null,
        })),
      },
    }
  } catch (error) {
    throw answerFor(error)
  }
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const integrationId = params.integrationId ?? ''
  const here = `/admin/integrations/${integrationId}`
  const formData = await readFormData(request)
  const done = (message: string, url = here) =>
    redirectWithFlash(url, { kind: 'success', message }, context.env)

  if (formData.get('intent') === 'save') {
    const submission = parseWithZod(formData, { schema: editSchema })
    const hide = { hideFields: ['signingSecret'] }
    if (submission.status !== 'success') {
      // Not found before field errors, so another organization's id learns nothing more.
      try {
        await getIntegration(context.orm, member, integrationId)
      } catch (error) {
        throw answerFor(error)
      }
      return reply({ intent: 'save', result: submission.reply(hide) }, 400)
    }
    try {
      const { intent: _intent, ...input } = submission.value
      await updateIntegration(context.orm, member, integrationId, {
        ...input,
        signingSecret: input.signingSecret ?? null,
      })
    } catch (error) {
      if (error instanceof IntegrationError && (error.status === 400 || error.status === 409)) {
        const result = submission.reply({
          ...hide,
          ...replyErrors(error),
        })
        return reply({ intent: 'save', result }, error.status)
      }
      throw answerFor(error)
    }
    return done('Integration saved.')
  }

  const parsed = buttonSchema.safeParse(Object.fromEntries(formData))
  if (!parsed.success) throw new Response('Bad request', { status: 400 })
  const input = parsed.data
  try {
    switch (input.intent) {
      case 'rotate-token': {
        const { kind, token } = await rotateIntegrationToken(context.orm, member, integrationId)
        return reply(
          { intent: 'rotate-token', rotatedUrl: hookUrl(context.env.APP_URL, kind, token) },
          200,
          { headers: { 'Cache-Control': 'no-store' } },
        )
      }
      case 'activate':
      case 'deactivate':
        await setIntegrationActive(context.orm, member, integrationId, input.intent === 'activate')
        return done(
          input.intent === 'activate'
            ? 'Integration activated: its URL accepts alerts again.'
            : 'Integration deactivated: its URL now answers 401.',
        )
      case 'delete':
        if (input.confirm !== 'yes') {
          // Checked first, so another organization's id still answers 404.
          await getIntegration(context.orm, member, integrationId)
          return reply(
            {
              intent: 'delete',
              error: 'Tick the box to confirm that the integration and its receipts are deleted.',
            },
            400,
          )
        }
        await deleteIntegration(context.orm, member, integrationId)
        return done('Integration deleted. Incidents it declared stay.', '/admin/integrations')
    }
  } catch (error) {
    throw answerFor(error)
  }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.integration.name ?? 'Integration'} · Integrations · IncidentFlow` },
]

export default function IntegrationPage() {
  const { integration, services, timeZone } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const lastResult = actionData?.intent === 'save' ? actionData.result : undefined
  const [form, fields] = useForm({
    lastResult,
    constraint: getZodConstraint(editSchema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: editSchema }),
    defaultValue: {
      name: integration.name,
      serviceId: integration.service?.id ?? '',
      defaultSeverity: integration.defaultSeverity,
      mitigateOnResolve: integration.mitigateOnResolve ? 'on' : undefined,
      rateLimitPerMinute: String(integration.rateLimitPerMinute),
    },
  })
  const here = `/admin/integrations/${integration.id}`
  const when = (iso: string) => formatInZone(iso, timeZone)
  const rotatedUrl = actionData?.rotatedUrl ?? null

  return (
    <div className="space-y-10">
      <DetailHeader backTo="/admin/integrations" backLabel="Integrations" title={integration.name}>
        <dl className="mt-2 grid gap-x-6 gap-y-1 text-sm text-slate-700 sm:grid-cols-[auto_1fr]">
          <dt className="font-medium">Source</dt>
          <dd>{ALERT_SOURCE_OPTION_LABELS[integration.kind]}</dd>
          <dt className="font-medium">State</dt>
          <dd>{integration.active ? 'Active' : 'Inactive: its URL answers 401'}</dd>
          <dt className="font-medium">Webhook URL</dt>
          <dd className="font-mono break-all">
            …/hooks/{integration.kind}/{integration.tokenHint}
          </dd>
          {integration.kind === 'pagerduty' ? (
            <>
              <dt className="font-medium">Signing secret</dt>
              <dd>
                {integration.hasSigningSecret ? (
                  'Set'
                ) : (
                  <strong className="text-red-800">
                    Not set: every request is refused until you enter it below
                  </strong>
                )}
              </dd>
            </>
          ) : null}
          <dt className="font-medium">Last received</dt>
          <dd>
            {integration.lastReceivedAt ? (
              <time dateTime={integration.lastReceivedAt}>{when(integration.lastReceivedAt)}</time>
            ) : (
              'Nothing yet'
            )}
          </dd>
        </dl>
      </DetailHeader>

      {rotatedUrl ? (
        <SecretShownOnce
          id="rotated-url"
          heading="New token"
          message="The old URL no longer works. Copy the new one now and update the sending side: you will not see it again."
          label="Webhook URL"
          value={rotatedUrl}
        />
      ) : null}

      <IntentButtons
        action={here}
        buttons={[
          { intent: 'rotate-token', label: 'Rotate token' },
          integration.active
            ? { intent: 'deactivate', label: 'Deactivate' }
            : { intent: 'activate', label: 'Activate' },
        ]}
      />

      <Card id="edit-heading" heading="Edit integration">
        <Form method="post" action={here} className="mt-4 max-w-2xl" {...getFormProps(form)}>
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

      <Receipts receipts={integration.receipts} when={when} />

      <DeleteSection
        action={here}
        heading="Delete integration"
        confirmLabel="Yes, delete this integration and its receipts"
        submitLabel="Delete"
        error={actionData?.intent === 'delete' ? actionData.error : null}
      />
    </div>
  )
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>

function Receipts({
  receipts,
  when,
}: {
  receipts: LoaderData['integration']['receipts']
  when: (iso: string) => string
}) {
  return (
    <section aria-labelledby="receipts-heading">
      <h2 id="receipts-heading" className="text-lg font-semibold">
        Recent receipts
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        Every accepted request, newest first, with what the worker did with it.
      </p>
      {receipts.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">Nothing received yet.</p>
      ) : (
        <DataTable columns={['Received', 'Status', 'Outcome', 'Error']}>
          {receipts.map((r) => (
            <tr key={r.id} aria-label={`Receipt ${r.id}`}>
              <td className="px-3 py-2 align-top whitespace-nowrap">
                <time dateTime={r.receivedAt}>{when(r.receivedAt)}</time>
              </td>
              <td className="px-3 py-2 align-top">{RECEIPT_STATUS_LABELS[r.status]}</td>
              <td className="px-3 py-2 align-top">
                {r.outcome.length === 0 ? (
                  '—'
                ) : (
                  <ul className="space-y-1">
                    {r.outcome.map((o, index) => (
                      <li key={`${o.dedupKey}-${index}`}>
                        {OUTCOME_LABELS[o.action]}
                        {o.incidentNumber ? (
                          <>
                            {' '}
                            <Link to={`/incidents/${o.incidentNumber}`} className="underline">
                              INC-{o.incidentNumber}
                            </Link>
                          </>
                        ) : null}
                        {o.dedupKey ? (
                          <span className="block font-mono text-xs break-all text-slate-500">
                            {o.dedupKey}
                          </span>
                        ) : null}
                        {o.reason ? (
                          <span className="block text-xs text-slate-600">{o.reason}</span>
                        ) : null}
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td className="max-w-xs px-3 py-2 align-top break-all">{r.error ?? '—'}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
