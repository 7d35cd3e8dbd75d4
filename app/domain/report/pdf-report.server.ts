import { RESPONSE_METRICS } from '~/domain/analytics/dashboard-figures'
import type { Dashboard } from '~/domain/analytics/types'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import { SLA_TARGET_LABELS } from '~/domain/sla/policy'
import { formatInZone } from '~/utils/time'
import {
  BODY,
  BOLD,
  INK,
  MARGIN,
  MUTED,
  openPdf,
  pdfTable,
  runningFooter,
  type Doc,
} from './pdf-document.server'
import type { ReportCharts } from './report-charts.server'
import {
  describePeriod,
  formatPercent,
  formatSeconds,
  METRIC_LABELS,
  statsCells,
} from './report-text'

/**
 * The PDF report: a cover with organization, period, generation time and definitions version,
 * then one section per part of the dashboard (tables, with the charts drawn from the same data),
 * then the metric definitions. Text is set in DejaVu Sans, embedded, so arrows, accents and
 * non-Latin names print as typed (pdfkit's built-in Helvetica only knows WinAnsi).
 */

/** A metric definition as the report prints it (the shape of `METRIC_DEFINITIONS` entries). */
export interface DefinitionText {
  name: string
  formula: string
  counts: string
  exclusions: readonly string[]
}

export interface ReportPdfInput {
  dashboard: Dashboard
  /** The filters besides the period, in words (see `describeFilters`). */
  filtersText: string
  /** Shown as the last section; every number in the report follows them. */
  definitions: readonly DefinitionText[]
  charts?: ReportCharts | null
  /** Called after each section with the share of the document done so far (0–100). */
  onProgress?: (percent: number) => void | Promise<void>
}

function heading(doc: Doc, text: string) {
  doc.font(BOLD).fontSize(16).fillColor(INK).text(text)
  doc.moveDown(0.4)
}

function subheading(doc: Doc, text: string) {
  doc.moveDown(0.6)
  doc.font(BOLD).fontSize(12).fillColor(INK).text(text)
  doc.moveDown(0.3)
}

function note(doc: Doc, text: string) {
  doc.font(BODY).fontSize(9).fillColor(MUTED).text(text)
  doc.fillColor(INK)
  doc.moveDown(0.3)
}

/**
 * A table with a shaded, bold header row; numbers right-aligned from column `numericFrom` on; the
 * first column (names) `firstWidth` wide, the others sharing the rest.
 */
function table(
  doc: Doc,
  header: string[],
  rows: string[][],
  options: { numericFrom?: number; firstWidth?: number } = {},
) {
  const numericFrom = options.numericFrom ?? 1
  const firstWidth = options.firstWidth ?? (header.length > 2 ? 150 : undefined)
  pdfTable(doc, header, rows, {
    empty: 'None in this period',
    columnStyles: (column) => ({
      ...(column === 0 && firstWidth ? { width: firstWidth } : {}),
      ...(column >= numericFrom ? { align: { x: 'right' as const } } : {}),
    }),
  })
  doc.moveDown(0.6)
}

function chart(doc: Doc, image: Buffer | undefined) {
  if (!image) return
  const width = doc.page.width - 2 * MARGIN
  const height = Math.round((width * 520) / 1200)
  if (doc.y + height > doc.page.maxY()) doc.addPage()
  doc.image(image, MARGIN, doc.y, { width, height })
  doc.y += height + 8
  doc.x = MARGIN
}

function section(doc: Doc, title: string) {
  doc.addPage()
  heading(doc, title)
}

/** MTTA, MTTM and MTTR over the period: incidents counted, mean, median and p90. */
function responseTable(doc: Doc, dashboard: Dashboard) {
  table(
    doc,
    ['Metric', 'Incidents', 'Mean', 'Median', 'p90'],
    RESPONSE_METRICS.map((m) => [METRIC_LABELS[m], ...statsCells(dashboard.responseTimes[m])]),
  )
}

