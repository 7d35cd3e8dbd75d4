import { Form, Link } from '@remix-run/react'
import type { EscalationRulesPage } from '~/domain/escalation/rules-page.server'

/** One button of a rule's row; the rule's name is in its accessible name. */
function RowButton({
  intent,
  children,
  ruleName,
  disabled,
  danger,
}: {
  intent: string
  children: string
  ruleName: string
  disabled?: boolean
  danger?: boolean
}) {
  return (
    <button
      type="submit"
      name="intent"
      value={intent}
      disabled={disabled}
      className={`rounded-md border px-2 py-1 text-sm disabled:opacity-40 ${
        danger
          ? 'border-red-300 text-red-800 hover:bg-red-50'
          : 'border-slate-300 hover:bg-slate-50'
      }`}
    >
      {children}
      <span className="sr-only"> rule “{ruleName}”</span>
    </button>
  )
}

/** The rules in firing order, each with its sentence and its move, enable, edit, delete buttons. */
export function RuleList({ rules }: { rules: EscalationRulesPage['rules'] }) {
  return (
    <section aria-labelledby="rules-heading">
      <h2 id="rules-heading" className="text-lg font-semibold">
        Rules
      </h2>
      {rules.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">No rules: nothing escalates automatically.</p>
      ) : (
        <ol className="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
          {rules.map((rule, index) => (
            <li
              key={rule.id}
              aria-label={rule.name}
              className={`px-4 py-3 text-sm ${rule.enabled ? '' : 'bg-slate-50 text-slate-500'}`}
            >
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <span className="font-medium text-slate-900">
                  {index + 1}. {rule.name}
                  <span className="ml-2 text-xs font-normal text-slate-500">
                    {rule.enabled ? 'Enabled' : 'Disabled'}
                  </span>
                </span>
                <Form method="post" className="flex flex-wrap gap-1">
                  <input type="hidden" name="id" value={rule.id} />
                  <RowButton intent="move-up" ruleName={rule.name} disabled={index === 0}>
                    Move up
                  </RowButton>
                  <RowButton
                    intent="move-down"
                    ruleName={rule.name}
                    disabled={index === rules.length - 1}
                  >
                    Move down
                  </RowButton>
                  <RowButton intent={rule.enabled ? 'disable' : 'enable'} ruleName={rule.name}>
                    {rule.enabled ? 'Disable' : 'Enable'}
                  </RowButton>
                  <Link
                    to={`?edit=${rule.id}`}
                    className="rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-50"
                  >
                    Edit<span className="sr-only"> rule “{rule.name}”</span>
                  </Link>
                  <RowButton intent="delete" ruleName={rule.name} danger>
                    Delete
                  </RowButton>
                </Form>
              </div>
              <p className="mt-1">{rule.sentence}</p>
            </li>
          ))}
        </ol>
      )}
    </section>
  )
}
