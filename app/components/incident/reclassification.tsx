import { Form, Link } from '@remix-run/react'
import { FormError } from '~/components/form-error'
import { Field, SubmitButton } from '~/components/forms'
import { VersionField } from '~/components/live/version-field'
import { RECLASSIFY_CHOICES, RECLASSIFY_LABELS } from '~/domain/incident/classification'
import type { IncidentRelations } from '~/domain/incident/incident-relations.server'
import type { FormResult } from './form-result'

/**
 * A reclassified incident says so above everything else, with the incident it points to and, for
 * managers, "Undo reclassification" (with a reason).
 */
export function ClassificationNotice({
  classification,
  version,
  canUndo,
  result,
}: {
  classification: IncidentRelations['classification']
  version: number
  canUndo: boolean
  result: FormResult
}) {
  const target = classification.classifiedAsOf
  return (
    <section
      aria-labelledby="classification-heading"
      className="rounded-lg border border-amber-300 bg-amber-50 p-4"
    >
      <h2 id="classification-heading" className="font-semibold text-amber-950">
        {target ? (
          <>
            {classification.value === 'duplicate' ? 'Duplicate of ' : 'Merged into '}
            <Link to={`/incidents/${target}`} className="underline">
              INC-{target}
            </Link>
          </>
        ) : (
          classification.text
        )}
      </h2>
      <p className="mt-1 text-sm text-amber-950">
        Not counted in metrics. Its status, severity, ownership and roles stay as they are until the
        reclassification is undone.
      </p>
      {canUndo ? (
        <Form method="post" aria-label="Undo reclassification" className="mt-3">
          <VersionField version={version} />
          {result?.formErrors && !result.conflict ? <FormError errors={result.formErrors} /> : null}
          <Field
            label="Reason"
            name="reason"
            required
            maxLength={1000}
            defaultValue={result?.value('reason')}
            errors={result?.fieldErrors('reason')}
          />
          <SubmitButton name="intent" value="undo-reclassify" variant="secondary">
            Undo reclassification
          </SubmitButton>
        </Form>
      ) : null}
    </section>
  )
}

/** "Reclassify": declined, duplicate of INC-n or merged into INC-n, with a required reason. */
export function ReclassifyForm({ version, result }: { version: number; result: FormResult }) {
  const chosen = result?.value('classification')
  const errors = result?.fieldErrors('classification')
  return (
    <Form
      method="post"
      aria-label="Reclassify"
      className="rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 className="mb-3 text-lg font-semibold">Reclassify</h2>
      <VersionField version={version} />
      {result?.formErrors && !result.conflict ? <FormError errors={result.formErrors} /> : null}
      <fieldset className="mb-4" aria-describedby={errors ? 'classification-error' : undefined}>
        <legend className="text-sm font-medium text-slate-800">Reclassify as</legend>
        {RECLASSIFY_CHOICES.map((choice) => (
          <label key={choice} className="mt-1 flex items-center gap-2 text-sm">
            <input
              type="radio"
              name="classification"
              value={choice}
              required
              defaultChecked={chosen === choice}
            />
            {RECLASSIFY_LABELS[choice]}
          </label>
        ))}
        {errors ? (
          <p id="classification-error" className="mt-1 text-sm text-red-700">
            {errors.join(' ')}
          </p>
        ) : null}
      </fieldset>
      <Field
        label="Incident number"
        name="targetNumber"
        hint="For a duplicate or a merge: the incident that stays, e.g. INC-12."
        inputMode="text"
        maxLength={16}
        defaultValue={result?.value('targetNumber')}
        errors={result?.fieldErrors('targetNumber')}
      />
      <Field
        label="Reason"
        name="reason"
        required
        maxLength={1000}
        defaultValue={result?.value('reason')}
        errors={result?.fieldErrors('reason')}
      />
      <SubmitButton name="intent" value="reclassify" variant="secondary">
        Reclassify
      </SubmitButton>
    </Form>
  )
}

/** Links to other incidents, both ways; "related to" links can be added and removed here. */
export function RelatedIncidents({
  links,
  version,
  canLink,
  result,
}: {
  links: IncidentRelations['links']
  version: number
  canLink: boolean
  result: FormResult
}) {
  if (!canLink && links.length === 0) return null
  return (
    <section
      aria-labelledby="links-heading"
      className="space-y-3 rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 id="links-heading" className="text-sm font-semibold text-slate-500">
        Linked incidents
      </h2>
      {links.length ? (
        <ul className="space-y-2 text-sm">
          {links.map((link) => (
            <li key={link.number} className="flex flex-wrap items-baseline gap-x-2">
              <Link to={`/incidents/${link.number}`} className="underline">
                {link.text}
              </Link>
              <span className="break-words text-slate-600">{link.title}</span>
              {canLink && link.kind === 'related' ? (
                <Form method="post" aria-label={`Remove link to INC-${link.number}`}>
                  <VersionField version={version} />
                  <input type="hidden" name="relatedNumber" value={link.number} />
                  <SubmitButton name="intent" value="unlink" variant="secondary">
                    Remove link to INC-{link.number}
                  </SubmitButton>
                </Form>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="text-sm text-slate-600">No linked incidents.</p>
      )}
      {canLink ? (
        <Form method="post" aria-label="Link a related incident">
          <VersionField version={version} />
          {result?.formErrors && !result.conflict ? <FormError errors={result.formErrors} /> : null}
          <Field
            label="Related incident"
            name="relatedNumber"
            hint="Its number, e.g. INC-12."
            required
            maxLength={16}
            defaultValue={result?.value('relatedNumber')}
            errors={result?.fieldErrors('relatedNumber')}
          />
          <SubmitButton name="intent" value="link" variant="secondary">
            Add link
          </SubmitButton>
        </Form>
      ) : null}
    </section>
  )
}
