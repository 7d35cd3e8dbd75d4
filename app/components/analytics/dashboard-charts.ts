import type { ChartConfiguration } from 'chart.js'
import {
  RESPONSE_METRICS,
  SEVERITY_COLORS,
  secondsToHours,
  slaCompliancePercent,
} from '~/domain/analytics/dashboard-figures'
import type { Dashboard, MetricId } from '~/domain/analytics/types'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import { METRIC_SHORT } from '~/domain/report/report-text'
import { SLA_TARGETS, SLA_TARGET_LABELS } from '~/domain/sla/policy'

/** The dashboard page's charts, drawn in the browser from the same figures as its tables. */

/** Rows shown in the recurring-problems tables and chart; the exports carry all of them. */
export const TOP = 10

const METRIC_COLORS: Record<MetricId, string> = {
  mtta: '#2f5bd3',
  mttm: '#0891b2',
  mttr: '#7c3aed',
}

const baseOptions = {
  responsive: true,
  maintainAspectRatio: false,
  animation: false,
} as const

export function volumeChart(d: Dashboard): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: d.volume.map((v) => v.bucket),
      datasets: SEVERITIES.map((s) => ({
        label: s,
        data: d.volume.map((v) => v.counts[s]),
        backgroundColor: SEVERITY_COLORS[s],
      })),
    },
    options: {
      ...baseOptions,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
    },
  }
}

export function trendChart(d: Dashboard): ChartConfiguration {
  return {
    type: 'line',
    data: {
      labels: d.responseTrend.map((t) => t.bucket),
      datasets: RESPONSE_METRICS.map((m) => ({
        label: `${METRIC_SHORT[m]} median (h)`,
        data: d.responseTrend.map((t) => secondsToHours(t[m].median)),
        borderColor: METRIC_COLORS[m],
        backgroundColor: METRIC_COLORS[m],
        spanGaps: true,
        pointRadius: 0,
      })),
    },
    options: {
      ...baseOptions,
      scales: { y: { beginAtZero: true, title: { display: true, text: 'hours' } } },
    },
  }
}

export function slaChart(d: Dashboard): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: SLA_TARGETS.map((t) => SLA_TARGET_LABELS[t]),
      datasets: SEVERITIES.map((s) => ({
        label: s,
        data: SLA_TARGETS.map((target) => slaCompliancePercent(d, target, s)),
        backgroundColor: SEVERITY_COLORS[s],
      })),
    },
    options: {
      ...baseOptions,
      scales: { y: { min: 0, max: 100, title: { display: true, text: '%' } } },
    },
  }
}

export function recurringChart(d: Dashboard): ChartConfiguration {
  const services = d.topServices.slice(0, TOP)
  const types = d.topIncidentTypes.slice(0, TOP)
  return {
    type: 'bar',
    data: {
      labels: [...services.map((s) => s.name), ...types.map((t) => t.name)],
      datasets: [
        {
          label: 'Incidents per service',
          data: [...services.map((s) => s.count), ...types.map(() => null)],
          backgroundColor: '#2f5bd3',
        },
        {
          label: 'Incidents per incident type',
          data: [...services.map(() => null), ...types.map((t) => t.count)],
          backgroundColor: '#7c3aed',
        },
      ],
    },
    options: {
      ...baseOptions,
      indexAxis: 'y',
      scales: { x: { beginAtZero: true }, y: { stacked: true } },
    },
  }
}

export function peopleChart(d: Dashboard): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: d.people.map((p) => p.name),
      datasets: [
        { label: 'Commanded', data: d.people.map((p) => p.commanded), backgroundColor: '#2f5bd3' },
        { label: 'Assigned', data: d.people.map((p) => p.assigned), backgroundColor: '#0891b2' },
      ],
    },
    options: { ...baseOptions, scales: { y: { beginAtZero: true } } },
  }
}

export function openAgeChart(d: Dashboard): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: d.openByAge.map((a) => a.label),
      datasets: [
        {
          label: 'Open incidents',
          data: d.openByAge.map((a) => a.count),
          backgroundColor: '#b91c1c',
        },
      ],
    },
    options: { ...baseOptions, scales: { y: { beginAtZero: true } } },
  }
}
