import { Form, Link } from '@remix-run/react'
import type { ReactNode } from 'react'
import { ErrorList, SubmitButton } from './forms'

/** The look of a secondary action button on a settings page. */
export const secondaryButtonClass =
  'rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm hover:bg-slate-50'

/** A detail page's title with a link back to the list it belongs to. */
export function DetailHeader({
  backTo,
  backLabel,
  title,
  children,
}: {
  backTo: string
  backLabel: string
  title: ReactNode
  /** What the page says under its title. */
  children?: ReactNode
}) {
  return (
    <header>
      <p className="text-sm">
        <Link to={backTo} className="text-brand-700 underline">
          {backLabel}
        </Link>
      </p>
      <h1 className="mt-1 text-2xl font-bold break-all">{title}</h1>
      {children}
    </header>
  )
}

/** One-button forms posting `intent` to `action`, in a row under a hidden "Actions" heading. */
export function IntentButtons({
  action,
  buttons,
}: {
  action: string
  buttons: Array<{ intent: string; label: string; disabled?: boolean }>
}) {
  return (
    <section aria-labelledby="actions-heading" className="space-y-3">
      <h2 id="actions-heading" className="sr-only">
        Actions
      </h2>
      <div className="flex flex-wrap gap-2">
        {buttons.map((button) => (
          <Form key={button.intent} method="post" action={action}>
            <button
              type="submit"
              name="intent"
              value={button.intent}
              className={secondaryButtonClass}
              disabled={button.disabled}
            >
              {button.label}
            </button>
          </Form>
        ))}
      </div>
    </section>
  )
}

/**
 * Deleting with a tick-box to confirm (`confirm=yes`, `intent=delete`); the action answers a
 * missing tick with `error`.
 */
export function DeleteSection({
  action,
  heading,
  confirmLabel,
  submitLabel,
  error,
}: {
  action: string
  heading: string
  confirmLabel: string
  submitLabel: string
  error: string | null | undefined
}) {
  return (
    <section
      aria-labelledby="delete-heading"
      className="rounded-lg border border-red-200 bg-white p-6"
    >
      <h2 id="delete-heading" className="text-lg font-semibold">
        {heading}
      </h2>
      <Form method="post" action={action} className="mt-3 space-y-3">
        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            name="confirm"
            value="yes"
            required
            aria-describedby={error ? 'delete-error' : undefined}
            className="rounded border-slate-300"
          />
          {confirmLabel}
        </label>
        <ErrorList id="delete-error" errors={error ? [error] : null} />
        <SubmitButton name="intent" value="delete" variant="danger">
          {submitLabel}
        </SubmitButton>
      </Form>
    </section>
  )
}
