import { Form } from '@remix-run/react'
import { FormError } from '~/components/form-error'
import { VersionField } from '~/components/live/version-field'
import { SubmitButton, TextareaField } from '~/components/forms'
import { COMMENT_MAX } from '~/domain/incident/vocabulary'
import type { FormResult } from './form-result'

/** "Add comment": Markdown, rendered once when it is written. */
export function CommentForm({ version, result }: { version: number; result: FormResult }) {
  return (
    <Form
      method="post"
      aria-label="Add comment"
      className="rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 className="mb-3 text-lg font-semibold">Add a comment</h2>
      <VersionField version={version} />
      {result?.formErrors && !result.conflict ? <FormError errors={result.formErrors} /> : null}
      <TextareaField
        label="Comment"
        name="body"
        hint="Markdown: **bold**, `code`, lists, links."
        required
        maxLength={COMMENT_MAX}
        defaultValue={result?.value('body')}
        errors={result?.fieldErrors('body')}
      />
      <SubmitButton name="intent" value="comment" pendingLabel="Adding…">
        Add comment
      </SubmitButton>
    </Form>
  )
}
