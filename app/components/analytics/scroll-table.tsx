import type { ReactNode } from 'react'

/**
 * A table taller than its box scrolls inside it: the box takes keyboard focus (and is a named
 * region) so that people without a mouse can scroll it with the arrow keys.
 */
export function ScrollTable({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div
      role="region"
      aria-label={label}
      tabIndex={0}
      className="max-h-[32rem] overflow-auto rounded-md border border-slate-200"
    >
      {children}
    </div>
  )
}
