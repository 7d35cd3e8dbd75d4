import { ALERT_SOURCE_OPTION_LABELS } from '~/domain/alerts/vocabulary'
import type { IntegrationPage } from '~/domain/alerts/integration-page.server'

/** Where an integration's alerts come from and how it stands, under the page's title. */
export function IntegrationSummary({
  integration,
  when,
}: {
  integration: IntegrationPage['integration']
  when: (iso: string) => string
}) {
  return (
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
  )
}
