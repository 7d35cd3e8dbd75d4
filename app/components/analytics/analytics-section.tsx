import type { ComponentProps, ReactNode } from 'react'
import {
  DEFINITION_BY_ID,
  DEFINITIONS_VERSION,
  type DefinitionId,
} from '~/domain/analytics/metrics'
import type { Dashboard } from '~/domain/analytics/types'
import { AnalyticsChart } from './analytics-chart'

/** What every section of the dashboard is drawn from. */
export interface SectionProps {
  dashboard: Dashboard
  /** True once the page runs in the browser: the charts are drawn then. */
  enhanced: boolean
}

/**
 * One part of the dashboard, closed by how its numbers are counted; `chart`, when given, is drawn
 * from the section's dashboard first, above the tables.
 */
export function AnalyticsSection({
  id,
  title,
  definitions,
  chart,
  children,
  dashboard,
  enhanced,
}: Partial<SectionProps> & {
  id: string
  title: string
  definitions: DefinitionId[]
  chart?: Pick<ComponentProps<typeof AnalyticsChart>, 'label' | 'build'>
  children: ReactNode
}) {
  return (
    <section
      aria-labelledby={`${id}-heading`}
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
    >
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h2 id={`${id}-heading`} className="text-lg font-semibold">
          {title}
        </h2>
        <span className="text-xs text-slate-500">
          {`Metric definitions version ${DEFINITIONS_VERSION}`}
        </span>
      </div>
      {chart && dashboard ? (
        <AnalyticsChart {...chart} dashboard={dashboard} enhanced={enhanced ?? false} />
      ) : null}
      {children}
      <details
        className="rounded-md bg-slate-50 p-3 text-sm"
        id={id === 'volume' ? 'definitions-note' : undefined}
      >
        <summary className="cursor-pointer font-medium">
          {`How “${title}” is counted (definitions version ${DEFINITIONS_VERSION})`}
        </summary>
        <dl className="mt-2 space-y-3">
          {definitions.map((key) => {
            const def = DEFINITION_BY_ID[key]
            return (
              <div key={key}>
                <dt className="font-medium">{def.name}</dt>
                <dd className="text-slate-700">{def.formula}</dd>
                <dd className="text-slate-700">Counts: {def.counts}</dd>
                {def.exclusions.length > 0 ? (
                  <dd className="text-slate-700">
                    Leaves out:
                    <ul className="ml-5 list-disc">
                      {def.exclusions.map((e) => (
                        <li key={e}>{e}</li>
                      ))}
                    </ul>
                  </dd>
                ) : null}
              </div>
            )
          })}
        </dl>
      </details>
    </section>
  )
}
