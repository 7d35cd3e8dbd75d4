import type { ChartConfiguration } from 'chart.js'
import { useEffect, useRef } from 'react'
import type { Dashboard } from '~/domain/analytics/types'

/**
 * One chart of the dashboard: chart.js is loaded on this page only, after hydration, and draws
 * the numbers of the table beside it (`build` turns the dashboard into its configuration).
 */
export function ChartCanvas({
  label,
  dashboard,
  build,
}: {
  label: string
  dashboard: Dashboard
  build: (d: Dashboard) => ChartConfiguration
}) {
  const ref = useRef<HTMLCanvasElement>(null)
  useEffect(() => {
    let cancelled = false
    let chart: { destroy: () => void } | undefined
    void import('chart.js/auto').then(({ default: Chart }) => {
      const canvas = ref.current
      if (cancelled || !canvas) return
      chart = new Chart(canvas, build(dashboard))
      canvas.dataset.drawn = 'true'
    })
    return () => {
      cancelled = true
      chart?.destroy()
    }
  }, [dashboard, build])
  return (
    <div className="relative h-64">
      <canvas ref={ref} role="img" aria-label={`Chart: ${label}. The table has the same numbers.`}>
        {label}
      </canvas>
    </div>
  )
}
