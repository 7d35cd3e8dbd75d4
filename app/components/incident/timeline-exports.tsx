/** The incident's timeline as files: CSV for spreadsheets, JSON with the audit hashes. */
export function TimelineExports({ number }: { number: number }) {
  return (
    <p className="flex flex-wrap gap-x-3 gap-y-1 text-sm" data-no-print>
      <a href={`/incidents/${number}/timeline.csv`} className="underline">
        Timeline as CSV
      </a>
      <a href={`/incidents/${number}/timeline.json`} className="underline">
        Timeline as JSON (with hashes)
      </a>
    </p>
  )
}
