import { useEffect, useRef, useState } from 'react'

/**
 * A form's hidden `version`, for pages that reload their data while the person works (live
 * updates). An untouched form follows the incident's current version. Once the person has typed
 * or chosen something, the form keeps the version it was being edited against, so the server's
 * conflict check (409) still applies, and if the incident moves on meanwhile a notice says so
 * before the form is sent. Sending the form lets it follow the current version again.
 */
export function VersionField({ version }: { version: number }) {
  const input = useRef<HTMLInputElement>(null)
  const latest = useRef(version)
  useEffect(() => {
    latest.current = version
  }, [version])
  const [editedAt, setEditedAt] = useState<number | null>(null)

  useEffect(() => {
    const form = input.current?.form
    if (!form) return
    const edited = () => setEditedAt((at) => at ?? latest.current)
    // The form's data is read while the submit event is dispatched, before this state applies.
    const settled = () => setEditedAt(null)
    form.addEventListener('input', edited)
    form.addEventListener('change', edited)
    form.addEventListener('submit', settled)
    form.addEventListener('reset', settled)
    return () => {
      form.removeEventListener('input', edited)
      form.removeEventListener('change', edited)
      form.removeEventListener('submit', settled)
      form.removeEventListener('reset', settled)
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
