import { METRIC_DEFINITIONS } from '~/domain/analytics/metrics'
import { ReportSection } from './report-section'

/** Every metric definition the report's numbers follow, with what each leaves out. */
export function ReportDefinitionsSection({ version }: { version: string }) {
  return (
    <ReportSection id="definitions" title={`Metric definitions (version ${version})`}>
      <dl className="space-y-3 text-sm">
        {METRIC_DEFINITIONS.map((definition) => (
          <div key={definition.id} className="print-avoid-break">
            <dt className="font-semibold">{definition.name}</dt>
            <dd>{definition.formula}</dd>
            <dd>Counted: {definition.counts}</dd>
            {definition.exclusions.map((exclusion) => (
              <dd key={exclusion}>Left out: {exclusion}</dd>
            ))}
          </div>
        ))}
      </dl>
    </ReportSection>
  )
}
