import { describe, expect, it } from 'vitest'
import { renderReportCharts } from './report-charts.server'
import { renderReportPdf } from './pdf-report.server'
import { fixtureDashboard } from '../../../tests/support/dashboard-fixture'
import { pdfText, pdfTextTitle, SKIP_PDF_TEXT } from '../../../tests/support/pdf'

/** The PDF renderer against a hand-made dashboard, its text read back with pdftotext. */

const definitions = [
  {
    name: 'Mean time to resolve (MTTR)',
    formula: 'Resolved − impact started.',
    counts: 'Incidents in the period that have been resolved.',
    exclusions: ['Incidents not resolved yet.'],
  },
]

describe('renderReportPdf', () => {
  it('produces a PDF document with the charts embedded', async () => {
    const dashboard = fixtureDashboard()
    const withCharts = await renderReportPdf({
      dashboard,
      filtersText: 'All incidents',
      definitions,
      charts: renderReportCharts(dashboard),
    })
    const without = await renderReportPdf({ dashboard, filtersText: 'All incidents', definitions })
    expect(withCharts.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    expect(withCharts.subarray(-6).toString('latin1')).toContain('%%EOF')
    // Four JPEG images (DCTDecode) make the document larger than the same report without them.
    expect(withCharts.toString('latin1').match(/\/DCTDecode/g)?.length).toBe(4)
    expect(withCharts.length).toBeGreaterThan(without.length + 20_000)
  })

  it('reports progress after each section, ending at 100', async () => {
    const seen: number[] = []
    await renderReportPdf({
      dashboard: fixtureDashboard(),
      filtersText: 'All incidents',
      definitions,
      onProgress: (percent) => {
        seen.push(percent)
      },
    })
    expect(seen.at(-1)).toBe(100)
    expect(seen).toEqual([...seen].sort((a, b) => a - b))
    expect(seen.length).toBeGreaterThanOrEqual(8)
  })

  it.skipIf(SKIP_PDF_TEXT)(
    pdfTextTitle(
      'writes organization, period, generation time, version, MTTR figures and non-Latin text (read back with pdftotext)',
    ),
    async () => {
      const dashboard = fixtureDashboard()
      const pdf = await renderReportPdf({
        dashboard,
        filtersText: 'SEV-1 · service Zahlungsdienst Süd',
        definitions,
        charts: renderReportCharts(dashboard),
      })
      const text = await pdfText(pdf)
      expect(text).toContain('Zürich → Köln Ops')
      // 1 Jan 23:00 UTC is 2 Jan in Zurich; `to` is exclusive, so the last day is 4 Jan.
      expect(text).toContain('Custom dates: 2 Jan 2026 – 4 Jan 2026 (Europe/Zurich)')
      expect(text).toContain('Generated: 5 Jan 2026, 09:30 CET')
      expect(text).toContain('Metric definitions version: 2026-07-fixture')
      expect(text).toContain('SEV-1 · service Zahlungsdienst Süd')
      expect(text).toContain('MTTR (time to resolve)')
      for (const figure of ['1 h 30 min', '1 h 15 min', '3 h 20 min'])
        expect(text).toContain(figure)
      expect(text).toContain('Ada Ødegård')
      expect(text).toContain('50.0 %')
      expect(text).toContain('Resolved − impact started.')
      expect(text).toContain('Left out: Incidents not resolved yet.')
      expect(text).toMatch(/page 1 of \d+/)
    },
  )
})
