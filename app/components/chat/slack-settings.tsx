import {
  getFormProps,
  getInputProps,
  getSelectProps,
  useForm,
  type SubmissionResult,
} from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { Form } from '@remix-run/react'
import * as z from '~/utils/zod'
import { Card } from '~/components/card'
import { FormError } from '~/components/form-error'
import { Field, SelectField, SubmitButton } from '~/components/forms'

/**
 * The Slack forms of /admin/integrations/slack: connect (the manifest way, or "Add to Slack"
 * when the app's OAuth credentials are configured), the channel settings, and disconnect. Every
 * form is a plain HTML form; the page's action tells them apart by `intent`.
 */

export const connectSchema = z.object({
  intent: z.literal('connect'),
  botToken: z
    .string({ error: 'Paste the bot token (xoxb-…).' })
    .trim()
    .min(1, 'Paste the bot token (xoxb-…).')
    .max(300),
  signingSecret: z
    .string({ error: 'Paste the signing secret.' })
    .trim()
    .min(1, 'Paste the signing secret.')
    .max(200),
})

export const channelSettingsSchema = z.object({
  intent: z.literal('channels'),
  channelMode: z.enum(['per_incident', 'shared'], { error: 'Choose how channels are used.' }),
  sharedChannelId: z.string().trim().max(40).optional(),
  archiveOnClose: z.literal('on').optional(),
})

export const SLACK_INTENTS = ['connect', 'oauth-start', 'channels', 'disconnect'] as const

const CHANNEL_MODE_OPTIONS = [
  { value: 'per_incident', label: 'A new channel for each incident (inc-<number>-<title>)' },
  { value: 'shared', label: 'One shared channel for every incident' },
]

export interface SlackConnection {
  teamName: string
  teamId: string
  installMethod: 'oauth' | 'manifest'
  channelMode: 'per_incident' | 'shared'
  sharedChannelId: string | null
  archiveOnClose: boolean
  installedAt: string
}

export function SlackConnected({
  connection,
  channelsResult,
}: {
  connection: SlackConnection
  channelsResult: SubmissionResult<string[]> | undefined
}) {
  const [form, fields] = useForm({
    id: 'slack-channels',
    lastResult: channelsResult,
    constraint: getZodConstraint(channelSettingsSchema),
    defaultValue: {
      channelMode: connection.channelMode,
      sharedChannelId: connection.sharedChannelId ?? '',
      archiveOnClose: connection.archiveOnClose ? 'on' : undefined,
    },
    shouldValidate: 'onBlur',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: channelSettingsSchema }),
  })
  return (
    <Card id="slack-connection-heading" heading="Slack workspace">
      <p className="mt-2 text-sm" id="slack-status">
        Connected to <strong>{connection.teamName}</strong> ({connection.teamId}) through{' '}
        {connection.installMethod === 'oauth' ? 'Slack’s install flow' : 'an app manifest'}. The bot
        token and signing secret are stored encrypted and are not shown again.
      </p>
      <Form method="post" className="mt-6 max-w-2xl" {...getFormProps(form)}>
        <h3 className="text-base font-semibold">Channels</h3>
        <FormError id={form.errorId} errors={form.errors} />
        <SelectField
          label="Channel for incidents"
          options={CHANNEL_MODE_OPTIONS}
          {...getSelectProps(fields.channelMode)}
          errors={fields.channelMode.errors}
        />
        <Field
          label="Shared channel ID"
          hint="Only for one shared channel: the channel’s ID (channel details → About, e.g. C0123456789). Invite the IncidentFlow app to it."
          {...getInputProps(fields.sharedChannelId, { type: 'text' })}
          errors={fields.sharedChannelId.errors}
        />
        <div className="mb-4 flex items-center gap-2">
          <input
            {...getInputProps(fields.archiveOnClose, { type: 'checkbox', value: 'on' })}
            className="rounded border-slate-300"
          />
          <label htmlFor={fields.archiveOnClose.id} className="text-sm text-slate-800">
            Archive an incident’s channel when the incident closes
          </label>
        </div>
        <SubmitButton name="intent" value="channels" pendingLabel="Saving…">
          Save channel settings
        </SubmitButton>
      </Form>
      <Form method="post" className="mt-6">
        <SubmitButton
          name="intent"
          value="disconnect"
          variant="danger"
          pendingLabel="Disconnecting…"
        >
          Disconnect Slack
        </SubmitButton>
      </Form>
    </Card>
  )
}

export function SlackConnect({
  oauth,
  manifest,
  connectResult,
}: {
  oauth: boolean
  manifest: string
  connectResult: SubmissionResult<string[]> | undefined
}) {
  const [form, fields] = useForm({
    id: 'slack-connect',
    lastResult: connectResult,
    constraint: getZodConstraint(connectSchema),
    shouldValidate: 'onBlur',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: connectSchema }),
  })
  return (
    <Card id="slack-connect-heading" heading="Connect a Slack workspace">
      {oauth ? (
        <Form method="post" className="mt-4">
          <p className="mb-3 text-sm text-slate-600">
            Install the IncidentFlow Slack app in your workspace; Slack sends you back here.
          </p>
          <SubmitButton name="intent" value="oauth-start">
            Add to Slack
          </SubmitButton>
        </Form>
      ) : null}
      <h3 className="mt-6 text-base font-semibold">
        {oauth ? 'Or create your own Slack app' : 'Create the Slack app'}
      </h3>
      <ol className="mt-2 list-decimal space-y-1 pl-5 text-sm text-slate-700">
        <li>
          At api.slack.com/apps choose <strong>Create New App → From an app manifest</strong>, pick
          the workspace and paste the manifest below.
        </li>
        <li>
          Install the app to the workspace, then copy the <strong>Bot User OAuth Token</strong>{' '}
          (OAuth &amp; Permissions) and the <strong>Signing Secret</strong> (Basic Information).
        </li>
        <li>Paste both here. They are checked with Slack and stored encrypted.</li>
      </ol>
      <label htmlFor="slack-manifest" className="mt-4 block text-sm font-medium text-slate-800">
        App manifest (JSON)
      </label>
      <textarea
        id="slack-manifest"
        readOnly
        rows={14}
        value={manifest}
        className="mt-1 block w-full rounded-md border-slate-300 font-mono text-xs"
      />
      <Form method="post" className="mt-6 max-w-2xl" autoComplete="off" {...getFormProps(form)}>
        <FormError id={form.errorId} errors={form.errors} />
        <Field
          label="Bot token"
          {...getInputProps(fields.botToken, { type: 'password' })}
          autoComplete="off"
          errors={fields.botToken.errors}
        />
        <Field
          label="Signing secret"
          {...getInputProps(fields.signingSecret, { type: 'password' })}
          autoComplete="off"
          errors={fields.signingSecret.errors}
        />
        <SubmitButton name="intent" value="connect" pendingLabel="Checking with Slack…">
          Connect Slack
        </SubmitButton>
      </Form>
    </Card>
  )
}
