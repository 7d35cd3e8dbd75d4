import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import {
  Form,
  isRouteErrorResponse,
  useActionData,
  useLoaderData,
  useRouteError,
  type ShouldRevalidateFunction,
} from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import { FormError } from '~/components/form-error'
import { SubmitButton } from '~/components/forms'
import { requireMember } from '~/domain/access/guard.server'
import {
  getPostmortemSettings,
  savePostmortemSettings,
} from '~/domain/postmortem/postmortem.server'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'

const schema = z.object({
  requirePostmortem: z.literal('on').optional(),
  version: z.string().min(1).max(40),
})

export const meta: MetaFunction = () => [{ title: 'Postmortem settings · IncidentFlow' }]

/** After a stale (409) submission the page shows the settings as they are now. */
export const shouldRevalidate: ShouldRevalidateFunction = ({
  actionStatus,
  defaultShouldRevalidate,
}) => (actionStatus === 409 ? true : defaultShouldRevalidate)

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  return getPostmortemSettings(context.orm, member)
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const submission = parseWithZod(await readFormData(request), { schema })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  const requirePostmortem = submission.value.requirePostmortem === 'on'
  try {
    await savePostmortemSettings(context.orm, member, {
      requirePostmortem,
      version: submission.value.version,
    })
  } catch (error) {
    return replyWithDomainError(submission, error)
  }
  return redirectWithFlash(
    '/admin/postmortems',
    {
      kind: 'success',
      message: requirePostmortem
        ? 'SEV-1 and SEV-2 incidents now need a published postmortem before they can be closed.'
        : 'Incidents can be closed without a published postmortem.',
    },
    context.env,
  )
}

export default function PostmortemSettingsPage() {
  const settings = useLoaderData<typeof loader>()
  const result = useActionData<typeof action>()?.result
  return (
    <div className="space-y-6">
      <header>
        <h1 className="text-2xl font-bold">Postmortems</h1>
        <p className="mt-1 text-sm text-slate-600">
          Every incident gets a postmortem when it enters Postmortem. Here you decide whether the
          most severe incidents may close before theirs is published.
        </p>
      </header>
      <Form
        method="post"
        aria-label="Postmortem settings"
        className="max-w-2xl rounded-lg border border-slate-200 bg-white p-6"
        key={settings.version}
      >
        <FormError errors={result?.error?.[''] ?? null} />
        <input type="hidden" name="version" value={settings.version} />
        <label className="mb-4 flex items-start gap-2 text-sm">
          <input
            type="checkbox"
            name="requirePostmortem"
            defaultChecked={settings.requirePostmortem}
            aria-describedby="require-hint"
            className="mt-0.5 rounded border-slate-300"
          />
          <span>
            <span className="font-medium">
              Require a published postmortem before closing SEV-1 and SEV-2 incidents
            </span>
            <span id="require-hint" className="block text-xs text-slate-500">
              &ldquo;Close incident&rdquo; is then refused, with the reason shown, until the
              incident&apos;s postmortem is published. SEV-3 and SEV-4 incidents close as before.
            </span>
          </span>
        </label>
        <SubmitButton>Save postmortem settings</SubmitButton>
      </Form>
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
