import { Form } from '@remix-run/react'
import { Field, SubmitButton } from '~/components/forms'
import type { IncidentPageView } from '~/domain/incident/incident-page.server'

const ACCEPTED_EVIDENCE =
  'image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain,.log,.txt,application/json,.json,text/csv,.csv,application/zip,.zip,application/gzip,.gz'

/**
 * The incident's current evidence, each file with its withdrawal form, and the upload form; the
 * forms post to the evidence route and only show while the viewer may work on an open incident.
 */
export function EvidenceSection({
  number,
  evidence,
  evidenceLimit,
  canChange,
}: {
  number: number
  evidence: IncidentPageView['evidence']
  evidenceLimit: string
  canChange: boolean
}) {
  return (
    <section aria-labelledby="evidence-heading">
      <h2 id="evidence-heading" className="text-lg font-semibold">
        Evidence
      </h2>
      {evidence.length === 0 ? (
        <p className="mt-2 text-sm text-slate-600">No evidence attached.</p>
      ) : (
        <ul
          className="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white"
          aria-label="Current evidence"
        >
          {evidence.map((file) => (
            <li
              key={file.id}
              className="flex flex-wrap items-start justify-between gap-3 px-4 py-3 text-sm"
            >
              <div className="min-w-0">
                <a href={file.href} className="font-medium break-all text-brand-700 underline">
                  {file.name}
                </a>
                <p className="text-xs text-slate-500">
                  {file.size} · {file.contentType} · uploaded by {file.uploadedBy}
                </p>
              </div>
              {canChange ? (
                <details data-no-print>
                  <summary className="cursor-pointer text-slate-600">Withdraw</summary>
                  <Form
                    method="post"
                    action={`/incidents/${number}/evidence`}
                    className="mt-2 flex flex-wrap items-end gap-2"
                    aria-label={`Withdraw ${file.name}`}
                  >
                    <input type="hidden" name="attachmentId" value={file.id} />
                    <Field
                      label="Withdrawal reason"
                      name="reason"
                      required
                      maxLength={1000}
                      className="mb-0"
                    />
                    <SubmitButton name="intent" value="withdraw" variant="secondary">
                      Withdraw evidence
                    </SubmitButton>
                  </Form>
                </details>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {canChange ? (
        <Form
          method="post"
          action={`/incidents/${number}/evidence`}
          encType="multipart/form-data"
          aria-label="Upload evidence"
          className="mt-4 rounded-lg border border-slate-200 bg-white p-4"
          data-no-print
        >
          <Field
            label="Evidence file"
            name="file"
            type="file"
            required
            accept={ACCEPTED_EVIDENCE}
            hint={`Images, PDF, text and logs, JSON, CSV, zip or gzip; up to ${evidenceLimit}. The type is checked from the content.`}
          />
          <Field label="Description" name="description" maxLength={500} />
          <SubmitButton pendingLabel="Uploading…">Upload evidence</SubmitButton>
        </Form>
      ) : null}
    </section>
  )
}
