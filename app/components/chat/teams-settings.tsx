import { Form } from '@remix-run/react'
import * as z from '~/utils/zod'
import { Card } from '~/components/card'
import { FormError } from '~/components/form-error'
import { Field, SubmitButton } from '~/components/forms'

/**
 * The Microsoft Teams section of the Slack settings page (admins): the incoming-webhook URL that
 * receives a card for every declared incident and status change, "Send test card", and removal.
 * The page's action parses it with `teamsSettingsSchema` and hands the value to
 * `applyTeamsSettings` (app/domain/chat/teams/teams-webhook.server.ts).
 */

export const TEAMS_INTENTS = ['teams-save', 'teams-test', 'teams-remove'] as const

export const teamsSettingsSchema = z.discriminatedUnion('intent', [
  z.object({
    intent: z.literal('teams-save'),
    teamsUrl: z
      .string({ error: 'Paste the incoming webhook URL from Teams.' })
      .trim()
      .min(1, 'Paste the incoming webhook URL from Teams.')
      .max(2000, 'Keep the URL under 2,000 characters.'),
  }),
  z.object({ intent: z.literal('teams-test') }),
  z.object({ intent: z.literal('teams-remove') }),
])

export type TeamsSettingsInput = z.infer<typeof teamsSettingsSchema>

export interface TeamsSettingsProps {
  state: { configured: boolean; host: string | null; updatedAt: string | null }
  /** The action the forms post to (the page's own URL by default). */
  action?: string
  /** What the admin typed, echoed back after a refusal (so JavaScript-off keeps it). */
  teamsUrl?: string
  /** The refusal under the URL field. */
  urlError?: string | null
  /** A refusal about the whole section (e.g. the test card). */
  formError?: string | null
}

export function TeamsSettings({
  state,
  action,
  teamsUrl,
  urlError,
  formError,
}: TeamsSettingsProps) {
  return (
    <Card id="teams-heading" heading="Microsoft Teams">
      <p className="mt-1 max-w-2xl text-sm text-slate-600">
        A Teams channel gets a card for each declared incident and each status change. In Teams, add
        the <strong>Incoming Webhook</strong> connector (or a Workflows “post to a channel when a
        webhook request is received” flow) and paste its URL here. The URL is stored encrypted and
        is not shown again.
      </p>
      <p className="mt-3 text-sm" id="teams-status">
        {state.configured
          ? `Cards go to the webhook at ${state.host ?? 'a saved address'}.`
          : 'No Teams webhook is set.'}
      </p>
      <FormError errors={formError ? [formError] : null} />
      <Form method="post" action={action} className="mt-4 max-w-2xl">
        <Field
          label={state.configured ? 'New Teams webhook URL' : 'Teams webhook URL'}
          name="teamsUrl"
          id="teams-url"
          type="url"
          autoComplete="off"
          required
          maxLength={2000}
          defaultValue={teamsUrl ?? ''}
          hint="Only public https:// addresses are accepted."
          errors={urlError ? [urlError] : undefined}
        />
        <SubmitButton name="intent" value="teams-save" pendingLabel="Saving…">
          Save Teams webhook
        </SubmitButton>
      </Form>
      {state.configured ? (
        <div className="mt-4 flex flex-wrap gap-2">
          <Form method="post" action={action}>
            <SubmitButton
              name="intent"
              value="teams-test"
              variant="secondary"
              pendingLabel="Sending…"
            >
              Send test card
            </SubmitButton>
          </Form>
          <Form method="post" action={action}>
            <SubmitButton
              name="intent"
              value="teams-remove"
              variant="secondary"
              pendingLabel="Removing…"
            >
              Remove Teams webhook
            </SubmitButton>
          </Form>
        </div>
      ) : null}
    </Card>
  )
}
