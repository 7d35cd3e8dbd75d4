import {
  getFormProps,
  getInputProps,
  getSelectProps,
  getTextareaProps,
  useForm,
} from '@conform-to/react'
import { getZodConstraint, parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data, redirect } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import * as z from '~/utils/zod'
import { CustomFieldInputs, customFieldEcho } from '~/components/custom-fields/custom-field-inputs'
import { FormError } from '~/components/form-error'
import { Field, SelectField, SubmitButton, TextareaField } from '~/components/forms'
import { requireMember } from '~/domain/access/guard.server'
import { declareFormCustomFields } from '~/domain/custom-fields/custom-field-forms.server'
import { customFieldsFromForm } from '~/domain/custom-fields/custom-field-values'
import { getCatalogs } from '~/domain/incident/incident-queries.server'
import { declareIncident } from '~/domain/incident/incident-service.server'
import { IMPACTS, IMPACT_LABELS, URGENCIES, URGENCY_LABELS, triage } from '~/domain/incident/triage'
import { COMMENT_MAX, SEVERITIES, SEVERITY_DESCRIPTIONS } from '~/domain/incident/vocabulary'
import { fromLocalInput } from '~/utils/time'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { readFormData } from '~/utils/form-data.server'

const optionalId = z
  .union([z.uuid(), z.literal('')])
  .optional()
  .transform((v) => v || null)

const schema = z
  .object({
    title: z
      .string({ error: 'Give the incident a title' })
      .trim()
      .min(3, 'Use at least 3 characters')
      .max(200, 'Use at most 200 characters'),
    severity: z.union([z.enum(SEVERITIES), z.literal('')]).optional(),
    impact: z.union([z.enum(IMPACTS), z.literal('')]).optional(),
    urgency: z.union([z.enum(URGENCIES), z.literal('')]).optional(),
    serviceId: optionalId,
    incidentTypeId: optionalId,
    summary: z
      .string()
      .max(COMMENT_MAX, `Keep the summary under ${COMMENT_MAX} characters`)
      .optional()
      .default(''),
    impactStartedAt: z.string().max(32).optional(),
    private: z.boolean().default(false),
  })
  .superRefine((value, ctx) => {
    if (!value.severity && !(value.impact && value.urgency)) {
      ctx.addIssue({
        code: 'custom',
        path: ['severity'],
        message: 'Choose a severity, or an impact and an urgency',
      })
    }
    if (!value.severity && value.impact && !value.urgency) {
      ctx.addIssue({
        code: 'custom',
        path: ['urgency'],
        message: 'Choose an urgency to go with the impact',
      })
    }
    if (!value.severity && value.urgency && !value.impact) {
      ctx.addIssue({
        code: 'custom',
        path: ['impact'],
        message: 'Choose an impact to go with the urgency',
      })
    }
  })

export const meta: MetaFunction = () => [{ title: 'Declare an incident · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'incident.declare')
  const catalogs = await getCatalogs(context.orm, member.organization.id)
  const customFields = await declareFormCustomFields(context.orm, member.organization.id)
  return { ...catalogs, customFields, timeZone: member.organization.timezone }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'incident.declare')
  const formData = await readFormData(request)
  const submission = parseWithZod(formData, { schema })
  if (submission.status !== 'success') return data({ result: submission.reply() }, { status: 400 })
  const input = submission.value
  let impactStartedAt: Date | null = null
  if (input.impactStartedAt) {
    impactStartedAt = fromLocalInput(input.impactStartedAt, member.organization.timezone)
    if (!impactStartedAt) {
      return data(
        {
          result: submission.reply({ fieldErrors: { impactStartedAt: ['Enter a date and time'] } }),
        },
        { status: 400 },
      )
    }
  }
  try {
    const declared = await declareIncident(context.orm, member, {
      title: input.title,
      summary: input.summary,
      severity: input.severity || undefined,
      impact: input.impact || undefined,
      urgency: input.urgency || undefined,
      serviceId: input.serviceId,
      incidentTypeId: input.incidentTypeId,
      impactStartedAt,
      customFields: customFieldsFromForm(formData),
      private: input.private,
    })
    return redirect(`/incidents/${declared.number}`)
  } catch (error) {
    return replyWithDomainError(submission, error)
  }
}

