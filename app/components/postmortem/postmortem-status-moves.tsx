import { Form } from '@remix-run/react'
import { FormError } from '~/components/form-error'
import { SubmitButton } from '~/components/forms'
import { POSTMORTEM_MOVE_LABELS, type PostmortemStatus } from '~/domain/postmortem/vocabulary'

/** One form per status the postmortem may move to ("Send for review", "Publish" …). */
export function PostmortemStatusMoves({
  moves,
  revision,
  formErrors,
}: {
  moves: readonly PostmortemStatus[]
  revision: number
  /** Why the last move was refused, unless it was refused as stale. */
  formErrors: string[] | null
}) {
  return (
    <section aria-labelledby="status-heading" className="space-y-2">
      <h2 id="status-heading" className="text-lg font-semibold">
        Status
      </h2>
      {formErrors ? <FormError errors={formErrors} /> : null}
      <div className="flex flex-wrap gap-3">
        {moves.map((to) => (
          <Form method="post" key={to} aria-label={POSTMORTEM_MOVE_LABELS[to]}>
            <input type="hidden" name="to" value={to} />
            <input type="hidden" name="revision" value={revision} />
            <SubmitButton
              name="intent"
              value="status"
              variant={to === 'draft' ? 'secondary' : 'primary'}
            >
              {POSTMORTEM_MOVE_LABELS[to]}
            </SubmitButton>
          </Form>
        ))}
      </div>
    </section>
  )
}
