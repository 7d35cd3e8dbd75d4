import { Form } from '@remix-run/react'

export interface TimelineEntry {
  seq: number
  type: string
  actor: string
  actorId: string | null
  at: string
  atUtc: string
  atIso: string
  hash: string
  summary: string
  detail: string | null
  /** Sanitised HTML (from Markdown) for comments. */
  html: string | null
  supersededBy: number | null
  /** For evidence: where to download it, an inline preview for images, its hash. */
  attachment: {
    href: string
    previewHref: string | null
    sha256: string
    withdrawn: boolean
  } | null
}

/** The incident's events, oldest first, each with who, what and when (UTC on hover). */
export function Timeline({
  entries,
  version,
  canCorrect,
}: {
  entries: TimelineEntry[]
  version: number
  canCorrect: (entry: TimelineEntry) => boolean
}) {
  return (
    <ol className="mt-3 space-y-3" aria-label="Timeline, oldest first">
      {entries.map((entry) => (
        <li
          key={entry.seq}
          id={`event-${entry.seq}`}
          className="print-avoid-break rounded-lg border border-slate-200 bg-white p-3"
          data-event-type={entry.type}
        >
          <div className="flex flex-wrap items-baseline justify-between gap-2 text-sm">
            <p>
              <span className="font-semibold text-slate-900">{entry.actor}</span>{' '}
              <span>{entry.summary}</span>
            </p>
            <p className="text-xs text-slate-500">
              <a
                href={`#event-${entry.seq}`}
                className="mr-2 font-mono"
                title={`SHA-256 ${entry.hash}`}
              >
                #{entry.seq}
              </a>
              <time dateTime={entry.atIso} title={entry.atUtc}>
                {entry.at}
              </time>
            </p>
          </div>
          {entry.detail ? (
            <p className="mt-1 text-sm break-words text-slate-700">{entry.detail}</p>
          ) : null}
          {entry.html ? (
            <div
              className={`markdown mt-2 text-sm break-words ${entry.supersededBy ? 'text-slate-400 line-through' : ''}`}
              dangerouslySetInnerHTML={{ __html: entry.html }}
            />
          ) : null}
          {entry.attachment ? (
            <div className="mt-2 text-sm">
              {entry.attachment.previewHref ? (
                <a href={entry.attachment.href} className="block w-fit">
                  <img
                    src={entry.attachment.previewHref}
                    alt={`Preview of ${entry.summary.replace(/^added evidence /, '')}`}
                    loading="lazy"
                    className="max-h-64 max-w-full rounded border border-slate-200"
                  />
                </a>
              ) : null}
              <p className="mt-1">
                {entry.attachment.withdrawn ? (
                  <span className="text-slate-500">Withdrawn; kept for the record. </span>
                ) : null}
                <a href={entry.attachment.href} className="text-brand-700 underline">
                  Download
                </a>{' '}
                <span className="font-mono text-xs break-all text-slate-500">
                  SHA-256 {entry.attachment.sha256}
                </span>
              </p>
            </div>
          ) : null}
          {entry.supersededBy ? (
            <p className="mt-1 text-xs text-slate-500">
              Corrected in <a href={`#event-${entry.supersededBy}`}>#{entry.supersededBy}</a>
            </p>
          ) : null}
          {entry.html && !entry.supersededBy && canCorrect(entry) ? (
            <details className="mt-2 text-sm" data-no-print>
              <summary className="cursor-pointer text-slate-600">Correct this comment</summary>
              <Form method="post" className="mt-2" aria-label={`Correct comment #${entry.seq}`}>
                <input type="hidden" name="seq" value={entry.seq} />
                <input type="hidden" name="version" value={version} />
                <label htmlFor={`correct-${entry.seq}`} className="block text-sm font-medium">
                  Corrected comment
                </label>
                <textarea
                  id={`correct-${entry.seq}`}
                  name="body"
                  required
                  rows={3}
                  className="mt-1 block w-full rounded-md border-slate-300 text-sm"
                />
                <button
                  type="submit"
                  name="intent"
                  value="correct"
                  className="mt-2 rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-50"
                >
                  Save correction
                </button>
              </Form>
            </details>
          ) : null}
        </li>
      ))}
    </ol>
  )
}
