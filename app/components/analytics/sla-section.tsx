import { slaComplianceOf } from '~/domain/analytics/dashboard-figures'
import { formatPercent } from '~/domain/analytics/metrics'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import { SLA_TARGETS, SLA_TARGET_LABELS } from '~/domain/sla/policy'
import { AnalyticsSection, type SectionProps } from './analytics-section'
import { slaChart } from './dashboard-charts'
import { DashboardTable } from './dashboard-table'
import { cell, numberCell } from './duration-cells'

export function SlaSection(props: SectionProps) {
  const d = props.dashboard
  return (
    <AnalyticsSection
      {...props}
      id="sla"
      title="SLA compliance"
      definitions={['sla-compliance']}
      chart={{ label: 'SLA compliance per target and severity, in percent', build: slaChart }}
    >
      <DashboardTable
        label="Targets met and breached per severity"
        caption="SLA compliance per target and severity: met ÷ (met + breached)"
        columns={['Target', ...SEVERITIES]}
      >
        {SLA_TARGETS.map((target) => (
          <tr key={target}>
            <th scope="row" className={`${cell} text-left font-medium`}>
              {SLA_TARGET_LABELS[target]}
            </th>
            {SEVERITIES.map((severity) => {
              const c = slaComplianceOf(d, target, severity)
              return (
                <td key={severity} className={numberCell}>
                  {c && c.compliance !== null ? (
                    <>
                      <span className="font-medium">{formatPercent(c.compliance)}</span>{' '}
                      <span className="text-slate-600">
                        ({c.met} met, {c.breached} breached)
                      </span>
                    </>
                  ) : (
                    <span className="text-slate-500">— (none counted)</span>
                  )}
                </td>
              )
            })}
          </tr>
        ))}
      </DashboardTable>
    </AnalyticsSection>
  )
}