export default function DeclareIncident() {
  const { services, types, matrix, timeZone, customFields } = useLoaderData<typeof loader>()
  const lastResult = useActionData<typeof action>()?.result
  const [form, fields] = useForm({
    lastResult,
    constraint: getZodConstraint(schema),
    shouldValidate: 'onBlur',
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
  })
  return (
    <div className="mx-auto max-w-3xl">
      <h1 className="text-2xl font-bold">Declare an incident</h1>
      <p className="mt-1 text-sm text-slate-600">
        Declare early; you can change the severity later with a reason. You become the commander
        until someone else is assigned.
      </p>
      <Form
        method="post"
        className="mt-6 space-y-2 rounded-lg border border-slate-200 bg-white p-6"
        {...getFormProps(form)}
      >
        <FormError id={form.errorId} errors={form.errors} />
        <Field
          label="Title"
          errors={fields.title.errors}
          {...getInputProps(fields.title, { type: 'text' })}
        />
        <fieldset className="rounded-md border border-slate-200 p-4">
          <legend className="px-1 text-sm font-semibold">How bad is it?</legend>
          <p className="mb-3 text-xs text-slate-500">
            Choose a severity directly, or leave it empty and describe impact and urgency.
          </p>
          <SelectField
            label="Severity"
            errors={fields.severity.errors}
            options={[
              { value: '', label: 'Work it out from impact and urgency' },
              ...SEVERITIES.map((s) => ({ value: s, label: `${s} — ${SEVERITY_DESCRIPTIONS[s]}` })),
            ]}
            {...getSelectProps(fields.severity)}
          />
          <div className="grid gap-x-4 sm:grid-cols-2">
            <SelectField
              label="Impact"
              errors={fields.impact.errors}
              options={[
                { value: '', label: 'Not set' },
                ...IMPACTS.map((i) => ({ value: i, label: IMPACT_LABELS[i] })),
              ]}
              {...getSelectProps(fields.impact)}
            />
            <SelectField
              label="Urgency"
              errors={fields.urgency.errors}
              options={[
                { value: '', label: 'Not set' },
                ...URGENCIES.map((u) => ({ value: u, label: URGENCY_LABELS[u] })),
              ]}
              {...getSelectProps(fields.urgency)}
            />
          </div>
          <details className="text-xs text-slate-600">
            <summary className="cursor-pointer">
              Triage matrix (impact × urgency → severity)
            </summary>
            <table className="mt-2 text-left">
              <thead>
                <tr>
                  <th scope="col" className="pr-3">
                    Impact \ urgency
                  </th>
                  {URGENCIES.map((u) => (
                    <th scope="col" key={u} className="pr-3 capitalize">
                      {u}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {IMPACTS.map((i) => (
                  <tr key={i}>
                    <th scope="row" className="pr-3 capitalize">
                      {i}
                    </th>
                    {URGENCIES.map((u) => (
                      <td key={u} className="pr-3">
                        {triage(matrix, i, u)}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </fieldset>
        <div className="grid gap-x-4 sm:grid-cols-2">
          <SelectField
            label="Service"
            errors={fields.serviceId.errors}
            options={[
              {
                value: '',
                label: services.length ? 'Not set' : 'No services yet (admins add them)',
              },
              ...services.map((s) => ({ value: s.id, label: s.name })),
            ]}
            {...getSelectProps(fields.serviceId)}
          />
          <SelectField
            label="Incident type"
            errors={fields.incidentTypeId.errors}
            options={[
              { value: '', label: types.length ? 'Not set' : 'No types yet (admins add them)' },
              ...types.map((t) => ({ value: t.id, label: t.name })),
            ]}
            {...getSelectProps(fields.incidentTypeId)}
          />
        </div>
        {customFields.inputs.length > 0 ? (
          <fieldset className="rounded-md border border-slate-200 p-4">
            <legend className="px-1 text-sm font-semibold">More details</legend>
            <CustomFieldInputs
              fields={customFields.inputs}
              members={customFields.members}
              echo={customFieldEcho(lastResult ?? null)}
            />
          </fieldset>
        ) : null}
        <TextareaField
          label="Summary"
          hint="What is happening and who is affected. Markdown is supported."
          errors={fields.summary.errors}
          {...getTextareaProps(fields.summary)}
        />
        <Field
          label="Impact started at"
          hint={`Optional; back-date it if the impact began before now. Time zone: ${timeZone}.`}
          errors={fields.impactStartedAt.errors}
          {...getInputProps(fields.impactStartedAt, { type: 'datetime-local' })}
        />
        <div className="mb-4">
          <label className="flex items-center gap-2 text-sm font-medium text-slate-800">
            <input
              {...getInputProps(fields.private, { type: 'checkbox' })}
              aria-describedby={`${fields.private.id}-hint`}
              className="rounded border-slate-300"
            />
            Private incident
          </label>
          <p id={`${fields.private.id}-hint`} className="mt-1 text-xs text-slate-500">
            Only its commander, assignees, the viewers you add and admins will see it — for security
            or personnel matters. Everyone else is told it does not exist.
          </p>
        </div>
        <SubmitButton variant="danger" pendingLabel="Declaring…">
          Declare incident
        </SubmitButton>
      </Form>
    </div>
  )
}
