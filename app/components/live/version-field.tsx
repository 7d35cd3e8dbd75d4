import { useEffect, useRef, useState } from 'react'
import { useSubmissionCount } from './use-submission-count'

/**
 * A form's hidden `version`, for pages that reload their data while the person works (live
 * updates). An untouched form follows the incident's current version. Once the person has typed
 * or chosen something, the form keeps the version it was being edited against, so the server's
 * conflict check (409) still applies, and if the incident moves on meanwhile a notice says so
 * before the form is sent. Once a submission of the page has been answered (refused or not), the
 * form follows the current version again — already while the page reloads its data, so a second
 * try right after a refusal is not refused again for the same reason.
 */
export function VersionField({ version }: { version: number }) {
  const input = useRef<HTMLInputElement>(null)
  const latest = useRef(version)
  useEffect(() => {
    latest.current = version
  }, [version])
  const submissions = useSubmissionCount('answered')
  const round = useRef(submissions)
  useEffect(() => {
    round.current = submissions
  }, [submissions])
  // The version when the person started editing, and in which round of submissions.
  const [edited, setEdited] = useState<{ at: number; round: number } | null>(null)
  const editedAt = edited && edited.round === submissions ? edited.at : null

  useEffect(() => {
    const form = input.current?.form
    if (!form) return
    const typed = () =>
      setEdited((now) =>
        now && now.round === round.current ? now : { at: latest.current, round: round.current },
      )
    const reset = () => setEdited(null)
    form.addEventListener('input', typed)
    form.addEventListener('change', typed)
    form.addEventListener('reset', reset)
    return () => {
      form.removeEventListener('input', typed)
      form.removeEventListener('change', typed)
      form.removeEventListener('reset', reset)
    }
  }, [])

  const changed = editedAt !== null && editedAt !== version
  return (
    <>
      <input ref={input} type="hidden" name="version" value={editedAt ?? version} />
      {/* Announced when it appears; an empty live region costs nothing. */}
      <div aria-live="polite">
        {changed ? (
          <p className="mb-3 rounded-md border border-amber-400 bg-amber-50 px-3 py-2 text-sm text-amber-900">
            This incident changed while you were editing — check the page before you submit. Your
            input is kept; if it conflicts with the change, you will be asked to submit again.
          </p>
        ) : null}
      </div>
    </>
  )
}
