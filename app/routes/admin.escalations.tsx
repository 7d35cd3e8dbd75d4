import {
  getCollectionProps,
  getFormProps,
  getInputProps,
  getSelectProps,
  useForm,
  type SubmissionResult,
} from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import {
  Form,
  Link,
  isRouteErrorResponse,
  useActionData,
  useLoaderData,
  useRouteError,
} from '@remix-run/react'
import * as z from '~/utils/zod'
import { ErrorPage } from '~/components/error-page'
import { FormError } from '~/components/form-error'
import { ErrorList, Field, SelectField, SubmitButton } from '~/components/forms'
import { requireMember } from '~/domain/access/guard.server'
import {
  EscalationRuleError,
  createRule,
  deleteRule,
  describeRule,
  getRule,
  listRules,
  moveRule,
  ruleChoices,
  setRuleEnabled,
  updateRule,
  type RuleInput,
} from '~/domain/escalation/escalation.server'
import {
  ESCALATION_TRIGGERS,
  RECIPIENT_GROUPS,
  RECIPIENT_LABELS,
  TRIGGER_LABELS,
  type EscalationAction,
  type EscalationRuleData,
} from '~/domain/escalation/rules'
import { SEVERITIES } from '~/domain/incident/vocabulary'
import { SLA_TARGETS, SLA_TARGET_LABELS } from '~/domain/sla/policy'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'

const RULE_NAME_MAX = 120

const ruleSchema = z
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
type RuleForm = z.infer<typeof ruleSchema>

const rowSchema = z.object({
  intent: z.enum(['enable', 'disable', 'move-up', 'move-down', 'delete']),
  id: z.string().min(1).max(64),
})

function toRuleInput(value: RuleForm): RuleInput {
  const actions: EscalationAction[] = value.groups.map((group) => ({ type: 'notify', group }))
  if (value.raiseSeverity) actions.push({ type: 'raise-severity' })
  if (value.notifyMemberIds.length)
    actions.push({ type: 'notify-members', userIds: value.notifyMemberIds })
  if (value.webhookEndpointId)
    actions.push({ type: 'webhook', endpointId: value.webhookEndpointId })
  if (value.commanderId) actions.push({ type: 'assign-commander', userId: value.commanderId })
  return {
    name: value.name,
    trigger: value.trigger,
    target: value.target ?? null,
    maxSeverity: value.maxSeverity,
    actions,
  }
}

/** The rule form's fields for an existing rule. */
function formValues(rule: EscalationRuleData) {
  const groups: string[] = []
  const notifyMemberIds: string[] = []
  let raiseSeverity = false
  let webhookEndpointId = ''
  let commanderId = ''
  for (const action of rule.actions) {
    if (action.type === 'notify') groups.push(action.group)
    else if (action.type === 'notify-members') notifyMemberIds.push(...action.userIds)
    else if (action.type === 'raise-severity') raiseSeverity = true
    else if (action.type === 'webhook') webhookEndpointId = action.endpointId
    else if (action.type === 'assign-commander') commanderId = action.userId
  }
  return {
    id: rule.id,
    name: rule.name,
    trigger: rule.trigger,
    target: rule.target ?? '',
    maxSeverity: rule.maxSeverity,
    groups,
    raiseSeverity: raiseSeverity ? 'on' : '',
    notifyMemberIds,
    webhookEndpointId,
    commanderId,
  }
}

