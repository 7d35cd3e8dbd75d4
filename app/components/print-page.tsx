import type { ReactNode } from 'react'

/** Every character outside [A-Za-z0-9 ] as a CSS escape, so user text is safe inside `content`. */
function cssString(text: string) {
  let out = ''
  for (const ch of text) {
    out += /[A-Za-z0-9 ]/.test(ch) ? ch : `\\${ch.codePointAt(0)!.toString(16)} `
  }
  return `"${out}"`
}

/**
 * A page laid out for A4 paper: running head and foot with page numbers in print, and a
 * screen-only bar (`data-no-print`) that says how to print and leads back. The page's content
 * goes in `children`, usually a `<main id="main">`.
 */
export function PrintPage({
  runningHead,
  runningFoot,
  tableRules,
  instructions,
  links,
  children,
}: {
  runningHead: string
  runningFoot: string
  /** Print-only CSS for the page's tables, e.g. repeating their header rows. */
  tableRules: string
  instructions: string
  /** The bar's links and buttons, beside the instructions. */
  links: ReactNode
  children: ReactNode
}) {
  const pageStyle = `
    @media print {
      @page {
        size: A4;
        margin: 18mm 14mm 18mm 14mm;
        @top-center { content: ${cssString(runningHead)}; font-size: 8pt; color: #475569; }
        @bottom-left { content: ${cssString(runningFoot)}; font-size: 8pt; color: #475569; }
        @bottom-right { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #475569; }
      }
      html, body { font-size: 10pt; }
      ${tableRules}
    }`
  return (
    <div className="mx-auto max-w-4xl bg-white px-6 py-8 print:max-w-none print:p-0">
      <style dangerouslySetInnerHTML={{ __html: pageStyle }} />
      <div
        data-no-print
        className="mb-6 flex flex-wrap items-center justify-between gap-3 rounded-md border border-sky-200 bg-sky-50 px-4 py-3 text-sm text-sky-900"
      >
        <p>{instructions}</p>
        {links}
      </div>
      {children}
    </div>
  )
}
