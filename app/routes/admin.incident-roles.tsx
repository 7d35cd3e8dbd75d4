import { parseWithZod } from '@conform-to/zod/v4'
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from '@remix-run/node'
import { data } from '@remix-run/node'
import { Form, useActionData, useLoaderData } from '@remix-run/react'
import * as z from '~/utils/zod'
import { FormError } from '~/components/form-error'
import { Field, SubmitButton } from '~/components/forms'
import { requireMember } from '~/domain/access/guard.server'
import {
  ROLE_NAME_MAX,
  addIncidentRole,
  listIncidentRoles,
  renameIncidentRole,
  setIncidentRoleArchived,
} from '~/domain/incident/incident-roles.server'
import { replyWithDomainError } from '~/utils/error-reply.server'
import { redirectWithFlash } from '~/utils/flash.server'
import { readFormData } from '~/utils/form-data.server'

const name = z
  .string({ error: 'Enter a name' })
  .trim()
  .min(1, 'Enter a name')
  .max(ROLE_NAME_MAX, `Use at most ${ROLE_NAME_MAX} characters`)

const schema = z.discriminatedUnion('intent', [
  z.object({ intent: z.literal('add'), name }),
  z.object({ intent: z.literal('rename'), roleId: z.uuid(), name }),
  z.object({ intent: z.enum(['archive', 'restore']), roleId: z.uuid() }),
])

export const meta: MetaFunction = () => [{ title: 'Incident roles · IncidentFlow' }]

export async function loader({ request, context }: LoaderFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  return { roles: await listIncidentRoles(context.orm, member.organization.id) }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const member = await requireMember(request, context, 'settings.manage')
  const formData = await readFormData(request)
  const submission = parseWithZod(formData, { schema })
  const intent = String(formData.get('intent') ?? '')
  const roleId = String(formData.get('roleId') ?? '')
  if (submission.status !== 'success')
    return data({ intent, roleId, result: submission.reply() }, { status: 400 })
  const input = submission.value
  let message: string
  try {
    switch (input.intent) {
      case 'add':
        await addIncidentRole(context.orm, member, input.name)
        message = `Added ${input.name}.`
        break
      case 'rename':
        await renameIncidentRole(context.orm, member, input.roleId, input.name)
        message = `Renamed to ${input.name}.`
        break
      case 'archive':
      case 'restore':
        await setIncidentRoleArchived(context.orm, member, input.roleId, input.intent === 'archive')
        message = input.intent === 'archive' ? 'Archived.' : 'Restored.'
        break
    }
  } catch (error) {
    return replyWithDomainError(submission, error, { extra: { intent, roleId } })
  }
  return redirectWithFlash('/admin/incident-roles', { kind: 'success', message }, context.env)
}

export default function IncidentRolesSettings() {
  const { roles } = useLoaderData<typeof loader>()
  const actionData = useActionData<typeof action>()
  const resultOf = (intent: string, roleId = '') =>
    actionData && actionData.intent === intent && actionData.roleId === roleId
      ? actionData.result
      : null
  const value = (result: ReturnType<typeof resultOf>, field: string) => {
    const v = (result?.initialValue as Record<string, unknown> | undefined)?.[field]
    return typeof v === 'string' ? v : undefined
  }
  const added = resultOf('add')
  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-bold">Incident roles</h1>
        <p className="mt-1 text-sm text-slate-600">
          Roles people take on an incident besides commander and assignees. Role holders see the
          incident when it is private, receive its notifications and are invited to its Slack
          channel. Communications lead and Scribe are built in: they can be renamed, not archived.
        </p>
      </div>
      <section
        aria-labelledby="roles-heading"
        className="rounded-lg border border-slate-200 bg-white p-6"
      >
        <h2 id="roles-heading" className="text-lg font-semibold">
          Roles
        </h2>
        <ul className="mt-3 divide-y divide-slate-100">
          {roles.map((role) => {
            const renamed = resultOf('rename', role.id)
            const toggled = resultOf(role.archived ? 'restore' : 'archive', role.id)
            return (
              <li key={role.id} className="flex flex-wrap items-start justify-between gap-3 py-3">
                <Form
                  method="post"
                  aria-label={`Rename ${role.name}`}
                  className="flex flex-wrap items-start gap-2"
                >
                  <input type="hidden" name="roleId" value={role.id} />
                  <Field
                    label={`Name of ${role.name}${role.archived ? ' (archived)' : ''}${role.builtin ? ' (built in)' : ''}`}
                    name="name"
                    required
                    maxLength={ROLE_NAME_MAX}
                    defaultValue={value(renamed, 'name') ?? role.name}
                    errors={renamed?.error?.name}
                    className="mb-0"
                  />
                  <div className="pt-6">
                    <SubmitButton name="intent" value="rename" variant="secondary">
                      Rename
                    </SubmitButton>
                  </div>
                </Form>
                {role.builtin ? null : (
                  <Form method="post" className="pt-6">
                    <input type="hidden" name="roleId" value={role.id} />
                    <FormError errors={toggled?.error?.[''] ?? null} />
                    <SubmitButton
                      name="intent"
                      value={role.archived ? 'restore' : 'archive'}
                      variant="secondary"
                    >
                      {role.archived ? `Restore ${role.name}` : `Archive ${role.name}`}
                    </SubmitButton>
                  </Form>
                )}
              </li>
            )
          })}
        </ul>
        <Form method="post" aria-label="Add role" className="mt-4 flex flex-wrap items-start gap-2">
          <FormError errors={added?.error?.[''] ?? null} />
          <Field
            label="New role"
            name="name"
            required
            maxLength={ROLE_NAME_MAX}
            defaultValue={value(added, 'name')}
            errors={added?.error?.name}
            className="mb-0"
          />
          <div className="pt-6">
            <SubmitButton name="intent" value="add">
              Add role
            </SubmitButton>
          </div>
        </Form>
      </section>
    </div>
  )
}
