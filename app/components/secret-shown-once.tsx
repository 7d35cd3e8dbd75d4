import type { ReactNode } from 'react'

/**
 * A secret on the one answer that carries it: IncidentFlow keeps only a fingerprint, so the
 * page says so and offers the value read-only for copying.
 */
export function SecretShownOnce({
  id,
  heading,
  message,
  label,
  value,
  children,
}: {
  /** The input's id; the heading's is `${id}-heading`. */
  id: string
  heading: ReactNode
  message: ReactNode
  label: string
  value: string
  /** What follows the input: how to use the secret, a link onward. */
  children?: ReactNode
}) {
  const headingId = `${id}-heading`
  return (
    <section
      aria-labelledby={headingId}
      className="rounded-lg border border-amber-300 bg-amber-50 p-4"
    >
      <h2 id={headingId} className="text-lg font-semibold">
        {heading}
      </h2>
      <p className="mt-1 text-sm text-amber-900" role="status">
        {message}
      </p>
      <label htmlFor={id} className="mt-3 block text-sm font-medium text-slate-800">
        {label}
      </label>
      <input
        id={id}
        readOnly
        value={value}
        autoComplete="off"
        spellCheck={false}
        className="mt-1 block w-full rounded-md border-slate-300 font-mono text-sm"
      />
      {children}
    </section>
  )
}
