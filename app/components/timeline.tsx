import { Form, Link } from '@remix-run/react'
import { useEffect, type ReactNode } from 'react'
import { VersionField } from '~/components/live/version-field'
import type {
  TimelineEntry,
  TimelinePaging,
  TimelineRun,
  TimelineShown,
} from '~/domain/incident/timeline-view'
import { useDocumentMarkup, useFollowPlainLinks } from '~/utils/markup-memo'
import { utcTitle } from '~/utils/time'

/** The element that shows the entries (and where the browser finds them when it hydrates). */
export const TIMELINE_ENTRIES_ID = 'timeline-entries'

/**
 * The address of one timeline entry: the page of the timeline that ends with it, scrolled to it.
 * A bare `/incidents/<n>#event-<seq>` shows only the newest entries.
 */
export function timelineEntryHref(number: number, seq: number) {
  return `/incidents/${number}?before=${seq + 1}#event-${seq}`
}

const linkClass = 'text-brand-700 underline'
const listClass =
  'mt-3 space-y-3 *:rounded-lg *:border *:border-slate-200 *:bg-white *:p-3 print:*:break-inside-avoid'
// Every link here stays on the incident page (`discover="none"`): there is no route to discover,
// and no attribute to repeat on each of a hundred entries. Inside an entry they are plain anchors
// (its markup is rendered on its own, outside the router) that the list follows in the page.

/** The incident's events, oldest first, each with who, what and when (UTC on hover). */
export function Timeline({
  shown,
  version,
  canCorrect,
  paging,
}: {
  shown: TimelineShown
  version: number
  canCorrect: (entry: TimelineEntry) => boolean
  paging: TimelinePaging
}) {
  useEntryOnItsPage(paging)
  const markup = useEntriesMarkup(shown)
  const followInPage = useFollowPlainLinks((link) => link.pathname === paging.path)
  const href = (extra: string, hash: string) => entryHref(paging, extra, hash)
  // Every entry is on the page, one by one: there is nothing more to show.
  const complete =
    paging.olderBefore === null &&
    paging.newerAfter === null &&
    shown.count === paging.total &&
    !shown.grouped
  return (
    <>
      {paging.all || !complete ? (
        <p className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-sm text-slate-600" data-no-print>
          {paging.all ? (
            <>
              <span>{`All ${paging.total} entries.`}</span>
              <Link discover="none" to={`${paging.path}#timeline`} className={linkClass}>
                Show the newest entries only
              </Link>
            </>
          ) : (
            <>
              {paging.olderBefore !== null ? (
                <Link
                  discover="none"
                  to={`${paging.path}?before=${paging.olderBefore}#timeline`}
                  className={linkClass}
                >
                  Show older entries
                </Link>
              ) : null}
              {shown.count === 0 && paging.total > 0 ? (
                <Link discover="none" to={`${paging.path}#timeline`} className={linkClass}>
                  Show the newest entries
                </Link>
              ) : null}
              <Link
                discover="none"
                to={`${paging.path}?timeline=all#timeline`}
                className={linkClass}
              >
                {`Show all ${paging.total} entries`}
              </Link>
            </>
          )}
        </p>
      ) : null}
      {/* Each entry's box is styled once, on the list (`*:`), rather than on each of its items. */}
      {markup !== null ? (
        // The entries' markup as the server rendered (and keeps) it: the browser shows the same
        // string, from the page's data or from the document (see timeline-markup.server.tsx).
        <ol
          className={listClass}
          aria-label="Timeline, oldest first"
          onClick={followInPage}
          id={TIMELINE_ENTRIES_ID}
          dangerouslySetInnerHTML={{ __html: markup }}
        />
      ) : (
        <ol
          className={listClass}
          aria-label="Timeline, oldest first"
          onClick={followInPage}
          id={TIMELINE_ENTRIES_ID}
        >
          {(shown.entries ?? []).map((entry) => (
            <TimelineItem
              key={entry.seq}
              entry={entry}
              path={paging.path}
              query={paging.query}
              correctable={canCorrect(entry)}
              correction={
                paging.correcting === entry.seq ? (
                  <CorrectionForm
                    seq={entry.seq}
                    version={version}
                    cancelHref={href('', `event-${entry.seq}`)}
                  />
                ) : undefined
              }
            />
          ))}
        </ol>
      )}
      {paging.newerAfter !== null ? (
        <p className="mt-3 text-sm" data-no-print>
          <Link
            discover="none"
            to={`${paging.path}?after=${paging.newerAfter}#timeline`}
            className={linkClass}
          >
            Show newer entries
          </Link>
        </p>
      ) : null}
    </>
  )
}

/**
 * The entries' markup to show, or null where the entries are rendered one by one. A document's
 * data leaves out the markup the document already shows (see useDocumentMarkup).
 */
function useEntriesMarkup(shown: TimelineShown): string | null {
  const markup = useDocumentMarkup(TIMELINE_ENTRIES_ID, shown.entries ? '' : shown.markup)
  return shown.entries ? null : markup
}

/** A link that stays on the incident page, keeping the page's own query. */
function entryHref(page: { path: string; query: string }, extra: string, hash: string) {
  const query = [page.query, extra].filter(Boolean).join('&')
  return `${page.path}${query ? `?${query}` : ''}#${hash}`
}

