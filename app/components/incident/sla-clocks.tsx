import { Countdown, SlaBadge } from '~/components/sla'
import type { IncidentPageView } from '~/domain/incident/incident-page.server'

/** The incident's SLA targets: each one's state, due time and countdown (or when it was reached). */
export function SlaClocks({
  sla,
  severity,
  renderedAt,
}: {
  sla: NonNullable<IncidentPageView['sla']>
  severity: string
  renderedAt: string
}) {
  return (
    <section
      aria-labelledby="sla-heading"
      className="rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 id="sla-heading" className="text-sm font-semibold">
        SLA{' '}
        <span className="font-normal text-slate-600">
          — {severity} targets from impact start, policy v{sla.policyVersion}
        </span>
      </h2>
      <ul className="mt-2 space-y-1 text-sm">
        {sla.clocks.map((c) => (
          <li
            key={c.target}
            className="flex flex-wrap items-center gap-2"
            data-sla-target={c.target}
          >
            <SlaBadge state={c.state} label={c.label} />
            <span>
              {c.length} target, due <time dateTime={c.dueAt}>{c.dueAtText}</time>
            </span>
            <span className="text-slate-600">
              {c.reachedAtText ? (
                `reached ${c.reachedAtText}`
              ) : (
                <Countdown dueAt={c.dueAt} renderedAt={renderedAt} />
              )}
            </span>
          </li>
        ))}
      </ul>
    </section>
  )
}
