import {
  getCollectionProps,
  getFormProps,
  getInputProps,
  getSelectProps,
  useForm,
  type SubmissionResult,
} from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import { Form, Link } from '@remix-run/react'
import * as z from '~/utils/zod'
import { FormError } from '~/components/form-error'
import { ErrorList, Field, SelectField, SubmitButton } from '~/components/forms'
import type { EscalationRulesPage } from '~/domain/escalation/rules-page.server'
import {
  ESCALATION_TRIGGERS,
  RECIPIENT_GROUPS,
  RECIPIENT_LABELS,
  RULE_NAME_MAX,
  TRIGGER_LABELS,
} from '~/domain/escalation/rules'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import { SLA_TARGETS, SLA_TARGET_LABELS } from '~/domain/sla/policy'

/** The add and edit form of a rule; `intent` tells them apart. */
export const ruleSchema = z
  .object({
    intent: z.enum(['add-rule', 'save-rule']),
    id: z.uuid().optional(),
    name: z
      .string({ error: 'Give the rule a name' })
      .trim()
      .min(1, 'Give the rule a name')
      .max(RULE_NAME_MAX, `Use at most ${RULE_NAME_MAX} characters`),
    trigger: z.enum(ESCALATION_TRIGGERS, { error: 'Choose when the rule fires' }),
    // Empty ("Any") arrives as undefined.
    target: z.enum(SLA_TARGETS, { error: 'Choose an SLA target, or Any' }).optional(),
    maxSeverity: z.enum(SEVERITIES, { error: 'Choose a severity' }),
    groups: z.array(z.enum(RECIPIENT_GROUPS)).optional().default([]),
    raiseSeverity: z.boolean().optional().default(false),
    notifyMemberIds: z
      .array(z.string())
      .optional()
      .default([])
      .refine((ids) => ids.every((id) => z.uuid().safeParse(id).success), {
        error: 'Choose members of this organization',
      }),
    webhookEndpointId: z.uuid({ error: 'Choose an endpoint of this organization' }).optional(),
    commanderId: z.uuid({ error: 'Choose a member of this organization' }).optional(),
  })
  .superRefine((value, ctx) => {
    if (value.target && (value.trigger === 'declared' || value.trigger === 'reopened')) {
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: 'An SLA target applies only to SLA warnings and breaches; choose Any',
      })
    }
    const actions =
      value.groups.length +
      value.notifyMemberIds.length +
      (value.raiseSeverity ? 1 : 0) +
      (value.webhookEndpointId ? 1 : 0) +
      (value.commanderId ? 1 : 0)
    if (actions === 0) {
      ctx.addIssue({ code: 'custom', path: ['actions'], message: 'Choose at least one action' })
    }
  })

function asList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return typeof value === 'string' && value ? [value] : []
}

const targetOptions = [
  { value: '', label: 'Any' },
  ...SLA_TARGETS.map((t) => ({ value: t, label: SLA_TARGET_LABELS[t] })),
]

