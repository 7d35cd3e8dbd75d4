import type { ReactNode } from 'react'

/** One part of the printed report; every part but the first starts a new page. */
export function ReportSection({
  id,
  title,
  first = false,
  children,
}: {
  id: string
  title: string
  first?: boolean
  children: ReactNode
}) {
  return (
    <section
      aria-labelledby={`${id}-heading`}
      className={`space-y-3 ${first ? '' : 'print-break-before'} pt-6 print:pt-0`}
    >
      <h2 id={`${id}-heading`} className="text-xl font-bold">
        {title}
      </h2>
      {children}
    </section>
  )
}
