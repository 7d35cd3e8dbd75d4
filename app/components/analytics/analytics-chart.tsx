import type { ChartConfiguration } from 'chart.js'
import type { Dashboard } from '~/domain/analytics/types'
import { ChartCanvas } from './chart-canvas'

/** A section's chart, drawn only once the page runs in the browser (`enhanced`). */
export function AnalyticsChart({
  enhanced,
  ...chart
}: {
  enhanced: boolean
  label: string
  dashboard: Dashboard
  build: (d: Dashboard) => ChartConfiguration
}) {
  return enhanced ? <ChartCanvas {...chart} /> : null
}
