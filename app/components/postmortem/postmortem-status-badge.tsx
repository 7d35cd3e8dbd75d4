import { POSTMORTEM_STATUS_LABELS, type PostmortemStatus } from '~/domain/postmortem/vocabulary'

const statusStyle: Record<PostmortemStatus, string> = {
  draft: 'border-slate-300 bg-white text-slate-800',
  in_review: 'border-amber-300 bg-amber-50 text-amber-900',
  published: 'border-emerald-300 bg-emerald-50 text-emerald-900',
}

export function PostmortemStatusBadge({ status }: { status: PostmortemStatus }) {
  return (
    <span
      className={`inline-flex items-center gap-1 rounded-full border px-2 py-0.5 text-xs font-semibold whitespace-nowrap ${statusStyle[status]}`}
      data-postmortem-status={status}
    >
      {POSTMORTEM_STATUS_LABELS[status]}
    </span>
  )
}
