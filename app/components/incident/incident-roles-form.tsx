import { Form } from '@remix-run/react'
import { FormError } from '~/components/form-error'
import { SelectField, SubmitButton } from '~/components/forms'
import { VersionField } from '~/components/live/version-field'
import type { IncidentPageView } from '~/domain/incident/incident-page.server'
import type { IncidentRelations } from '~/domain/incident/incident-relations.server'
import type { FormResult } from './form-result'

/**
 * The incident's roles besides commander and assignees: who holds each, and for managers, admins
 * and the commander one choice per role ("Save roles").
 */
export function IncidentRoles({
  roles,
  members,
  version,
  canAssign,
  result,
}: {
  roles: IncidentRelations['roles']
  members: IncidentPageView['members']
  version: number
  canAssign: boolean
  result: FormResult
}) {
  if (roles.length === 0) return null
  if (!canAssign)
    return (
      <section
        aria-labelledby="roles-heading"
        className="rounded-lg border border-slate-200 bg-white p-4"
      >
        <h2 id="roles-heading" className="text-sm font-semibold text-slate-500">
          Incident roles
        </h2>
        <dl className="mt-2 grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
          {roles.map((role) => (
            <div key={role.id} className="contents">
              <dt className="text-slate-500">{role.name}</dt>
              <dd>{role.holder ?? 'Nobody'}</dd>
            </div>
          ))}
        </dl>
      </section>
    )
  return (
    <Form
      method="post"
      aria-label="Incident roles"
      className="rounded-lg border border-slate-200 bg-white p-4"
    >
      <h2 className="mb-3 text-lg font-semibold">Incident roles</h2>
      <VersionField version={version} />
      {result?.formErrors && !result.conflict ? <FormError errors={result.formErrors} /> : null}
      {roles.map((role) => {
        const options = [
          { value: '', label: 'Nobody' },
          ...members.map((m) => ({ value: m.id, label: m.name })),
        ]
        // Someone who left keeps the role until it is changed.
        if (role.holderId && !members.some((m) => m.id === role.holderId))
          options.push({ value: role.holderId, label: role.holder ?? 'Former member' })
        return (
          <div key={role.id}>
            <input type="hidden" name="roleId" value={role.id} />
            <SelectField
              label={role.archived ? `${role.name} (archived)` : role.name}
              name="holder"
              options={options}
              defaultValue={role.holderId ?? ''}
              errors={result?.fieldErrors(`role-${role.id}`)}
            />
          </div>
        )
      })}
      <SubmitButton name="intent" value="roles">
        Save roles
      </SubmitButton>
    </Form>
  )
}
