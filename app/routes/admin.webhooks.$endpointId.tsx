import { getFormProps, useForm } from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import type { SubmissionResult } from '@conform-to/react'
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
import { PendingRefresh } from '~/components/pending-refresh'
import { EndpointFields, endpointFieldsSchema } from '~/components/webhook-endpoint-fields'
import { SubmitButton } from '~/components/forms'
import { DataTable } from '~/components/data-table'
import { Card } from '~/components/card'
import {
  DeleteSection,
  DetailHeader,
  IntentButtons,
  secondaryButtonClass,
} from '~/components/settings-page'
import { TableHead } from '~/components/table-head'
import { requireMember } from '~/domain/access/guard.server'
import {
  deleteEndpoint,
  getDelivery,
  getEndpoint,
  listDeliveries,
  redeliver,
  rotateSecret,
  sendTestEvent,
  setEndpointEnabled,
  updateEndpoint,
  WebhookError,
  type AttemptRow,
  type DeliveryRow,
} from '~/domain/notify/webhooks.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { replyErrors } from '~/utils/form-errors'
import { readFormData } from '~/utils/form-data.server'

const endpointSchema = endpointFieldsSchema.extend({ intent: z.literal('save') })

const buttonSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('enable') }),
  z.object({ intent: z.literal('disable') }),
  z.object({ intent: z.literal('rotate-secret') }),
  z.object({ intent: z.literal('send-test') }),
  z.object({ intent: z.literal('delete'), confirm: z.string().optional() }),
  z.object({ intent: z.literal('redeliver'), deliveryId: z.uuid() }),
])

interface ActionData {
  intent: string
  result: SubmissionResult<string[]> | null
  error: string | null
  queued: { deliveryId: string; url: string } | null
}

function reply(value: Partial<ActionData> & { intent: string }, status: number) {
  return data<ActionData>({ result: null, error: null, queued: null, ...value }, { status })
}

/** A WebhookError that is not about the form becomes the page's HTTP answer. */
function answerFor(error: unknown): unknown {
  if (error instanceof WebhookError && (error.status === 403 || error.status === 404))
    return new Response(error.message, { status: error.status })
  return error
}

const iso = (date: Date | null) => (date ? date.toISOString() : null)

function plainDelivery(d: DeliveryRow) {
  return {
    ...d,
    createdAt: d.createdAt.toISOString(),
    nextAttemptAt: iso(d.nextAttemptAt),
    deliveredAt: iso(d.deliveredAt),
  }
}

function plainAttempt(a: AttemptRow) {
  return { ...a, attemptedAt: a.attemptedAt.toISOString(), retryAt: iso(a.retryAt) }
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const endpointId = params.endpointId ?? ''
  const search = new URL(request.url).searchParams
  const page = Number(search.get('page') ?? '1')
  const focusId = search.get('delivery')
  try {
    const endpoint = await getEndpoint(context.orm, member, endpointId)
    const log = await listDeliveries(context.orm, member, endpointId, page)
    const focus = focusId ? await getDelivery(context.orm, member, endpointId, focusId) : null
    return {
      endpoint: { ...endpoint, createdAt: endpoint.createdAt.toISOString() },
      log: { ...log, deliveries: log.deliveries.map(plainDelivery) },
      focus: focus
        ? { ...plainDelivery(focus), attemptLog: focus.attemptLog.map(plainAttempt) }
        : null,
    }
  } catch (error) {
    throw answerFor(error)
  }
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const endpointId = params.endpointId ?? ''
  const here = `/admin/webhooks/${endpointId}`
  const formData = await readFormData(request)
  const done = (message: string, url = here) =>
    redirectWithFlash(url, { kind: 'success', message }, context.env)

  if (formData.get('intent') === 'save') {
    const submission = parseWithZod(formData, { schema: endpointSchema })
    if (submission.status !== 'success')
      return reply({ intent: 'save', result: submission.reply() }, 400)
    try {
      await updateEndpoint(context.orm, member, endpointId, submission.value, {
        allowedHosts: context.env.WEBHOOK_ALLOWED_HOSTS,
      })
    } catch (error) {
      if (error instanceof WebhookError && error.status === 400) {
        const result = submission.reply(replyErrors(error))
        return reply({ intent: 'save', result }, 400)
      }
      throw answerFor(error)
    }
    return done('Endpoint saved.')
  }

  const parsed = buttonSchema.safeParse(Object.fromEntries(formData))
  if (!parsed.success) throw new Response('Bad request', { status: 400 })
  const input = parsed.data
  try {
    switch (input.intent) {
      case 'enable':
      case 'disable':
        await setEndpointEnabled(context.orm, member, endpointId, input.intent === 'enable')
        return done(input.intent === 'enable' ? 'Endpoint enabled.' : 'Endpoint disabled.')
      case 'rotate-secret':
        await rotateSecret(context.orm, member, endpointId)
        return done(
          'New signing secret created. The old one no longer verifies: update the receiver.',
        )
      case 'delete':
        if (input.confirm !== 'yes') {
          // Checked before anything else, so another organization's id still answers 404.
          await getEndpoint(context.orm, member, endpointId)
          return reply(
            {
              intent: 'delete',
              error: 'Tick the box to confirm that the endpoint and its log are deleted.',
            },
            400,
          )
        }
        await deleteEndpoint(context.orm, member, endpointId)
        return done('Endpoint and its delivery log deleted.', '/admin/webhooks')
      case 'send-test': {
        const { deliveryId } = await sendTestEvent(context.orm, context.boss, member, endpointId)
        // 202: accepted, not done. The page refreshes itself onto the delivery's result.
        return reply(
          { intent: 'send-test', queued: { deliveryId, url: `${here}?delivery=${deliveryId}` } },
          202,
        )
      }
      case 'redeliver': {
        const redelivered = await redeliver(context.orm, context.boss, member, input.deliveryId)
        return done(
          'Redelivery queued with the same message id.',
          `/admin/webhooks/${redelivered.endpointId}?delivery=${redelivered.deliveryId}`,
        )
      }
    }
  } catch (error) {
    if (error instanceof WebhookError && (error.status === 409 || error.status === 400))
      return redirectWithFlash(here, { kind: 'error', message: error.message }, context.env)
    throw answerFor(error)
  }
}

