import { Form, Link } from '@remix-run/react'
import { SelectField, SubmitButton } from '~/components/forms'
import type { PostmortemPageView } from '~/domain/postmortem/postmortem-page.server'
import { DRAFT_MODE_WORDS, DRAFT_STATUS_WORDS } from './draft-words'

/** "Generate a draft" from the template or the language model, and the recent drafts. */
export function DraftGenerator({
  base,
  revision,
  llmModel,
  drafts,
}: {
  /** The postmortem page's path. */
  base: string
  revision: number
  llmModel: string | null
  drafts: PostmortemPageView['drafts']
}) {
  return (
    <section
      aria-labelledby="draft-heading"
      className="rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 id="draft-heading" className="text-lg font-semibold">
        Generate a draft
      </h2>
      <p className="mt-1 text-sm text-slate-600">
        Fills every section from the incident&apos;s record and timeline. You review the draft
        before anything here changes.
      </p>
      <Form method="post" action={`${base}/drafts`} className="mt-3 flex flex-wrap items-end gap-3">
        <input type="hidden" name="revision" value={revision} />
        <SelectField
          label="Draft source"
          name="mode"
          className="mb-0"
          options={[
            { value: 'template', label: 'Template' },
            ...(llmModel ? [{ value: 'llm', label: `Language model (${llmModel})` }] : []),
          ]}
          defaultValue="template"
        />
        <SubmitButton variant="secondary">Generate draft</SubmitButton>
      </Form>
      {drafts.length > 0 ? (
        <>
          <h3 className="mt-4 text-sm font-semibold">Recent drafts</h3>
          <ul className="mt-1 space-y-1 text-sm">
            {drafts.map((d) => (
              <li key={d.id} data-draft={d.id}>
                <Link to={`${base}/drafts/${d.id}`} className="text-brand-700 underline">
                  {DRAFT_MODE_WORDS[d.mode]} draft
                </Link>{' '}
                — {DRAFT_STATUS_WORDS[d.status]},{' '}
                <time dateTime={d.createdAt}>{d.createdAtText}</time>
                {d.requestedBy ? ` by ${d.requestedBy}` : ''}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  )
}
