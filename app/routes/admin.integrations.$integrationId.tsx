import type { SubmissionResult } from '@conform-to/react'
import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import { isRouteErrorResponse, useActionData, useLoaderData, useRouteError } from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import {
  IntegrationEditForm,
  integrationEditSchema,
  useIntegrationEditForm,
} from '~/components/integration/integration-edit-form'
import { IntegrationSummary } from '~/components/integration/integration-summary'
import { ReceiptsTable } from '~/components/integration/receipts-table'
import { SecretShownOnce } from '~/components/secret-shown-once'
import { DeleteSection, DetailHeader, IntentButtons } from '~/components/settings-page'
import { requireMember } from '~/domain/access/guard.server'
import { integrationPage } from '~/domain/alerts/integration-page.server'
import {
  deleteIntegration,
  getIntegration,
  hookUrl,
  rotateIntegrationToken,
  setIntegrationActive,
  updateIntegration,
} from '~/domain/alerts/integrations.server'
import { forwardCacheControl } from '~/utils/cache-headers'
import { refusalResponse, replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'
import { formatInZone } from '~/utils/time'

const buttonSchema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('rotate-token') }),
  z.object({ intent: z.literal('activate') }),
  z.object({ intent: z.literal('deactivate') }),
  z.object({ intent: z.literal('delete'), confirm: z.string().optional() }),
])

/** The signing secret is never sent back to the browser, not even to correct a typo. */
const HIDE = ['signingSecret']

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

/** A rotated token is in the answer: no cache may keep that page. */
export const headers = forwardCacheControl

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  try {
    return await integrationPage(context.orm, member, params.integrationId ?? '')
  } catch (error) {
    throw refusalResponse(error)
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
    const submission = parseWithZod(formData, { schema: integrationEditSchema })
    if (submission.status !== 'success') {
      // Not found before field errors, so another organization's id learns nothing more.
      try {
        await getIntegration(context.orm, member, integrationId)
      } catch (error) {
        throw refusalResponse(error)
      }
      return reply({ intent: 'save', result: submission.reply({ hideFields: HIDE }) }, 400)
    }
    try {
      const { intent: _intent, ...input } = submission.value
      await updateIntegration(context.orm, member, integrationId, {
        ...input,
        signingSecret: input.signingSecret ?? null,
      })
    } catch (error) {
      return replyWithDomainError(submission, error, {
        extra: { intent: 'save', error: null, rotatedUrl: null },
        hideFields: HIDE,
      })
    }
    return done('Integration saved.')
  }

  const button = parseWithZod(formData, { schema: buttonSchema })
  if (button.status !== 'success') throw new Response('Bad request', { status: 400 })
  const input = button.value
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
    throw refusalResponse(error)
  }
}

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.integration.name ?? 'Integration'} · Integrations · IncidentFlow` },
]

export default function IntegrationPage() {
  const { integration, services, timeZone } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const [form, fields] = useIntegrationEditForm(
    integration,
    actionData?.intent === 'save' ? actionData.result : undefined,
  )
  const here = `/admin/integrations/${integration.id}`
  const when = (iso: string) => formatInZone(iso, timeZone)
  const rotatedUrl = actionData?.rotatedUrl ?? null
  return (
    <div className="space-y-10">
      <DetailHeader backTo="/admin/integrations" backLabel="Integrations" title={integration.name}>
        <IntegrationSummary integration={integration} when={when} />
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
      <IntegrationEditForm
        action={here}
        integration={integration}
        services={services}
        form={form}
        fields={fields}
      />
      <ReceiptsTable receipts={integration.receipts} when={when} />
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

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