export const meta: MetaFunction<typeof loader> = () => [
  { title: 'Webhook endpoint · IncidentFlow' },
]

const statusLabel: Record<string, string> = {
  pending: 'Pending',
  succeeded: 'Succeeded',
  failed: 'Failed',
  dead: 'Gave up',
}

function formatTime(iso: string | null) {
  if (!iso) return '—'
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`
}

function Time({ iso }: { iso: string | null }) {
  return iso ? <time dateTime={iso}>{formatTime(iso)}</time> : <>—</>
}

export default function WebhookEndpoint() {
  const { endpoint, log, focus } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const lastResult = actionData?.intent === 'save' ? actionData.result : undefined
  const [form, fields] = useForm({
    lastResult,
    constraint: getZodConstraint(endpointSchema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: endpointSchema }),
    defaultValue: {
      url: endpoint.url,
      description: endpoint.description,
      eventTypes: endpoint.eventTypes,
    },
  })
  const queued = actionData?.queued ?? null
  const here = `/admin/webhooks/${endpoint.id}`

  return (
    <div className="space-y-10">
      <DetailHeader backTo="/admin/webhooks" backLabel="Webhooks" title={endpoint.url}>
        <p className="mt-1 text-sm text-slate-600">
          {endpoint.enabled ? 'Enabled' : 'Disabled'}
          {endpoint.disabledReason ? ` — ${endpoint.disabledReason}` : ''}
        </p>
      </DetailHeader>

      {queued ? (
        <div
          role="status"
          className="rounded-md border border-sky-300 bg-sky-50 px-4 py-3 text-sm text-sky-900"
        >
          <p className="font-semibold">Test event queued</p>
          <p>
            The worker sends it in a moment.{' '}
            <Link to={queued.url} className="font-medium underline">
              See the result
            </Link>
          </p>
        </div>
      ) : null}

      {focus ? <DeliveryResult focus={focus} /> : null}

      <IntentButtons
        action={here}
        buttons={[
          { intent: 'send-test', label: 'Send test event', disabled: !endpoint.enabled },
          endpoint.enabled
            ? { intent: 'disable', label: 'Disable endpoint' }
            : { intent: 'enable', label: 'Enable endpoint' },
          { intent: 'rotate-secret', label: 'Rotate secret' },
        ]}
      />

      <Card id="secret-heading" heading="Signing">
        <details className="mt-2">
          <summary className="cursor-pointer text-sm font-medium">Show the signing secret</summary>
          <p className="mt-2">
            <code className="rounded bg-slate-100 px-2 py-1 text-sm break-all">
              {endpoint.secret}
            </code>
          </p>
          <div className="mt-3 space-y-2 text-sm text-slate-700">
            <p>
              Deliveries are signed the{' '}
              <a href="https://www.standardwebhooks.com/" className="underline">
                Standard Webhooks
              </a>{' '}
              way. Each request carries <code>webhook-id</code>, <code>webhook-timestamp</code> and{' '}
              <code>webhook-signature</code> headers.
            </p>
            <p>
              To verify one, compute HMAC-SHA256 over <code>id.timestamp.body</code> (the raw
              request body), keyed with the base64-decoded part of the secret after{' '}
              <code>whsec_</code>, and compare its base64 with the value after <code>v1,</code>.
              Refuse timestamps more than five minutes old, and use the <code>webhook-id</code> to
              ignore a message you already handled. Any Standard Webhooks library does this:{' '}
              <code>new Webhook(secret).verify(body, headers)</code>.
            </p>
          </div>
        </details>
      </Card>

      <Card id="edit-heading" heading="Edit endpoint">
        <Form method="post" action={here} className="mt-4 max-w-2xl" {...getFormProps(form)}>
          <FormError id={form.errorId} errors={form.errors} />
          <EndpointFields fields={fields} />
          <SubmitButton name="intent" value="save" pendingLabel="Saving…">
            Save endpoint
          </SubmitButton>
        </Form>
      </Card>

      <DeliveryLog endpointId={endpoint.id} log={log} />

      <DeleteSection
        action={here}
        heading="Delete endpoint"
        confirmLabel="Yes, delete this endpoint and its delivery log"
        submitLabel="Delete endpoint"
        error={actionData?.intent === 'delete' ? actionData.error : null}
      />
    </div>
  )
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>

function DeliveryResult({ focus }: { focus: NonNullable<LoaderData['focus']> }) {
  const pending = focus.status === 'pending'
  return (
    <section
      aria-labelledby="result-heading"
      className="rounded-lg border border-slate-200 bg-white p-6"
    >
      <h2 id="result-heading" className="text-lg font-semibold">
        Delivery <code className="text-base">{focus.messageId}</code>
      </h2>
      <p className="mt-1 text-sm" role="status">
        <span className="font-semibold">{statusLabel[focus.status] ?? focus.status}</span>
        {' · '}
        {focus.eventType}
        {pending ? ' · waiting for the worker.' : null}
      </p>
      {pending ? (
        <p className="mt-1 text-sm">
          <PendingRefresh />
        </p>
      ) : null}
      {focus.attemptLog.length ? (
        <div className="relative mt-3 overflow-x-auto">
          <table className="min-w-full divide-y divide-slate-200 text-sm">
            <TableHead
              cellClassName="px-3 py-2"
              columns={['Attempt', 'Time', 'Response', 'Duration', 'Error', 'Next attempt']}
            />
            <tbody className="divide-y divide-slate-100">
              {focus.attemptLog.map((a) => (
                <tr key={a.attempt}>
                  <td className="px-3 py-2">{a.attempt}</td>
                  <td className="px-3 py-2">
                    <Time iso={a.attemptedAt} />
                  </td>
                  <td className="px-3 py-2">{a.statusCode ?? '—'}</td>
                  <td className="px-3 py-2">{a.durationMs} ms</td>
                  <td className="px-3 py-2 break-all">{a.error ?? '—'}</td>
                  <td className="px-3 py-2">
                    <Time iso={a.retryAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="mt-2 text-sm text-slate-600">No attempt yet.</p>
      )}
    </section>
  )
}

function DeliveryLog({ endpointId, log }: { endpointId: string; log: LoaderData['log'] }) {
  const base = `/admin/webhooks/${endpointId}`
  return (
    <section aria-labelledby="log-heading">
      <h2 id="log-heading" className="text-lg font-semibold">
        Delivery log
      </h2>
      {log.deliveries.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">
          {log.page > 1 ? 'No deliveries on this page.' : 'Nothing delivered yet.'}
        </p>
      ) : (
        <DataTable
          columns={[
            'Time',
            'Event type',
            'Message id',
            'Status',
            'Attempts',
            'Last response',
            'Last error',
            'Next attempt',
            <span key="actions" className="sr-only">
              Actions
            </span>,
          ]}
        >
          {log.deliveries.map((d) => (
            <tr key={d.id} aria-label={d.messageId}>
              <td className="px-3 py-2 whitespace-nowrap">
                <Link to={`${base}?delivery=${d.id}`} className="underline">
                  <Time iso={d.createdAt} />
                </Link>
              </td>
              <td className="px-3 py-2">{d.eventType}</td>
              <td className="px-3 py-2">
                <code className="text-xs">{d.messageId}</code>
              </td>
              <td className="px-3 py-2">{statusLabel[d.status] ?? d.status}</td>
              <td className="px-3 py-2">{d.attempts}</td>
              <td className="px-3 py-2">{d.lastStatusCode ?? '—'}</td>
              <td className="max-w-xs px-3 py-2 break-all">{d.lastError ?? '—'}</td>
              <td className="px-3 py-2 whitespace-nowrap">
                <Time iso={d.nextAttemptAt} />
              </td>
              <td className="px-3 py-2 text-right">
                {d.status === 'pending' ? (
                  <span className="text-xs text-slate-500">In progress</span>
                ) : (
                  <Form method="post" action={base}>
                    <input type="hidden" name="deliveryId" value={d.id} />
                    <button
                      type="submit"
                      name="intent"
                      value="redeliver"
                      className={secondaryButtonClass}
                    >
                      Redeliver
                    </button>
                  </Form>
                )}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <nav aria-label="Delivery log pages" className="mt-3 flex gap-4 text-sm">
        {log.page > 1 ? (
          <Link to={`${base}?page=${log.page - 1}`} className="underline">
            Newer deliveries
          </Link>
        ) : null}
        {log.hasNext ? (
          <Link to={`${base}?page=${log.page + 1}`} className="underline">
            Older deliveries
          </Link>
        ) : null}
      </nav>
    </section>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
