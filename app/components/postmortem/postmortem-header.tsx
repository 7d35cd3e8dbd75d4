import { Link } from '@remix-run/react'
import { SeverityBadge, StatusBadge } from '~/components/badges'
import { IncidentSubpageHeader } from '~/components/incident-subpage-header'
import type { PostmortemPageView } from '~/domain/postmortem/postmortem-page.server'
import { PostmortemStatusBadge } from './postmortem-status-badge'

const SOURCE_LABELS = { human: 'Written by people', template: 'Template draft', llm: 'Model draft' }

/** The postmortem's statuses, its newest revision and publication, and its other pages. */
export function PostmortemHeader({
  incident,
  postmortem,
  revision,
}: Pick<PostmortemPageView, 'incident' | 'postmortem' | 'revision'>) {
  const base = `/incidents/${incident.number}/postmortem`
  return (
    <IncidentSubpageHeader
      incident={incident}
      crumbs={[{ label: 'Postmortem' }]}
      title="Postmortem"
      className="space-y-3"
    >
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <span className="text-slate-600">Postmortem status:</span>
        <PostmortemStatusBadge status={postmortem.status} />
        <StatusBadge status={incident.status} />
        <SeverityBadge severity={incident.severity} />
      </div>
      <p className="text-sm text-slate-600" data-testid="revision-line">
        {revision ? (
          <>
            Revision {revision.revision}
            {revision.authorName ? ` by ${revision.authorName}` : ''},{' '}
            <time dateTime={revision.createdAt}>{revision.createdAtText}</time> (
            {SOURCE_LABELS[revision.source]}
            {revision.model ? `, ${revision.model}` : ''})
          </>
        ) : (
          'Nothing saved yet.'
        )}
        {postmortem.publishedAtText
          ? ` · Published ${postmortem.publishedAtText}${postmortem.publishedByName ? ` by ${postmortem.publishedByName}` : ''}`
          : ''}
      </p>
      <nav aria-label="Postmortem pages" className="flex flex-wrap gap-4 text-sm">
        <Link to={`${base}/revisions`} className="font-medium text-brand-700 underline">
          Revision history
        </Link>
        <a href={`${base}/print`} className="font-medium text-brand-700 underline">
          Print
        </a>
        <Link to={`${base}/action-items`} className="font-medium text-brand-700 underline">
          Action items
        </Link>
      </nav>
    </IncidentSubpageHeader>
  )
}
