import { Form } from '@remix-run/react'
import { FormError } from '~/components/form-error'
import { Field, SelectField, SubmitButton } from '~/components/forms'
import { VersionField } from '~/components/live/version-field'
import type { VisibilityView } from '~/domain/incident/visibility.server'
import type { FormResult } from './form-result'

/** The mark of a private incident, on its page and in lists (only those who see it see it). */
export function PrivateBadge() {
  return (
    <span className="inline-flex items-center rounded-full border border-violet-300 bg-violet-50 px-2 py-0.5 text-xs font-semibold text-violet-800">
      Private
    </span>
  )
}

/**
 * Who sees the incident: everyone in the organization, or (private) its commander, assignees,
 * role holders, the viewers named here and admins. Those who may change it get the forms, which
 * post to `/incidents/<n>/visibility`.
 */
export function VisibilitySection({
  view,
  result,
}: {
  view: VisibilityView
  /** The refused submission of one of these forms, if any. */
  result: (intent: string) => FormResult
}) {
  const action = `/incidents/${view.number}/visibility`
  const visibility = result('visibility')
  const adding = result('add-viewer')
  const removing = result('remove-viewer')
  return (
    <section
      aria-labelledby="visibility-heading"
      className="rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 id="visibility-heading" className="mb-2 text-lg font-semibold">
        Visibility
      </h2>
      {view.private ? (
        <p className="text-sm text-slate-700">
          <PrivateBadge /> Only its commander, assignees, role holders, the viewers below and admins
          see this incident. Everyone else is told it does not exist.
        </p>
      ) : (
        <p className="text-sm text-slate-700">Everyone in the organization sees this incident.</p>
      )}
      {view.private ? (
        <div className="mt-3">
          <h3 className="text-sm font-semibold">Viewers</h3>
          {view.viewers.length === 0 ? (
            <p className="text-sm text-slate-600">No viewers added.</p>
          ) : (
            <ul className="mt-1 space-y-1 text-sm">
              {view.viewers.map((v) => (
                <li key={v.userId} className="flex items-center justify-between gap-2">
                  <span>{v.name}</span>
                  {view.canManage ? (
                    <Form method="post" action={action}>
                      <VersionField version={view.version} />
                      <input type="hidden" name="userId" value={v.userId} />
                      <SubmitButton
                        name="intent"
                        value="remove-viewer"
                        variant="secondary"
                        aria-label={`Remove ${v.name} as viewer`}
                        className="px-2 py-1 text-xs"
                      >
                        Remove
                      </SubmitButton>
                    </Form>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
          {removing?.formErrors && !removing.conflict ? (
            <FormError errors={removing.formErrors} />
          ) : null}
          {removing?.fieldErrors('userId') ? (
            <FormError errors={removing.fieldErrors('userId')} />
          ) : null}
          {view.canManage ? (
            <Form method="post" action={action} aria-label="Add viewer" className="mt-3">
              <VersionField version={view.version} />
              {adding?.formErrors && !adding.conflict ? (
                <FormError errors={adding.formErrors} />
              ) : null}
              <SelectField
                label="Viewer"
                name="userId"
                options={[
                  { value: '', label: 'Choose a member' },
                  ...view.candidates.map((m) => ({ value: m.userId, label: m.name })),
                ]}
                defaultValue={adding?.value('userId')}
                errors={adding?.fieldErrors('userId')}
              />
              <SubmitButton name="intent" value="add-viewer" variant="secondary">
                Add viewer
              </SubmitButton>
            </Form>
          ) : null}
        </div>
      ) : null}
      {view.canManage ? (
        <Form
          method="post"
          action={action}
          aria-label={view.private ? 'Make public' : 'Make private'}
          className="mt-4 border-t border-slate-200 pt-3"
        >
          <VersionField version={view.version} />
          <input type="hidden" name="private" value={view.private ? 'false' : 'true'} />
          {visibility?.formErrors && !visibility.conflict ? (
            <FormError errors={visibility.formErrors} />
          ) : null}
          <Field
            label="Visibility reason"
            name="reason"
            required
            maxLength={1000}
            defaultValue={visibility?.value('reason')}
            errors={visibility?.fieldErrors('reason')}
          />
          <SubmitButton name="intent" value="visibility" variant="secondary">
            {view.private ? 'Make public' : 'Make private'}
          </SubmitButton>
        </Form>
      ) : null}
    </section>
  )
}
