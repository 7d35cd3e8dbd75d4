import type { ReactNode } from 'react'

/** A titled white card, e.g. around an edit form. */
export function Card({
  id,
  heading,
  children,
}: {
  /** The heading's id, which labels the section. */
  id: string
  heading: ReactNode
  children: ReactNode
}) {
  return (
    <section aria-labelledby={id} className="rounded-lg border border-slate-200 bg-white p-6">
      <h2 id={id} className="text-lg font-semibold">
        {heading}
      </h2>
      {children}
    </section>
  )
}
