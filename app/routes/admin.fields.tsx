import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import { isRouteErrorResponse, useActionData, useLoaderData, useRouteError } from '@remix-run/react'
import * as z from '~/utils/zod'
import { CustomFieldAddForm } from '~/components/custom-fields/custom-field-add-form'
import {
  ArchivedCustomField,
  CustomFieldEditor,
} from '~/components/custom-fields/custom-field-editor'
import { ErrorPage } from '~/components/error-page'
import { ConflictNotice } from '~/components/incident/conflict-notice'
import { requireMember } from '~/domain/access/guard.server'
import { isConflict } from '~/domain/domain-error'
import {
  createCustomField,
  customFieldDefinitions,
  moveCustomField,
  setCustomFieldArchived,
  updateCustomField,
} from '~/domain/custom-fields/custom-field-definitions.server'
import { CUSTOM_FIELD_KINDS } from '~/domain/custom-fields/custom-field-values'
import { INCIDENT_STATUSES } from '~/domain/incident/vocabulary'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'

const lines = (text: string | undefined) =>
  (text ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
const requiredFrom = z
  .union([z.enum(INCIDENT_STATUSES), z.literal('')])
  .optional()
  .transform((v) => v || null)
const label = z
  .string({ error: 'Enter a label' })
  .trim()
  .min(1, 'Enter a label')
  .max(80, 'Use at most 80 characters')
const helpText = z.string().trim().max(300, 'Use at most 300 characters').optional()
const version = z.coerce.number().int().min(1)

const schemas = {
  add: z.object({
    intent: z.literal('add'),
    label,
    key: z.string().trim().max(40).optional(),
    kind: z.enum(CUSTOM_FIELD_KINDS, { error: 'Choose a kind' }),
    helpText,
    options: z.string().max(5000).optional(),
    requiredFromStatus: requiredFrom,
  }),
  update: z.object({
    intent: z.literal('update'),
    id: z.uuid(),
    version,
    label,
    helpText,
    requiredFromStatus: requiredFrom,
    optionLabel: z.record(z.string(), z.string().max(80, 'Use at most 80 characters')).optional(),
    retire: z.preprocess(
      (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]),
      z.array(z.string().max(60)),
    ),
    newOptions: z.string().max(5000).optional(),
  }),
  archive: z.object({ intent: z.literal('archive'), id: z.uuid(), version }),
  restore: z.object({ intent: z.literal('restore'), id: z.uuid(), version }),
  up: z.object({ intent: z.literal('up'), id: z.uuid() }),
  down: z.object({ intent: z.literal('down'), id: z.uuid() }),
} as const
type Intent = keyof typeof schemas

export const meta: MetaFunction = () => [{ title: 'Custom fields · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const fields = await customFieldDefinitions(context.orm, member.organization.id)
  return { fields: fields.map((f) => ({ ...f, options: [...f.options] })) }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const formData = await readFormData(request)
  const intent = String(formData.get('intent') ?? '') as Intent
  const schema = schemas[intent]
  if (!schema) throw new Response('Bad request', { status: 400 })
  const submission = parseWithZod(formData, { schema })
  const id = String(formData.get('id') ?? '')
  if (submission.status !== 'success')
    return data({ intent, id, result: submission.reply(), conflict: false }, { status: 400 })
  const input = submission.value
  let message: string
  try {
    switch (input.intent) {
      case 'add': {
        const created = await createCustomField(context.orm, member, {
          label: input.label,
          key: input.key,
          kind: input.kind,
          helpText: input.helpText,
          options: lines(input.options),
          requiredFromStatus: input.requiredFromStatus,
        })
        message = `Added ${created.label}.`
        break
      }
      case 'update': {
        const updated = await updateCustomField(context.orm, member, input.id, {
          version: input.version,
          label: input.label,
          helpText: input.helpText,
          requiredFromStatus: input.requiredFromStatus,
          optionLabels: input.optionLabel,
          retiredOptions: input.retire,
          newOptions: lines(input.newOptions),
        })
        message = `Saved ${updated.label}.`
        break
      }
      case 'archive':
      case 'restore':
        await setCustomFieldArchived(
          context.orm,
          member,
          input.id,
          input.intent === 'archive',
          input.version,
        )
        message = input.intent === 'archive' ? 'Archived.' : 'Restored.'
        break
      case 'up':
      case 'down':
        await moveCustomField(context.orm, member, input.id, input.intent)
        message = 'Moved.'
        break
    }
  } catch (error) {
    return replyWithDomainError(submission, error, {
      extra: { intent, id, conflict: isConflict(error) },
    })
  }
  return redirectWithFlash('/admin/fields', { kind: 'success', message }, context.env)
}

export default function CustomFields() {
  const { fields } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const conflict = actionData?.conflict ? actionData.result.error?.['']?.[0] : null
  const active = fields.filter((f) => !f.archivedAt)
  const archived = fields.filter((f) => f.archivedAt)
  const resultFor = (intent: string, id: string) =>
    actionData && actionData.intent === intent && actionData.id === id ? actionData : null
  return (
    <div className="space-y-8">
      <header>
        <h1 className="text-2xl font-bold">Custom fields</h1>
        <p className="mt-1 text-sm text-slate-600">
          Fields your incidents carry besides the built-in ones: shown on the declare form, the
          incident page and the list, and in exports, the API and webhooks. A field can be required
          once an incident reaches a status; archiving a field keeps its history.
        </p>
      </header>
      {conflict ? <ConflictNotice>{conflict}</ConflictNotice> : null}
      <section aria-labelledby="active-heading" className="space-y-4">
        <h2 id="active-heading" className="text-lg font-semibold">
          Fields
        </h2>
        {active.length === 0 ? (
          <p className="text-sm text-slate-600">No fields yet.</p>
        ) : (
          active.map((field, index) => (
            <CustomFieldEditor
              key={`${field.id}-${field.version}`}
              field={field}
              first={index === 0}
              last={index === active.length - 1}
              result={resultFor('update', field.id)}
              buttonResult={
                resultFor('archive', field.id) ??
                resultFor('up', field.id) ??
                resultFor('down', field.id)
              }
            />
          ))
        )}
      </section>
      <CustomFieldAddForm result={actionData?.intent === 'add' ? actionData.result : null} />
      {archived.length > 0 ? (
        <section aria-labelledby="archived-heading" className="space-y-2">
          <h2 id="archived-heading" className="text-lg font-semibold">
            Archived fields
          </h2>
          <p className="text-sm text-slate-600">
            Not on forms or in the list any more; timeline entries and values already written still
            show them.
          </p>
          <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
            {archived.map((field) => (
              <ArchivedCustomField
                key={`${field.id}-${field.version}`}
                field={field}
                result={resultFor('restore', field.id)}
              />
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  )
}

export function ErrorBoundary() {
  const error = useRouteError()
  return <ErrorPage status={isRouteErrorResponse(error) ? error.status : 500} error={error} />
}
