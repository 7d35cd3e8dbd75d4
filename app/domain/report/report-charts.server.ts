import { createRequire } from 'node:module'
import path from 'node:path'
import { createCanvas, GlobalFonts } from '@napi-rs/canvas'
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Title,
  type ChartConfiguration,
  type Plugin,
} from 'chart.js'
import {
  RESPONSE_METRICS,
  SEVERITY_COLORS,
  secondsToHours,
  slaCompliancePercent,
} from '~/domain/analytics/dashboard-figures'
import type { Dashboard, MetricId } from '~/domain/analytics/types'
import { SLA_TARGET_LABELS, SLA_TARGETS } from '~/domain/sla/policy'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import { METRIC_SHORT } from './report-text'

/**
 * The charts of a PDF report, drawn on the server by chart.js on @napi-rs/canvas (a Skia canvas
 * shipped inside the npm package). JPEG rather than PNG: several times faster to encode and far
 * smaller for flat charts; JPEG has no transparency, so a plugin paints the background white.
 */

const require = createRequire(import.meta.url)

/** DejaVu Sans from the `dejavu-fonts-ttf` package: the same Unicode font on every machine. */
export function dejavuFontPath(weight: 'regular' | 'bold' = 'regular') {
  const dir = path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf')
  return path.join(dir, weight === 'bold' ? 'DejaVuSans-Bold.ttf' : 'DejaVuSans.ttf')
}

const FONT_FAMILY = 'DejaVu Sans'

let ready = false
function prepare() {
  if (ready) return
  GlobalFonts.registerFromPath(dejavuFontPath('regular'), FONT_FAMILY)
  GlobalFonts.registerFromPath(dejavuFontPath('bold'), FONT_FAMILY)
  Chart.register(
    BarController,
    BarElement,
    CategoryScale,
    LinearScale,
    LineController,
    LineElement,
    PointElement,
    Legend,
    Title,
  )
  Chart.defaults.font.family = FONT_FAMILY
  Chart.defaults.color = '#1e293b'
  ready = true
}

const whiteBackground: Plugin = {
  id: 'whiteBackground',
  beforeDraw(chart) {
    const { ctx } = chart
    ctx.save()
    ctx.globalCompositeOperation = 'destination-over'
    ctx.fillStyle = '#ffffff'
    ctx.fillRect(0, 0, chart.width, chart.height)
    ctx.restore()
  },
}

const METRIC_COLORS: Record<MetricId, string> = {
  mtta: '#2f5bd3',
  mttm: '#7c3aed',
  mttr: '#059669',
}
const TARGET_COLORS = ['#2f5bd3', '#7c3aed', '#059669']

export const CHART_WIDTH = 1200
export const CHART_HEIGHT = 520
const JPEG_QUALITY = 88

/** Draws one chart and encodes it as JPEG. */
function draw(config: ChartConfiguration): Buffer {
  prepare()
  const canvas = createCanvas(CHART_WIDTH, CHART_HEIGHT)
  const chart = new Chart(
    canvas as unknown as HTMLCanvasElement,
    {
      ...config,
      options: {
        ...config.options,
        animation: false,
        responsive: false,
        devicePixelRatio: 1,
        events: [],
      },
      plugins: [...(config.plugins ?? []), whiteBackground],
    } as ChartConfiguration,
  )
  try {
    return canvas.toBuffer('image/jpeg', JPEG_QUALITY)
  } finally {
    chart.destroy()
  }
}

const baseFont = { size: 20 }

function titled(text: string) {
  return {
    title: { display: true, text, font: { size: 26, weight: 'bold' as const } },
    legend: { position: 'bottom' as const, labels: { font: baseFont, boxWidth: 24 } },
  }
}

const axes = (yTitle: string, stacked = false) => ({
  x: { stacked, ticks: { font: baseFont, maxRotation: 60, autoSkip: true } },
  y: {
    stacked,
    beginAtZero: true,
    ticks: { font: baseFont, precision: 0 },
    title: { display: true, text: yTitle, font: baseFont },
  },
})

export interface ReportCharts {
  volume: Buffer
  responseTrend: Buffer
  slaCompliance: Buffer
  openByAge: Buffer
}

/** Every chart of the report, from the same dashboard data as its tables. */
export function renderReportCharts(dashboard: Dashboard): ReportCharts {
  const buckets = dashboard.volume.map((v) => v.bucket)
  const volume = draw({
    type: 'bar',
    data: {
      labels: buckets,
      datasets: SEVERITIES.map((severity) => ({
        label: severity,
        data: dashboard.volume.map((v) => v.counts[severity] ?? 0),
        backgroundColor: SEVERITY_COLORS[severity],
      })),
    },
    options: {
      plugins: titled(`Incidents per ${dashboard.filters.bucket} by severity`),
      scales: axes('Incidents', true),
    },
  })

  const responseTrend = draw({
    type: 'line',
    data: {
      labels: dashboard.responseTrend.map((r) => r.bucket),
      datasets: RESPONSE_METRICS.map((metric) => ({
        label: `${METRIC_SHORT[metric]} median`,
        data: dashboard.responseTrend.map((r) => secondsToHours(r[metric].median)),
        borderColor: METRIC_COLORS[metric],
        backgroundColor: METRIC_COLORS[metric],
        borderWidth: 3,
        pointRadius: 3,
        spanGaps: true,
      })),
    },
    options: {
      plugins: titled(`Median response times per ${dashboard.filters.bucket}`),
      scales: {
        ...axes('Hours'),
        y: { ...axes('Hours').y, ticks: { font: baseFont } },
      },
    },
  })

  const slaCompliance = draw({
    type: 'bar',
    data: {
      labels: [...SEVERITIES],
      datasets: SLA_TARGETS.map((target, i) => ({
        label: SLA_TARGET_LABELS[target],
        data: SEVERITIES.map((severity) => slaCompliancePercent(dashboard, target, severity)),
        backgroundColor: TARGET_COLORS[i],
      })),
    },
    options: {
      plugins: titled('SLA compliance (met / (met + breached))'),
      scales: {
        x: { ticks: { font: baseFont } },
        y: {
          min: 0,
          max: 100,
          ticks: { font: baseFont },
          title: { display: true, text: 'Percent', font: baseFont },
        },
      },
    },
  })

  const openByAge = draw({
    type: 'bar',
    data: {
      labels: dashboard.openByAge.map((a) => a.label),
      datasets: [
        {
          label: 'Open incidents',
          data: dashboard.openByAge.map((a) => a.count),
          backgroundColor: '#2f5bd3',
        },
      ],
    },
    options: {
      plugins: { ...titled('Open incidents by age'), legend: { display: false } },
      scales: axes('Incidents'),
    },
  })

  return { volume, responseTrend, slaCompliance, openByAge }
}
