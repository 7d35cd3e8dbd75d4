import { parseWithZod } from '@conform-to/zod/v4'
import type { SubmissionResult } from '@conform-to/react'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import { isRouteErrorResponse, useActionData, useLoaderData, useRouteError } from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import { DeleteSection, DetailHeader, IntentButtons } from '~/components/settings-page'
import { DeliveryLog } from '~/components/webhook/delivery-log'
import { DeliveryResult } from '~/components/webhook/delivery-result'
import {
  EndpointEditForm,
  endpointEditSchema,
  useEndpointEditForm,
} from '~/components/webhook/endpoint-edit-form'
import { SigningSecret } from '~/components/webhook/signing-secret'
import { TestEventQueued } from '~/components/webhook/test-event-queued'
import { requireMember } from '~/domain/access/guard.server'
import { webhookEndpointPage } from '~/domain/notify/webhook-endpoint-page.server'
import {
  deleteEndpoint,
  getEndpoint,
  redeliver,
  rotateSecret,
  sendTestEvent,
  setEndpointEnabled,
  updateEndpoint,
} from '~/domain/notify/webhooks.server'
import { redirectWithFlash } from '~/utils/flash.server'
import {
  redirectWithRefusal,
  refusalResponse,
  replyWithDomainError,
} from '~/utils/error-reply.server'
import { readFormData } from '~/utils/form-data.server'

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

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const search = new URL(request.url).searchParams
  try {
    return await webhookEndpointPage(context.orm, member, params.endpointId ?? '', {
      page: Number(search.get('page') ?? '1'),
      deliveryId: search.get('delivery'),
    })
  } catch (error) {
    throw refusalResponse(error)
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
    const submission = parseWithZod(formData, { schema: endpointEditSchema })
    if (submission.status !== 'success')
      return reply({ intent: 'save', result: submission.reply() }, 400)
    try {
      await updateEndpoint(context.orm, member, endpointId, submission.value, {
        allowedHosts: context.env.WEBHOOK_ALLOWED_HOSTS,
      })
    } catch (error) {
      return replyWithDomainError(submission, error, {
        extra: { intent: 'save', error: null, queued: null },
      })
    }
    return done('Endpoint saved.')
  }

  const button = parseWithZod(formData, { schema: buttonSchema })
  if (button.status !== 'success') throw new Response('Bad request', { status: 400 })
  const input = button.value
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
    return redirectWithRefusal(error, here, context.env)
  }
}

export const meta: MetaFunction<typeof loader> = () => [
  { title: 'Webhook endpoint · IncidentFlow' },
]

export default function WebhookEndpoint() {
  const { endpoint, log, focus } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const [form, fields] = useEndpointEditForm(
    endpoint,
    actionData?.intent === 'save' ? actionData.result : undefined,
  )
  const here = `/admin/webhooks/${endpoint.id}`
  return (
    <div className="space-y-10">
      <DetailHeader backTo="/admin/webhooks" backLabel="Webhooks" title={endpoint.url}>
        <p className="mt-1 text-sm text-slate-600">
          {endpoint.enabled ? 'Enabled' : 'Disabled'}
          {endpoint.disabledReason ? ` — ${endpoint.disabledReason}` : ''}
        </p>
      </DetailHeader>
      {actionData?.queued ? <TestEventQueued resultUrl={actionData.queued.url} /> : null}
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
      <SigningSecret secret={endpoint.secret} />
      <EndpointEditForm action={here} form={form} fields={fields} />
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

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