export function RuleEditor({
  editing,
  members,
  endpoints,
  lastResult,
}: {
  editing: EscalationRulesPage['editing']
  members: EscalationRulesPage['members']
  endpoints: EscalationRulesPage['endpoints']
  lastResult: SubmissionResult<string[]> | undefined
}) {
  const [form, fields] = useForm({
    id: editing ? `rule-${editing.id}` : 'new-rule',
    lastResult,
    constraint: getZodConstraint(ruleSchema),
    shouldValidate: 'onBlur',
    shouldRevalidate: 'onInput',
    onValidate: ({ formData }) => parseWithZod(formData, { schema: ruleSchema }),
    defaultValue: editing ?? { trigger: 'breach', maxSeverity: 'SEV-4' },
  })
  const actionsError = form.allErrors.actions
  const actionsErrorId = `${form.id}-actions-error`
  return (
    <Form method="post" className="mt-4" {...getFormProps(form)}>
      <FormError id={form.errorId} errors={form.errors} />
      {editing ? <input type="hidden" name="id" value={editing.id} /> : null}
      <Field
        label="Rule name"
        errors={fields.name.errors}
        {...getInputProps(fields.name, { type: 'text' })}
        maxLength={RULE_NAME_MAX}
      />
      <div className="grid gap-x-4 sm:grid-cols-3">
        <SelectField
          label="When"
          errors={fields.trigger.errors}
          options={ESCALATION_TRIGGERS.map((t) => ({ value: t, label: TRIGGER_LABELS[t] }))}
          {...getSelectProps(fields.trigger)}
        />
        <SelectField
          label="SLA target"
          hint="Only for SLA warnings and breaches."
          errors={fields.target.errors}
          options={targetOptions}
          {...getSelectProps(fields.target)}
        />
        <SelectField
          label="Severity at most"
          hint="The rule applies to this severity and more severe ones."
          errors={fields.maxSeverity.errors}
          options={SEVERITIES.map((s) => ({ value: s, label: s }))}
          {...getSelectProps(fields.maxSeverity)}
        />
      </div>
      <fieldset
        className="mb-4 rounded-md border border-slate-200 p-4"
        aria-describedby={actionsError?.length ? actionsErrorId : undefined}
      >
        <legend className="px-1 text-sm font-semibold">Actions</legend>
        <ErrorList id={actionsErrorId} errors={actionsError} />
        <div className="grid gap-1 sm:grid-cols-2">
          {getCollectionProps(fields.groups, {
            type: 'checkbox',
            options: [...RECIPIENT_GROUPS],
          }).map(({ key, ...props }) => (
            <label key={key} className="flex items-center gap-2 text-sm">
              <input {...props} className="rounded border-slate-300" />
              {`Notify ${RECIPIENT_LABELS[props.value as (typeof RECIPIENT_GROUPS)[number]]}`}
            </label>
          ))}
          <label className="flex items-center gap-2 text-sm">
            <input
              {...getInputProps(fields.raiseSeverity, { type: 'checkbox' })}
              className="rounded border-slate-300"
            />
            Raise severity one step
          </label>
        </div>
        <div className="mt-4 grid gap-x-4 sm:grid-cols-3">
          <SelectField
            label="Notify these members"
            hint="Hold Ctrl (⌘ on a Mac) to choose several."
            errors={fields.notifyMemberIds.errors}
            options={members}
            size={Math.min(5, Math.max(2, members.length))}
            {...getSelectProps(fields.notifyMemberIds)}
            // One chosen member comes back from the server as a string, not a list.
            defaultValue={asList(fields.notifyMemberIds.initialValue)}
            multiple
          />
          {endpoints.length ? (
            <SelectField
              label="Send to webhook endpoint"
              errors={fields.webhookEndpointId.errors}
              options={[{ value: '', label: 'No webhook' }, ...endpoints]}
              {...getSelectProps(fields.webhookEndpointId)}
            />
          ) : (
            <SelectField
              label="Send to webhook endpoint"
              hint={
                <>
                  No enabled webhook endpoints yet; add one under{' '}
                  <Link to="/admin/webhooks" className="underline">
                    Webhooks
                  </Link>
                  .
                </>
              }
              errors={fields.webhookEndpointId.errors}
              options={[{ value: '', label: 'No endpoints available' }]}
              name={fields.webhookEndpointId.name}
              disabled
            />
          )}
          <SelectField
            label="Make this member commander"
            errors={fields.commanderId.errors}
            options={[{ value: '', label: 'Nobody' }, ...members]}
            {...getSelectProps(fields.commanderId)}
          />
        </div>
      </fieldset>
      <div className="flex flex-wrap items-center gap-3">
        <SubmitButton name="intent" value={editing ? 'save-rule' : 'add-rule'}>
          {editing ? 'Save rule' : 'Add rule'}
        </SubmitButton>
        {editing ? (
          <Link to="/admin/escalations" className="text-sm underline">
            Cancel
          </Link>
        ) : null}
      </div>
    </Form>
  )
}
