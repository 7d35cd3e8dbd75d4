import {
  getFormProps,
  getInputProps,
  getSelectProps,
  useForm,
  type SubmissionResult,
} from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { Form } from '@remix-run/react'
import * as z from '~/utils/zod'
import { FormError } from '~/components/form-error'
import { Field, SelectField, SubmitButton } from '~/components/forms'
import { ROLE_DESCRIPTIONS, ROLE_LABELS, ROLES } from '~/domain/access/permissions'
import { roleOptions } from './role-options'

export const inviteSchema = z.object({
  intent: z.literal('invite'),
  email: z.email({ error: 'Enter a valid e-mail address' }).max(320),
  role: z.enum(ROLES, { error: 'Choose a role' }),
})

/**
 * The invitation form's state from the last answer to it. Called by the page itself, so the
 * form's generated ids stay those of the page.
 */
export function useInviteForm(lastResult: SubmissionResult<string[]> | null | undefined) {
  return useForm({
    lastResult,
    constraint: getZodConstraint(inviteSchema),
    shouldValidate: 'onBlur',
    // Not on blur once validated: clicking the button blurs the field, and a message that vanished
    // then would move the button away from under the pointer, so the click would be lost.
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: inviteSchema }),
    defaultValue: { role: 'engineer' },
  })
}

type InviteState = ReturnType<typeof useInviteForm>

/** "Invite someone": e-mail and role, with what each role may do. */
export function InviteSection({ form, fields }: { form: InviteState[0]; fields: InviteState[1] }) {
  return (
    <section
      aria-labelledby="invite-heading"
      className="rounded-lg border border-slate-200 bg-white p-6"
    >
      <h2 id="invite-heading" className="text-lg font-semibold">
        Invite someone
      </h2>
      <Form
        method="post"
        className="mt-4 grid gap-x-4 sm:grid-cols-[2fr_1fr_auto] sm:items-start"
        {...getFormProps(form)}
      >
        <FormError id={form.errorId} errors={form.errors} />
        <Field
          label="Email"
          errors={fields.email.errors}
          autoComplete="off"
          {...getInputProps(fields.email, { type: 'email' })}
        />
        <SelectField
          label="Role"
          errors={fields.role.errors}
          options={roleOptions}
          {...getSelectProps(fields.role)}
        />
        <div className="sm:pt-6">
          <SubmitButton name="intent" value="invite" pendingLabel="Sending…">
            Send invitation
          </SubmitButton>
        </div>
      </Form>
      <ul className="mt-2 space-y-1 text-xs text-slate-500">
        {ROLES.map((role) => (
          <li key={role}>
            <strong className="font-medium text-slate-700">{ROLE_LABELS[role]}:</strong>{' '}
            {ROLE_DESCRIPTIONS[role]}
          </li>
        ))}
      </ul>
    </section>
  )
}
