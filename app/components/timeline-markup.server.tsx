import type { TimelineEntry, TimelinePaging, TimelineShown } from '~/domain/incident/timeline-view'
import type { MarkupMemo } from '~/utils/markup-memo'
import { forOrganization, pageMarkupMemo } from '~/utils/markup-memo.server'
import { TimelineItem } from './timeline'

/**
 * The page's entries as the incident page ships them. Nearly every view gets the markup of the
 * whole page of entries as one string, which the page renders as it is on the server and in the
 * browser alike: the page's data then carries one string instead of a hundred entries, which costs
 * far less to encode, send and decode, and the browser has nothing to build per entry. The
 * correction form's view (`?correct=<seq>`) gets the entries: that form is a router form, so its
 * entry is rendered in the page's tree.
 *
 * `correctable` says whether the viewer may correct an entry (its "Correct this comment" link).
 */
export function timelineShown(
  organizationId: string,
  entries: TimelineEntry[],
  correctable: (entry: TimelineEntry) => boolean,
  paging: TimelinePaging,
  {
    forPage,
    memo = pageMarkupMemo,
  }: {
    /**
     * What the page's data carries of the markup: the markup, or null for a document, which
     * shows it and hands it to the browser that way (see document-markup.server.ts).
     */
    forPage: (markup: string) => string | null
    /**
     * The store (the pages' own unless a test gives one), kept across requests: an entry never
     * changes once written. Each organization has its own keys in it.
     */
    memo?: MarkupMemo
  },
): TimelineShown {
  const count = entries.length
  const grouped = entries.some((entry) => entry.run)
  if (paging.correcting !== null) return { count, grouped, entries }
  const markup = entriesMarkup(
    forOrganization(memo, organizationId),
    entries,
    entries.map(correctable),
    paging,
  )
  return { count, grouped, markup: forPage(markup) }
}

/**
 * The entries' markup from the store: the whole page of entries under one key (every entry,
 * whether the viewer may correct each, the page's path and query), and on a miss each entry under
 * its own, so a page with one new entry renders only that one.
 */
function entriesMarkup(
  memo: MarkupMemo,
  entries: TimelineEntry[],
  correctable: boolean[],
  { path, query }: TimelinePaging,
) {
  return memo.joined('timeline-entries', [entries, correctable, path, query], () =>
    entries
      .map((entry, i) =>
        memo.html('timeline-entry', [entry, correctable[i], path, query], () => (
          <TimelineItem entry={entry} path={path} query={query} correctable={correctable[i]!} />
        )),
      )
      .join(''),
  )
}