export const meta: MetaFunction = () => [{ title: 'Escalation rules · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const editId = new URL(request.url).searchParams.get('edit')
  const editing = editId ? await getRule(context.orm, member, editId) : null
  if (editId && !editing) throw new Response('Rule not found', { status: 404 })
  const rules = await listRules(context.orm, member)
  const choices = await ruleChoices(context.orm, member)
  const memberNames = new Map(choices.members.map((m) => [m.userId, m.displayName]))
  const endpointNames = new Map(choices.endpoints.map((e) => [e.id, e.label]))
  const names = {
    member: (id: string) => memberNames.get(id) ?? 'a former member',
    endpoint: (id: string) => endpointNames.get(id) ?? 'a deleted endpoint',
  }
  const editingValues = editing ? formValues(editing) : null
  return {
    rules: rules.map((rule) => ({
      id: rule.id,
      name: rule.name,
      enabled: rule.enabled,
      sentence: describeRule(rule, names),
    })),
    editing: editingValues,
    members: choices.members
      .filter((m) => m.active)
      .map((m) => ({ value: m.userId, label: m.displayName })),
    // Enabled endpoints, plus the one the edited rule uses even if it was disabled since.
    endpoints: choices.endpoints
      .filter((e) => e.enabled || e.id === editingValues?.webhookEndpointId)
      .map((e) => ({ value: e.id, label: e.enabled ? e.label : `${e.label} (disabled)` })),
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const formData = await readFormData(request)
  const intent = formData.get('intent')
  const back = (message: string) =>
    redirectWithFlash('/admin/escalations', { kind: 'success', message }, context.env)

  if (intent === 'add-rule' || intent === 'save-rule') {
    const submission = parseWithZod(formData, { schema: ruleSchema })
    if (submission.status !== 'success') return data(submission.reply(), { status: 400 })
    const input = toRuleInput(submission.value)
    try {
      if (intent === 'add-rule') {
        const created = await createRule(context.orm, member, input)
        return back(`Rule “${created.name}” added.`)
      }
      if (!submission.value.id) throw new Response('Bad request', { status: 400 })
      const saved = await updateRule(context.orm, member, submission.value.id, input)
      if (!saved) throw new Response('Rule not found', { status: 404 })
      return back(`Rule “${saved.name}” saved.`)
    } catch (error) {
      if (error instanceof EscalationRuleError) {
        const fieldErrors = error.fieldErrors
        const formErrors = Object.keys(fieldErrors).length ? [] : [error.message]
        return data(submission.reply({ fieldErrors, formErrors }), { status: error.status })
      }
      throw error
    }
  }

  const parsed = rowSchema.safeParse(Object.fromEntries(formData))
  if (!parsed.success) throw new Response('Bad request', { status: 400 })
  const { id } = parsed.data
  let done: boolean
  let message: string
  switch (parsed.data.intent) {
    case 'enable':
    case 'disable':
      done = await setRuleEnabled(context.orm, member, id, parsed.data.intent === 'enable')
      message = parsed.data.intent === 'enable' ? 'Rule enabled.' : 'Rule disabled.'
      break
    case 'move-up':
    case 'move-down':
      done = await moveRule(
        context.orm,
        member,
        id,
        parsed.data.intent === 'move-up' ? 'up' : 'down',
      )
      message = parsed.data.intent === 'move-up' ? 'Rule moved up.' : 'Rule moved down.'
      break
    case 'delete':
      done = await deleteRule(context.orm, member, id)
      message = 'Rule deleted.'
      break
  }
  if (!done) throw new Response('Rule not found', { status: 404 })
  return back(message)
}

function asList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string')
  return typeof value === 'string' && value ? [value] : []
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>

function RuleEditor({
  editing,
  members,
  endpoints,
  lastResult,
}: {
  editing: LoaderData['editing']
  members: LoaderData['members']
  endpoints: LoaderData['endpoints']
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
  const targetOptions = [
    { value: '', label: 'Any' },
    ...SLA_TARGETS.map((t) => ({ value: t, label: SLA_TARGET_LABELS[t] })),
  ]
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

function RowButton({
  intent,
  children,
  ruleName,
  disabled,
  danger,
}: {
  intent: string
  children: string
  ruleName: string
  disabled?: boolean
  danger?: boolean
}) {
  return (
    <button
      type="submit"
      name="intent"
      value={intent}
      disabled={disabled}
      className={`rounded-md border px-2 py-1 text-sm disabled:opacity-40 ${
        danger
          ? 'border-red-300 text-red-800 hover:bg-red-50'
          : 'border-slate-300 hover:bg-slate-50'
      }`}
    >
      {children}
      <span className="sr-only"> rule “{ruleName}”</span>
    </button>
  )
}

export default function Escalations() {
  const { rules, editing, members, endpoints } = useLoaderData<typeof loader>()
  const lastResult = useActionData<typeof action>()
  // A new key after every change to the list clears the add form once its rule was added.
  const formKey = `${editing?.id ?? 'new'}:${rules.map((r) => r.id).join(',')}`
  return (
    <div className="space-y-8">
      <header>
        <h1 className="text-2xl font-bold">Escalation rules</h1>
        <p className="mt-1 text-sm text-slate-600">
          When something happens to an incident, every enabled rule that matches fires, in the order
          below. Every firing is recorded on the incident timeline, naming the rule.
        </p>
      </header>

      <section aria-labelledby="rules-heading">
        <h2 id="rules-heading" className="text-lg font-semibold">
          Rules
        </h2>
        {rules.length === 0 ? (
          <p className="mt-2 text-sm text-slate-600">No rules: nothing escalates automatically.</p>
        ) : (
          <ol className="mt-3 divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
            {rules.map((rule, index) => (
              <li
                key={rule.id}
                aria-label={rule.name}
                className={`px-4 py-3 text-sm ${rule.enabled ? '' : 'bg-slate-50 text-slate-500'}`}
              >
                <div className="flex flex-wrap items-baseline justify-between gap-2">
                  <span className="font-medium text-slate-900">
                    {index + 1}. {rule.name}
                    <span className="ml-2 text-xs font-normal text-slate-500">
                      {rule.enabled ? 'Enabled' : 'Disabled'}
                    </span>
                  </span>
                  <Form method="post" className="flex flex-wrap gap-1">
                    <input type="hidden" name="id" value={rule.id} />
                    <RowButton intent="move-up" ruleName={rule.name} disabled={index === 0}>
                      Move up
                    </RowButton>
                    <RowButton
                      intent="move-down"
                      ruleName={rule.name}
                      disabled={index === rules.length - 1}
                    >
                      Move down
                    </RowButton>
                    <RowButton intent={rule.enabled ? 'disable' : 'enable'} ruleName={rule.name}>
                      {rule.enabled ? 'Disable' : 'Enable'}
                    </RowButton>
                    <Link
                      to={`?edit=${rule.id}`}
                      className="rounded-md border border-slate-300 px-2 py-1 text-sm hover:bg-slate-50"
                    >
                      Edit<span className="sr-only"> rule “{rule.name}”</span>
                    </Link>
                    <RowButton intent="delete" ruleName={rule.name} danger>
                      Delete
                    </RowButton>
                  </Form>
                </div>
                <p className="mt-1">{rule.sentence}</p>
              </li>
            ))}
          </ol>
        )}
      </section>

      <section
        aria-labelledby="rule-form-heading"
        className="rounded-lg border border-slate-200 bg-white p-6"
      >
        <h2 id="rule-form-heading" className="text-lg font-semibold">
          {editing ? `Edit “${editing.name}”` : 'Add a rule'}
        </h2>
        <RuleEditor
          key={formKey}
          editing={editing}
          members={members}
          endpoints={endpoints}
          lastResult={lastResult}
        />
      </section>
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