/**
 * One entry: who, what and when, its Markdown, evidence, correction. A pure function of its
 * props, rendered without the router (see timeline-markup.server.tsx), so its links are plain
 * anchors.
 */
export function TimelineItem({
  entry,
  path,
  query,
  correctable,
  correction,
}: {
  entry: TimelineEntry
  /** The incident page's path and its own query (see TimelinePaging). */
  path: string
  query: string
  correctable: boolean
  /** The correction form, on the comment whose correction was asked for. */
  correction?: ReactNode
}) {
  return (
    <li id={`event-${entry.seq}`} data-event-type={entry.type}>
      <div className="entry-head">
        <p>
          <span className="entry-actor">{entry.actor}</span> <span>{entry.summary}</span>
        </p>
        <p className="entry-meta">
          <a href={`#event-${entry.seq}`} className="entry-seq" title={`SHA-256 ${entry.hash}`}>
            {`#${entry.seq}`}
          </a>
          <time dateTime={entry.atIso} title={utcTitle(entry.atIso)}>
            {entry.at}
          </time>
        </p>
      </div>
      {entry.detail ? (
        <p className="mt-1 text-sm break-words text-slate-700">{entry.detail}</p>
      ) : null}
      {entry.run ? <RunNote entry={entry} run={entry.run} path={path} /> : null}
      {entry.html ? (
        <div
          className={`markdown entry-text${entry.supersededBy ? ' text-slate-500 line-through' : ''}`}
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
      {entry.html && !entry.supersededBy && correctable
        ? (correction ?? (
            // One form per comment would make a long timeline's page several times larger: the
            // form is rendered for the comment the reader asks to correct.
            <a
              className="entry-fix"
              data-no-print
              href={entryHref({ path, query }, `correct=${entry.seq}`, `correct-${entry.seq}`)}
            >
              Correct this comment
            </a>
          ))
        : null}
    </li>
  )
}

function CorrectionForm({
  seq,
  version,
  cancelHref,
}: {
  seq: number
  version: number
  cancelHref: string
}) {
  return (
    <Form
      method="post"
      className="mt-2 text-sm"
      aria-label={`Correct comment #${seq}`}
      data-no-print
    >
      <input type="hidden" name="seq" value={seq} />
      <VersionField version={version} />
      <label htmlFor={`correct-${seq}`} className="block text-sm font-medium">
        Corrected comment
      </label>
      <textarea
        id={`correct-${seq}`}
        name="body"
        required
        rows={3}
        // The reader followed "Correct this comment" to get here.
        autoFocus
        className="mt-1 block w-full rounded-md border-slate-300 text-sm"
      />
      <button
        type="submit"
        name="intent"
        value="correct"
        className="mt-2 rounded-md border border-slate-300 px-3 py-1 hover:bg-slate-50"
      >
        Save correction
      </button>{' '}
      <Link discover="none" to={cancelHref} className="text-slate-600 underline">
        Cancel
      </Link>
    </Form>
  )
}

/** How many entries a run stands for, and the few just before the newest. */
function RunNote({ entry, run, path }: { entry: TimelineEntry; run: TimelineRun; path: string }) {
  const more = run.size - 1 - run.earlier.length
  return (
    <div className="mt-1 text-sm text-slate-700" data-run-size={run.size}>
      <p>
        {run.kind === 'sla' ? `${run.size} SLA signals` : `${run.size} times`} since{' '}
        <time title={run.firstAtUtc}>{run.firstAt}</time> (#{run.firstSeq}–#{entry.seq})
        {more > 0 ? (
          <>
            {' · '}
            <a className={linkClass} href={`${path}?timeline=all#event-${run.firstSeq}`}>
              Show each
            </a>
          </>
        ) : null}
      </p>
      {run.earlier.length > 0 ? (
        <details className="mt-1">
          <summary className="cursor-pointer text-slate-600">
            {more > 0 ? `The ${run.earlier.length} before this one` : 'The others'}
          </summary>
          <ol className="mt-1 space-y-1 border-l border-slate-200 pl-3">
            {run.earlier.map((e) => (
              <li key={e.seq} id={`event-${e.seq}`}>
                <span className="mr-2 font-mono text-xs text-slate-500">#{e.seq}</span>
                <time
                  dateTime={e.atIso}
                  title={utcTitle(e.atIso)}
                  className="text-xs text-slate-500"
                >
                  {e.at}
                </time>{' '}
                {/* The same alert again reads the same: only what differs is repeated. */}
                {e.summary === entry.summary ? null : e.summary}
                {e.detail ? <span className="text-slate-600"> {e.detail}</span> : null}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </div>
  )
}

/**
 * Links from elsewhere (postmortems, the audit page) name entries as `#event-<seq>`; an entry
 * older than the newest page is not on it, so the browser is sent to the page that has it.
 */
function useEntryOnItsPage(paging: TimelinePaging) {
  useEffect(() => {
    const match = /^#event-(\d+)$/.exec(window.location.hash)
    if (!match || paging.query || document.getElementById(`event-${match[1]}`)) return
    const seq = Number(match[1])
    if (seq < 1 || seq > paging.total) return
    window.location.replace(`${paging.path}?before=${seq + 1}#event-${seq}`)
  }, [paging.path, paging.query, paging.total])
}
