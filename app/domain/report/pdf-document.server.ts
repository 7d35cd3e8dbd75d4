import PDFDocument from 'pdfkit'
import { dejavuFontPath } from './report-charts.server'

/**
 * What the PDF documents share: an A4 page with DejaVu Sans embedded (so any language prints as
 * typed), their colours, tables with a shaded header row, and a running footer.
 */

export const MARGIN = 50
// Fonts are named by their file path rather than registered under an alias: pdfkit's table
// restores the previous font after every cell by its source, and only a path source is found in
// its font cache (an alias re-reads and re-parses the TTF for every cell, ~15× slower).
export const BODY = dejavuFontPath('regular')
export const BOLD = dejavuFontPath('bold')
export const INK = '#0f172a'
export const MUTED = '#475569'
const HEADER_FILL = '#e2e8f0'
const BORDER = '#94a3b8'

export type Doc = InstanceType<typeof PDFDocument>

/**
 * A new A4 document with buffered pages (for the footer) and `info` as its metadata; its title
 * is what a viewer's title bar shows. `finished` resolves with the bytes once `doc.end()` ran.
 */
export function openPdf(info: { Title: string; Author: string; Subject: string }) {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    displayTitle: true,
    lang: 'en',
    info: { ...info, Creator: 'IncidentFlow' },
  })
  const chunks: Buffer[] = []
  doc.on('data', (chunk: Buffer) => chunks.push(chunk))
  const finished = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
  return { doc, finished }
}

/**
 * A table across the page with a shaded, bold header row; without rows, one row saying `empty`
 * across all columns.
 */
export function pdfTable(
  doc: Doc,
  header: string[],
  rows: string[][],
  options: { empty: string; columnStyles: PDFKit.Mixins.TableOptions['columnStyles'] },
) {
  doc.font(BODY).fontSize(9).fillColor(INK)
  const body: Array<Array<string | PDFKit.Mixins.CellOptions>> =
    rows.length > 0 ? rows : [[{ text: options.empty, colSpan: header.length }]]
  doc.table({
    position: { x: MARGIN },
    maxWidth: doc.page.width - 2 * MARGIN,
    columnStyles: options.columnStyles,
    defaultStyle: { border: 0.5, borderColor: BORDER, padding: [3, 4, 3, 4] },
    data: [
      header.map((text) => ({
        text,
        type: 'TH' as const,
        font: { src: BOLD },
        backgroundColor: HEADER_FILL,
      })),
      ...body,
    ],
  })
  doc.x = MARGIN
}

/** Writes `text(page, pages)` at the foot of every page, once the page count is known. */
export function runningFooter(doc: Doc, text: (page: number, pages: number) => string) {
  const range = doc.bufferedPageRange()
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i)
    const bottom = doc.page.margins.bottom
    doc.page.margins.bottom = 0
    doc
      .font(BODY)
      .fontSize(8)
      .fillColor(MUTED)
      .text(text(i + 1, range.count), MARGIN, doc.page.height - 32, {
        width: doc.page.width - 2 * MARGIN,
        align: 'center',
        lineBreak: false,
      })
    doc.page.margins.bottom = bottom
  }
}
