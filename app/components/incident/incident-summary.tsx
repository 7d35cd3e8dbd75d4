/** The incident's summary, as the sanitised HTML rendered when it was written. */
export function IncidentSummary({ html }: { html: string }) {
  return (
    <section
      aria-labelledby="summary-heading"
      className="rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 id="summary-heading" className="text-sm font-semibold text-slate-500">
        Summary
      </h2>
      <div
        className="markdown mt-2 max-w-none break-words"
        dangerouslySetInnerHTML={{ __html: html }}
      />
    </section>
  )
}