/** Renders the report and resolves with the PDF's bytes. */
export async function renderReportPdf(input: ReportPdfInput): Promise<Buffer> {
  const { dashboard, charts } = input
  const zone = dashboard.organization.timezone
  const period = describePeriod(dashboard.filters, zone)
  const generated = formatInZone(dashboard.generatedAt, zone)
  const { doc, finished } = openPdf({
    Title: `Incident report · ${dashboard.organization.name} · ${period}`,
    Author: dashboard.organization.name,
    Subject: `Metric definitions version ${dashboard.definitionsVersion}`,
  })
  doc.font(BODY)

  const progress = async (percent: number) => {
    await input.onProgress?.(Math.round(percent))
  }
  const steps = 8
  let step = 0
  const advance = () => progress((++step / steps) * 100)

  // Cover
  doc.font(BODY).fontSize(11).fillColor(MUTED).text('IncidentFlow · incident report')
  doc.moveDown(1.5)
  doc.font(BOLD).fontSize(26).fillColor(INK).text(dashboard.organization.name)
  doc.moveDown(0.5)
  doc.font(BODY).fontSize(13).text(`Period: ${period}`)
  doc.moveDown(0.3)
  doc.fontSize(11).text(`Filters: ${input.filtersText}`)
  doc.text(`Generated: ${generated}`)
  doc.text(`Metric definitions version: ${dashboard.definitionsVersion}`)
  doc.moveDown(1.2)
  subheading(doc, 'At a glance')
  const { totals } = dashboard
  table(
    doc,
    ['Incidents in the period', 'Open now', ...SEVERITIES],
    [
      [
        String(totals.incidents),
        String(totals.open),
        ...SEVERITIES.map((s) => String(totals.bySeverity[s] ?? 0)),
      ],
    ],
    { numericFrom: 0, firstWidth: 0 },
  )
  responseTable(doc, dashboard)
  await advance()

  section(doc, '1. Incident volume')
  note(doc, `Incidents declared per ${dashboard.filters.bucket}, by severity (${zone}).`)
  chart(doc, charts?.volume)
  table(
    doc,
    [dashboard.filters.bucket === 'week' ? 'Week of' : 'Day', ...SEVERITIES, 'Total'],
    dashboard.volume.map((v) => [
      v.bucket,
      ...SEVERITIES.map((s) => String(v.counts[s] ?? 0)),
      String(v.total),
    ]),
  )
  await advance()

  section(doc, '2. Response times')
  note(
    doc,
    'Each metric counts only the incidents that reached that point; see the definitions at the end.',
  )
  responseTable(doc, dashboard)
  chart(doc, charts?.responseTrend)
  subheading(doc, `Trend per ${dashboard.filters.bucket} (median, with incidents counted)`)
  table(
    doc,
    [dashboard.filters.bucket === 'week' ? 'Week of' : 'Day', 'MTTA', 'MTTM', 'MTTR'],
    dashboard.responseTrend.map((r) => [
      r.bucket,
      ...RESPONSE_METRICS.map((m) => `${formatSeconds(r[m].median)} (${r[m].count})`),
    ]),
  )
  await advance()

  section(doc, '3. SLA compliance')
  note(doc, 'Compliance per target = met / (met + breached); targets not yet due are not counted.')
  chart(doc, charts?.slaCompliance)
  table(
    doc,
    ['Target', 'Severity', 'Met', 'Breached', 'Compliance'],
    dashboard.slaCompliance.map((r) => [
      SLA_TARGET_LABELS[r.target],
      r.severity,
      String(r.met),
      String(r.breached),
      formatPercent(r.compliance),
    ]),
    { numericFrom: 2 },
  )
  await advance()

  section(doc, '4. Recurring problems')
  subheading(doc, 'Services')
  table(
    doc,
    ['Service', 'Incidents', 'MTTR mean', 'MTTR median', 'MTTR p90'],
    dashboard.topServices.map((s) => [s.name, String(s.count), ...statsCells(s.mttr).slice(1)]),
  )
  subheading(doc, 'Incident types')
  table(
    doc,
    ['Incident type', 'Incidents', 'MTTR mean', 'MTTR median', 'MTTR p90'],
    dashboard.topIncidentTypes.map((t) => [
      t.name,
      String(t.count),
      ...statsCells(t.mttr).slice(1),
    ]),
  )
  await advance()

  section(doc, '5. People')
  note(doc, 'Incidents commanded and assigned per member in the period; MTTR of those commanded.')
  table(
    doc,
    ['Member', 'Commanded', 'Assigned', 'MTTR mean', 'MTTR median', 'MTTR p90'],
    dashboard.people.map((p) => [
      p.name,
      String(p.commanded),
      String(p.assigned),
      ...statsCells(p.mttr).slice(1),
    ]),
  )
  await advance()

  section(doc, '6. Open incidents by age')
  note(doc, `Incidents open at ${generated}, whatever the period, by time since impact started.`)
  chart(doc, charts?.openByAge)
  table(
    doc,
    ['Age', 'Open incidents'],
    dashboard.openByAge.map((a) => [a.label, String(a.count)]),
  )
  await advance()

  section(doc, `Metric definitions (version ${dashboard.definitionsVersion})`)
  for (const definition of input.definitions) {
    doc.font(BOLD).fontSize(10).fillColor(INK).text(definition.name)
    doc.font(BODY).fontSize(9.5).text(definition.formula)
    doc.text(`Counted: ${definition.counts}`)
    for (const exclusion of definition.exclusions) doc.text(`Left out: ${exclusion}`)
    doc.moveDown(0.6)
  }
  await advance()

  runningFooter(
    doc,
    (page, pages) => `${dashboard.organization.name} · ${period} · page ${page} of ${pages}`,
  )
  doc.end()
  const bytes = await finished
  await progress(100)
  return bytes
}
