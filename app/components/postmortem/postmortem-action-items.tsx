import { Link } from '@remix-run/react'
import { ActionItemTable } from '~/components/action-items'
import type { PostmortemPageView } from '~/domain/postmortem/postmortem-page.server'

/** The postmortem's action items, with a link to the page where they are added and changed. */
export function PostmortemActionItems({
  base,
  items,
  canEdit,
}: {
  base: string
  items: PostmortemPageView['actionItems']
  canEdit: boolean
}) {
  return (
    <section aria-labelledby="action-items-heading" className="space-y-2">
      <h2 id="action-items-heading" className="text-lg font-semibold">
        Action items
      </h2>
      <div className="relative overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <ActionItemTable items={items} caption="Action items of this postmortem" />
      </div>
      <p className="text-sm">
        <Link to={`${base}/action-items`} className="font-medium text-brand-700 underline">
          {canEdit ? 'Add or change action items' : 'All action items'}
        </Link>
      </p>
    </section>
  )
}
