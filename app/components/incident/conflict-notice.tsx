import type { ReactNode } from 'react'

/** The notice above a page's forms when a submission was refused as stale (409). */
export function ConflictNotice({ children }: { children: ReactNode }) {
  return (
    <div
      role="alert"
      className="rounded-md border border-amber-400 bg-amber-50 px-4 py-3 text-sm text-amber-900"
    >
      {children}
    </div>
  )
}
