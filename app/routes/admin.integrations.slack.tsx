import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data, redirect } from '@remix-run/node'
import {
  isRouteErrorResponse,
  Link,
  useActionData,
  useLoaderData,
  useRouteError,
} from '@remix-run/react'
import {
  channelSettingsSchema,
  connectSchema,
  SlackConnect,
  SlackConnected,
} from '~/components/chat/slack-settings'
import { TeamsSettings, teamsSettingsSchema } from '~/components/chat/teams-settings'
import { ErrorPage } from '~/components/error-page'
import { requireMember } from '~/domain/access/guard.server'
import {
  authorizeUrl,
  chatSecretsKey,
  completeOAuth,
  connectWithManifest,
  disconnectSlack,
  oauthAvailable,
  oauthState,
  slackSettings,
  updateSlackChannelSettings,
} from '~/domain/chat/slack-installation.server'
import { slackAppManifest } from '~/domain/chat/slack-manifest'
import { applyTeamsSettings, teamsWebhookState } from '~/domain/chat/teams/teams-webhook.server'
import { DomainError } from '~/domain/domain-error'
import { forwardCacheControl } from '~/utils/cache-headers'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'

/** A Teams test card waits this long for Teams. */
const TEAMS_TIMEOUT_MS = 10_000
const PAGE = '/admin/integrations/slack'
const SECRET_FIELDS = { hideFields: ['botToken', 'signingSecret'] }

export const headers = forwardCacheControl

export const meta: MetaFunction = () => [{ title: 'Slack and Teams · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const url = new URL(request.url)
  // Slack's install flow comes back here: ?code&state, or ?error when the admin cancelled.
  if (url.searchParams.has('error'))
    return redirectWithFlash(
      PAGE,
      { kind: 'error', message: 'Slack installation was cancelled.' },
      context.env,
    )
  const code = url.searchParams.get('code')
  if (code !== null) {
    try {
      const { teamName } = await completeOAuth(context.orm, context.env, member, {
        code,
        state: url.searchParams.get('state') ?? '',
      })
      return redirectWithFlash(
        PAGE,
        { kind: 'success', message: `Connected to the Slack workspace ${teamName}.` },
        context.env,
      )
    } catch (error) {
      if (!(error instanceof DomainError) || error.status === 403) throw error
      return redirectWithFlash(PAGE, { kind: 'error', message: error.message }, context.env)
    }
  }
  const key = chatSecretsKey(context.env)
  const [settings, teams] = [
    await slackSettings(context.orm, member),
    await teamsWebhookState(context.orm, member, key),
  ]
  return data(
    {
      connection: settings
        ? { ...settings, installedAt: settings.installedAt.toISOString() }
        : null,
      oauth: oauthAvailable(context.env),
      manifest: JSON.stringify(slackAppManifest(context.env.APP_URL), null, 2),
      teams,
    },
    { headers: { 'Cache-Control': 'no-store' } },
  )
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const formData = await readFormData(request)
  const intent = String(formData.get('intent') ?? '')
  const done = (message: string) =>
    redirectWithFlash(PAGE, { kind: 'success', message }, context.env)

  if (intent === 'oauth-start') {
    if (!oauthAvailable(context.env)) throw new Response('Not found', { status: 404 })
    const state = oauthState(context.env, {
      sessionId: member.sessionId,
      organizationId: member.organization.id,
    })
    return redirect(authorizeUrl(context.env, state))
  }
  if (intent === 'disconnect') {
    await disconnectSlack(context.orm, member)
    return done('Slack disconnected. Its token and signing secret were deleted.')
  }
  if (intent === 'connect') {
    const submission = parseWithZod(formData, { schema: connectSchema })
    if (submission.status !== 'success')
      return data({ intent, result: submission.reply(SECRET_FIELDS) }, { status: 400 })
    try {
      const { teamName } = await connectWithManifest(
        context.orm,
        context.env,
        member,
        submission.value,
      )
      return done(`Connected to the Slack workspace ${teamName}.`)
    } catch (error) {
      return replyWithDomainError(submission, error, { ...SECRET_FIELDS, extra: { intent } })
    }
  }
  if (intent === 'channels') {
    const submission = parseWithZod(formData, { schema: channelSettingsSchema })
    if (submission.status !== 'success')
      return data({ intent, result: submission.reply() }, { status: 400 })
    try {
      await updateSlackChannelSettings(context.orm, member, {
        channelMode: submission.value.channelMode,
        sharedChannelId: submission.value.sharedChannelId ?? null,
        archiveOnClose: submission.value.archiveOnClose === 'on',
      })
      return done('Slack channel settings saved.')
    } catch (error) {
      return replyWithDomainError(submission, error, { extra: { intent } })
    }
  }
  const teams = teamsSettingsSchema.safeParse(Object.fromEntries(formData))
  // A refused URL is given back to the form, so the admin can correct it without JavaScript.
  const teamsUrl = intent === 'teams-save' ? String(formData.get('teamsUrl') ?? '') : ''
  if (!teams.success) {
    const urlError = teams.error.issues.find((i) => i.path[0] === 'teamsUrl')?.message
    if (intent === 'teams-save')
      return data({ intent, teams: { urlError: urlError ?? null, formError: null, teamsUrl } }, 400)
    throw new Response('Unknown form', { status: 400 })
  }
  try {
    const message = await applyTeamsSettings(context.orm, member, teams.data, {
      key: chatSecretsKey(context.env),
      allowedHosts: context.env.WEBHOOK_ALLOWED_HOSTS,
      appUrl: context.env.APP_URL,
      timeoutMs: TEAMS_TIMEOUT_MS,
    })
    return done(message)
  } catch (error) {
    if (!(error instanceof DomainError) || error.status === 403 || error.status === 404) throw error
    const teamsState =
      error.field === 'teamsUrl'
        ? { urlError: error.message, formError: null, teamsUrl }
        : { urlError: null, formError: error.message, teamsUrl }
    return data({ intent, teams: teamsState }, 400)
  }
}

export default function SlackSettingsPage() {
  const { connection, oauth, manifest, teams } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const resultFor = (intent: string) =>
    actionData && 'result' in actionData && actionData.intent === intent
      ? actionData.result
      : undefined
  const teamsReply = actionData && 'teams' in actionData ? actionData.teams : null
  return (
    <div className="space-y-10">
      <header>
        <h1 className="text-2xl font-bold">Slack and Microsoft Teams</h1>
        <p className="mt-1 text-sm text-slate-600">
          Work incidents from Slack with <code>/incident</code>, buttons, 📌 and the “Add to
          timeline” shortcut, and follow them in incident channels. Alert sources are on{' '}
          <Link to="/admin/integrations" className="underline">
            Integrations
          </Link>
          .
        </p>
      </header>
      {connection ? (
        <SlackConnected connection={connection} channelsResult={resultFor('channels')} />
      ) : (
        <SlackConnect oauth={oauth} manifest={manifest} connectResult={resultFor('connect')} />
      )}
      <TeamsSettings
        state={teams}
        teamsUrl={teamsReply?.teamsUrl}
        urlError={teamsReply?.urlError ?? null}
        formError={teamsReply?.formError ?? null}
      />
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
